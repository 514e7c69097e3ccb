/**
 * The machine the figures came from. Wall-clock latencies mean little without it: core count, CPU
 * model, Node version, and the load average (other processes share the 2 cores and stretch times).
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  /** CPUs this process may use (cgroup quota or affinity), when the OS says. */
  readonly usableCores: number;
  readonly cpuQuota: string | null;
  readonly node: string;
  readonly os: string;
  readonly memoryGb: number;
  readonly loadAverage: readonly number[];
}

function cgroupQuota(): string | null {
  try {
    const [quota, period] = readFileSync('/sys/fs/cgroup/cpu.max', 'utf8').trim().split(/\s+/);
    if (!quota || !period || quota === 'max') return null;
    return `${(Number(quota) / Number(period)).toFixed(2)} CPUs (cgroup cpu.max)`;
  } catch {
    return null;
  }
}

export function describeMachine(): Machine {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    usableCores: os.availableParallelism(),
    cpuQuota: cgroupQuota(),
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    memoryGb: os.totalmem() / 1024 ** 3,
    loadAverage: os.loadavg(),
  };
}

export function renderMachine(m: Machine, loadAtEnd?: readonly number[]): string {
  const load = (l: readonly number[]): string => l.map((x) => x.toFixed(2)).join(' ');
  return [
    `machine: ${m.cpu}, ${m.cores} cores (${m.usableCores} usable${m.cpuQuota ? `, ${m.cpuQuota}` : ''}), ${m.memoryGb.toFixed(1)} GB`,
    `         node ${m.node}, ${m.os}`,
    `         load average (1/5/15 min) at start ${load(m.loadAverage)}${loadAtEnd ? `, at end ${load(loadAtEnd)}` : ''}`,
  ].join('\n');
}
