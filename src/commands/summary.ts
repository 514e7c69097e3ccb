/**
 * The few lines a person reads after a replay: how many records, how fast, how much motion.
 */
import type { TrRecord } from '../generated/boldstream.js';
import { isErrorRecord, type SessionRecord } from '../session/types.js';

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function summarise(records: readonly SessionRecord[], seconds: number): string {
  const good = records.filter((r): r is TrRecord => !isErrorRecord(r));
  const errors = records.filter(isErrorRecord);
  const totals = good.map((r) => r.latencyMs.total ?? Number.NaN).filter(Number.isFinite);
  const fd = good.map((r) => r.framewise_displacement ?? 0);
  const codes = [...new Set(errors.map((e) => e.error.code))].join(', ');
  return [
    `${records.length} records (${good.length} TRs, ${errors.length} error records${codes ? `: ${codes}` : ''}) in ${seconds.toFixed(2)} s`,
    `latency per TR: median ${percentile(totals, 50).toFixed(1)} ms, p99 ${percentile(totals, 99).toFixed(1)} ms; max FD ${fd.length ? Math.max(...fd).toFixed(3) : 'n/a'} mm`,
  ].join('\n');
}
