/**
 * K14 A missing volume: a gap record in its place, later TRs keep their indices. K24 Dummy scans at the
 * start: discarded by count, the reference is the first volume after them, indices are not renumbered
 * (invariant 3). On the rt-cloud export replayed from a folder, the path a live export takes too.
 *
 * The sequencer's rules on a virtual clock are in test/unit/sequence-volumes.test.ts ("K14 a missing
 * volume becomes a gap record after the wait, and later TRs keep their index", "K14 … as soon as
 * `window` newer volumes have come", "K24 dummy scans are discarded by index and TR indices are not
 * renumbered").
 */
import { copyFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { TrRecord } from '../../src/generated/boldstream.js';
import { type ErrorRecord, isErrorRecord } from '../../src/session/types.js';
import { rtFile, rtName, startSession, TempDirs } from '../helpers/kind-fixtures.js';

const temp = new TempDirs();
afterAll(() => temp.removeAll());

/** A copy of the rt-cloud export folder holding only the given instances (0 is the byte copy of 10). */
function exportWith(instances: readonly number[]): string {
  const dir = temp.make('export');
  for (const n of instances) copyFileSync(rtFile(n), path.join(dir, rtName(n)));
  return dir;
}

const motionless = (r: TrRecord): boolean => Object.entries(r.motion!).every(([k, v]) => k === 'matrix' || v === 0);

describe('K14 a missing volume', () => {
  it('K14 instance 5 lost from the export: TR 4 is a VOLUME_MISSING record in its place, TRs 5-9 keep their indices', async () => {
    const replay = await startSession({ id: 'gap', source: { kind: 'replay', path: exportWith([0, 1, 2, 3, 4, 6, 7, 8, 9, 10]), speed: 0 }, masks: [], events: [] });
    expect((await replay.ended).state).toBe('ended');
    expect(replay.records.map((r) => r.tr)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(replay.records.filter(isErrorRecord).map((r) => [r.tr, r.error.code])).toEqual([[4, 'VOLUME_MISSING']]);
    // No volume, so no time of arrival or acquisition is invented for the gap.
    const gap = replay.records[4] as ErrorRecord;
    expect(gap.receivedAt).toBeUndefined();
    expect(gap.acquisitionTime).toBeUndefined();
    // The scanner clock of the TRs after the gap is theirs: still 1.5 s per index.
    const good = replay.records.filter((r): r is TrRecord => !isErrorRecord(r));
    for (const r of good) expect(r.acquisitionTime! - good[0]!.acquisitionTime!).toBeCloseTo(1.5 * r.tr, 3);
  });
});

describe('K24 dummy scans', () => {
  it('K24 two dummy scans: TRs 0 and 1 discarded by count and said so, TR 2 is the reference, indices unchanged', async () => {
    const replay = await startSession({ id: 'dummies', source: { kind: 'replay', path: exportWith([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), speed: 0 }, masks: [], events: [], dummyScans: 2 });
    expect((await replay.ended).state).toBe('ended');
    const records = replay.records as TrRecord[];
    expect(records.filter(isErrorRecord)).toEqual([]);
    expect(records.map((r) => r.tr)).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    expect(records[0]!.warnings.filter((w) => w.code === 'VOLUME_DUMMY').map((w) => w.message)).toEqual([expect.stringMatching(/TR 0$/), expect.stringMatching(/TR 1$/)]);
    // The reference is TR 2: its motion is zero by definition (and not flagged as suspicious), the next TR's is not.
    expect(motionless(records[0]!)).toBe(true);
    expect(records[0]!.warnings.map((w) => w.code)).not.toContain('MOTION_SUSPICIOUS_ZERO');
    expect(records.slice(1).some((r) => !motionless(r))).toBe(true);
    // Statistics warm up from the reference on, not from the discarded scans.
    expect(records.map((r) => r.warnings.some((w) => w.code === 'STATS_WARMING_UP'))).toEqual([true, true, true, true, false, false, false, false]);
  });
});
