/**
 * `npm run bench [-- --json FILE] [-- --quick] [-- --only stages,wire,...]`: every benchmark, each in
 * a process of its own, and one table of figures with the design budgets beside them.
 *
 *   run.ts ─ machine (cpu, cores, node, load) ─ long 4D runs built in the temp folder
 *          ─ fork stages.ts      per-stage latency, TR 0 apart; DICOM parse     ─┐
 *          ─ fork wire.ts        server process + client: push → record          │ result over IPC
 *          ─ fork throughput.ts  replay at speed max, rt-cloud and Haxby+decoder ├─► table (stdout)
 *          ─ fork memory*.ts ×3  1000 TRs: session alone; in the server; replay  │   --json FILE
 *          ─ fork motion.ts      motion correction alone                         │
 *          ─ fork recon.ts       optimiser it/s per backend and size, first frames│
 *          ─ fork recon-live.ts  per-TR latency while reconstructing; first frame─┘
 *
 * Targets are printed, not asserted. Progress goes to stderr, figures to stdout.
 */
import { rm, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { argument, runChild } from './lib/child.js';
import { writeRepeatedRun } from './lib/data.js';
import { describeMachine, renderMachine } from './lib/machine.js';
import { type BenchResult, renderResult, verdict } from './lib/report.js';
import { benchTemp } from './lib/session.js';

interface Bench {
  readonly id: string;
  readonly file: string;
  readonly args: (temp: string) => string[];
  readonly quick: string[];
  readonly nodeFlags?: string[];
  readonly timeoutMs: number;
}

const LONG_RUN = 300;
const MEMORY_TRS = 1000;
const longRun = (temp: string, frames: number): string => path.join(temp, `rtcloud-x${frames}.nii`);

const benches: readonly Bench[] = [
  { id: 'stages', file: 'stages.ts', args: () => [], quick: ['--sessions', '10', '--parse-passes', '5'], timeoutMs: 120_000 },
  { id: 'wire', file: 'wire.ts', args: () => [], quick: ['--volumes', '30'], timeoutMs: 120_000 },
  { id: 'throughput', file: 'throughput.ts', args: (t) => ['--run', longRun(t, LONG_RUN)], quick: ['--sessions', '1', '--haxby-sessions', '1'], timeoutMs: 150_000 },
  { id: 'memory-push', file: 'memory.ts', args: () => ['--mode', 'push', '--trs', String(MEMORY_TRS)], quick: ['--mode', 'push', '--trs', '150'], nodeFlags: ['--expose-gc'], timeoutMs: 120_000 },
  { id: 'memory-server', file: 'memory-server.ts', args: () => ['--trs', String(MEMORY_TRS)], quick: ['--trs', '150'], timeoutMs: 150_000 },
  { id: 'memory-replay', file: 'memory.ts', args: (t) => ['--mode', 'replay', '--trs', String(MEMORY_TRS), '--run', longRun(t, MEMORY_TRS)], quick: ['--mode', 'replay', '--trs', '150'], nodeFlags: ['--expose-gc'], timeoutMs: 120_000 },
  { id: 'motion', file: 'motion.ts', args: () => [], quick: ['--passes', '5'], timeoutMs: 120_000 },
  { id: 'recon', file: 'recon.ts', args: () => [], quick: ['--sizes', '64', '--backends', 'wasm', '--seconds', '1', '--skip-worker'], timeoutMs: 600_000 },
  { id: 'recon-live', file: 'recon-live.ts', args: () => [], quick: ['--skip-cnn', '--volumes', '40', '--speed', '10'], timeoutMs: 900_000 },
];

const here = path.dirname(fileURLToPath(import.meta.url));
const quick = process.argv.includes('--quick');
const only = argument('only')?.split(',');
const jsonFile = argument('json');
const chosen = benches.filter((b) => !only || only.includes(b.id) || only.includes(b.id.split('-')[0]!));
const progress = (text: string): void => void process.stderr.write(`bench: ${text}\n`);

async function main(): Promise<number> {
  const started = performance.now();
  const machine = describeMachine();
  const temp = await benchTemp('runs');
  const results: BenchResult[] = [];
  const failures: { id: string; error: string }[] = [];
  console.log(`boldstream benchmarks${quick ? ' (--quick: fewer samples, smoke run only)' : ''}, ${new Date().toISOString()}`);
  console.log(renderMachine(machine));
  try {
    // Built here rather than in the benchmarks, so that their peak RSS is the session's alone.
    const frames = quick ? [] : [...new Set(chosen.flatMap((b) => (b.id === 'throughput' ? [LONG_RUN] : b.id === 'memory-replay' ? [MEMORY_TRS] : [])))];
    for (const n of frames) {
      progress(`writing a ${n}-volume 4D NIfTI in ${temp}`);
      await writeRepeatedRun(longRun(temp, n), n);
    }
    for (const [i, bench] of chosen.entries()) {
      progress(`[${i + 1}/${chosen.length}] ${bench.id}`);
      try {
        const args = quick ? bench.quick : bench.args(temp);
        const result = await runChild(path.join(here, bench.file), { args, timeoutMs: bench.timeoutMs, ...(bench.nodeFlags ? { nodeFlags: bench.nodeFlags } : {}) });
        results.push(result);
        console.log(`\n${renderResult(result)}`);
      } catch (error) {
        failures.push({ id: bench.id, error: (error as Error).message });
        console.log(`\n${bench.id}: FAILED — ${(error as Error).message}`);
      }
    }
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(`\n${budgetSummary(results)}`);
  console.log(`\ntotal ${seconds.toFixed(0)} s; load average at end ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  if (jsonFile) {
    await writeFile(jsonFile, `${JSON.stringify({ startedAt: new Date(Date.now() - seconds * 1000).toISOString(), quick, seconds, machine, loadAtEnd: loadavg(), results, failures }, null, 2)}\n`);
    progress(`figures written to ${jsonFile}`);
  }
  return failures.length > 0 ? 1 : 0;
}

function budgetSummary(results: readonly BenchResult[]): string {
  const lines = ['budgets (docs/architecture.md, 2 cores, 64x64x27): printed, not asserted'];
  for (const result of results) {
    for (const row of result.rows) {
      const ok = verdict(row);
      if (ok === null || !row.target) continue;
      lines.push(`  ${ok ? 'met   ' : 'MISSED'}  ${result.id.padEnd(14)} ${row.label} — ${row.target.text}`);
    }
  }
  return lines.join('\n');
}

process.exitCode = await main();
