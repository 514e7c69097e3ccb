/**
 * Each benchmark runs in a process of its own, forked by run.ts: peak RSS (`maxRSS`) is a
 * whole-process figure, and JIT state, heap and timers left by one benchmark must not colour the
 * next. A benchmark sends its result over the IPC channel; started by hand (`npx tsx bench/x.ts`)
 * it prints its own table instead.
 */
import { fork } from 'node:child_process';
import { loadavg } from 'node:os';
import { type BenchResult, type Row, renderResult } from './report.js';

export interface ChildOptions {
  readonly args?: readonly string[];
  /** The child is killed after this long, so a hung benchmark cannot hold up the run. */
  readonly timeoutMs: number;
  /** Extra Node flags (e.g. --expose-gc), after the ones tsx needs. */
  readonly nodeFlags?: readonly string[];
}

export function runChild(file: string, options: ChildOptions): Promise<BenchResult> {
  return new Promise((resolve, reject) => {
    const child = fork(file, [...(options.args ?? [])], { execArgv: [...process.execArgv, ...(options.nodeFlags ?? [])], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result: BenchResult | null = null;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${file} took longer than ${options.timeoutMs / 1000} s and was stopped`));
    }, options.timeoutMs);
    child.on('message', (message) => (result = message as BenchResult));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (result) resolve(result);
      else reject(new Error(`${file} ended without a result (${signal ?? `exit code ${code}`})`));
    });
  });
}

/** Times a benchmark body and wraps its rows with the bookkeeping every result carries. */
export async function measure(id: string, title: string, body: (notes: string[]) => Promise<Row[]>): Promise<BenchResult> {
  const load0 = loadavg()[0]!;
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  const notes: string[] = [];
  const rows = await body(notes);
  const cpu = process.cpuUsage(cpu0);
  return { id, title, rows, notes, seconds: (performance.now() - started) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6, load: [load0, loadavg()[0]!] };
}

/** The last thing a benchmark file does: hand the result to run.ts, or print it when run alone. */
export async function finish(result: Promise<BenchResult>): Promise<void> {
  try {
    const r = await result;
    if (process.send) process.send(r, () => process.exit(0));
    else {
      console.log(renderResult(r));
      process.exit(0);
    }
  } catch (error) {
    console.error(error);
    process.exit(1);
  }
}

/** `--name value` from a benchmark's own arguments. */
export function argument(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

export function numberArgument(name: string, fallback: number): number {
  const text = argument(name);
  const value = text === undefined ? fallback : Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`--${name} must be a positive number`);
  return value;
}
