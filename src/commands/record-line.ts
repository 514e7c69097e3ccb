/**
 * One terminal line per record, for people watching a demo or a replay scroll by.
 */
import { isErrorRecord, type SessionRecord } from '../session/types.js';

const signed = (x: number, digits = 2): string => `${x >= 0 ? '+' : ''}${x.toFixed(digits)}`;

export function formatRecordLine(label: string, record: SessionRecord): string {
  const head = `${label.padEnd(9)} TR ${String(record.tr).padStart(3)}`;
  if (isErrorRecord(record)) return `${head}  ${record.error.code}: ${record.error.message}`;
  const parts = [head];
  if (record.framewise_displacement !== undefined) parts.push(`FD ${record.framewise_displacement.toFixed(3)} mm`);
  for (const [name, value] of Object.entries(record.roi)) parts.push(`${name} ${signed(value)}`);
  if (record.decoded) parts.push(`decoded ${record.decoded.label}`);
  if (record.trial) parts.push(`trial ${record.trial.index} (${record.trial.truth ?? '?'}) → ${record.trial.label} after ${record.trial.n} TR`);
  parts.push(`${(record.latencyMs.total ?? 0).toFixed(1)} ms`);
  const warnings = record.warnings.filter((w) => w.code !== 'STATS_WARMING_UP');
  if (warnings.length) parts.push(`[${warnings.map((w) => w.code).join(', ')}]`);
  return parts.join('  ');
}
