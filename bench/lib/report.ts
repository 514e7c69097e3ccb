/**
 * What each benchmark hands back, and how it is printed. A row is either a distribution of samples
 * (n, median, mean, p99, max) or one figure (a rate, a peak); a target is printed beside the figure it is
 * about and judged, never asserted: the numbers depend on the machine and on what else runs on it.
 */
import { type Summary, summarise } from './stats.js';

export type Unit = 'ms' | 'vol/s' | 'MB' | 's';

export interface Target {
  /** As printed, e.g. "p99 ≤ 25 ms". */
  readonly text: string;
  readonly on: 'median' | 'p99' | 'max' | 'value';
  readonly atMost?: number;
  readonly atLeast?: number;
}

export interface Row {
  readonly label: string;
  readonly unit: Unit;
  readonly summary?: Summary;
  readonly value?: number;
  readonly target?: Target;
}

export interface BenchResult {
  readonly id: string;
  readonly title: string;
  readonly rows: readonly Row[];
  readonly notes: readonly string[];
  /** Wall time of the benchmark, seconds. */
  readonly seconds: number;
  /** CPU time of its process (all threads, not a server child), seconds: well below `seconds` means it waited or was descheduled. */
  readonly cpuSeconds: number;
  /** 1-minute load average when it started and ended: other work on the machine stretches wall times. */
  readonly load: readonly [number, number];
}

export const dist = (label: string, unit: Unit, samples: readonly number[], target?: Target): Row => ({ label, unit, summary: summarise(samples), ...(target ? { target } : {}) });

export const single = (label: string, unit: Unit, value: number, target?: Target): Row => ({ label, unit, value, ...(target ? { target } : {}) });

/** true/false when the row has a target it can be judged against, null otherwise. */
export function verdict(row: Row): boolean | null {
  const t = row.target;
  if (!t) return null;
  const x = t.on === 'value' ? row.value : row.summary?.[t.on];
  if (x === undefined || !Number.isFinite(x)) return null;
  return (t.atMost === undefined || x <= t.atMost) && (t.atLeast === undefined || x >= t.atLeast);
}

const fmt = (x: number | undefined, unit: Unit): string => {
  if (x === undefined || !Number.isFinite(x)) return '';
  if (unit === 'vol/s' || unit === 'MB') return x.toFixed(x < 10 ? 1 : 0);
  return x < 0.1 ? x.toFixed(3) : x < 100 ? x.toFixed(2) : x.toFixed(1);
};

const LABEL = 50;
const NUM = 9;

export function renderResult(result: BenchResult): string {
  const lines = [`${result.title}`, `  (${result.seconds.toFixed(1)} s wall, ${result.cpuSeconds.toFixed(1)} s CPU in this process; load ${result.load[0].toFixed(2)} → ${result.load[1].toFixed(2)})`];
  lines.push(`  ${'figure'.padEnd(LABEL)}${'n'.padStart(6)}${['median', 'mean', 'p99', 'max'].map((h) => h.padStart(NUM)).join('')}  unit   target`);
  for (const row of result.rows) {
    const s = row.summary;
    const numbers = s
      ? `${String(s.n).padStart(6)}${[s.median, s.mean, s.p99, s.max].map((x) => fmt(x, row.unit).padStart(NUM)).join('')}`
      : `${''.padStart(6)}${fmt(row.value, row.unit).padStart(NUM)}${''.padStart(3 * NUM)}`;
    const ok = verdict(row);
    const target = row.target ? `${row.target.text}${ok === null ? '' : ok ? '  met' : '  MISSED'}` : '';
    lines.push(`  ${row.label.padEnd(LABEL)}${numbers}  ${row.unit.padEnd(6)} ${target}`.trimEnd());
  }
  for (const note of result.notes) lines.push(`  · ${note}`);
  return lines.join('\n');
}
