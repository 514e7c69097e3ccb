/**
 * K26 Clocks: the scanner and the server keep different clocks, a run may cross midnight, the first
 * trigger may be missed. Both times stay on every volume and record as their own clock gave them;
 * the run clock follows the scanner; the skew between the two is measured and told, never used to
 * convert one into the other.
 */
import { copyFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { TrRecord } from '../../src/generated/boldstream.js';

import { ArrivalMonitor, serverSecondsOfDay } from '../../src/pipeline/watch-arrival.js';
import { isErrorRecord } from '../../src/session/types.js';
import { python } from '../helpers/dicom-fixtures.js';
import {
  codesOf,
  labelOf,
  processItems,
  recordsOf,
  rtFile,
  smallGrid,
  smallVolume,
  startSession,
  TempDirs,
  until,
  volumeOf,
} from '../helpers/kind-fixtures.js';

const temp = new TempDirs();
afterAll(() => temp.removeAll());

/** Epoch ms at which the server's local clock reads `seconds` after today's midnight. */
function serverTimeAt(seconds: number): number {
  const midnight = new Date();
  midnight.setHours(0, 0, 0, 0);
  return midnight.getTime() + seconds * 1000;
}

describe('K26 both times on every volume, each from its own clock', () => {
  it('K26 every record carries the scanner acquisitionTime and the server receivedAt exactly as they came; an error record from a stage too', async () => {
    const volumes = [0, 1, 2, 3].map((t) =>
      smallVolume(t, {
        acquisitionTime: 45_000.25 + 2 * t,
        receivedAt: 1_700_000_000_000 + 7_777 + t * 2_000,
        // TR 2 on another grid: an error record, which still says when it was acquired and received.
        ...(t === 2 ? { grid: { ...smallGrid(), dims: [16, 16, 7] as [number, number, number] }, data: new Float32Array(16 * 16 * 7) } : {}),
      }),
    );
    const records = await recordsOf(volumes.map(volumeOf));
    expect(records.map((r) => r.tr)).toEqual([0, 1, 2, 3]);
    expect(isErrorRecord(records[2]!) && records[2].error.code).toBe('VOLUME_GRID_MISMATCH');
    for (const [t, record] of records.entries()) {
      expect(record.acquisitionTime, `TR ${t}`).toBe(45_000.25 + 2 * t);
      expect(record.receivedAt, `TR ${t}`).toBe(1_700_000_000_000 + 7_777 + t * 2_000);
    }
  });

  it('K26 a run that crosses midnight is unwrapped on the run clock; acquisition times stay as the scanner wrote them', async () => {
    // 23:59:57, 23:59:59, then 00:00:01, 00:00:03 on the scanner.
    const times = [86_397, 86_399, 1, 3];
    const out = await processItems(times.map((a, t) => volumeOf(smallVolume(t, { acquisitionTime: a }))));
    const trs = out.items.flatMap((i) => (i.kind === 'tr' ? [i.ctx] : []));
    expect(trs.map((c) => c.runTime)).toEqual([0, 2, 4, 6]);
    expect(trs.map((c) => c.volume.acquisitionTime)).toEqual(times);
    expect(out.items.flatMap(codesOf)).not.toContain('CLOCK_DISAGREES');
  });

  it('K26 a missed first trigger: TR 0 is a gap record, and TR 1 sits at 1 × TR on the run clock, not at 0', async () => {
    const out = await processItems([1, 2, 3].map((t) => volumeOf(smallVolume(t, { acquisitionTime: 50_000 + 2 * t }))));
    expect(out.items.map(labelOf)).toEqual(['VOLUME_MISSING 0', 'v1', 'v2', 'v3']);
    expect(out.items.flatMap((i) => (i.kind === 'tr' ? [i.ctx.runTime] : []))).toEqual([2, 4, 6]);
  });

  it('K26 a scanner time far from index × TR is said (CLOCK_DISAGREES), and the run clock follows the scanner', async () => {
    // TR 3's acquisition time is 5 s late (a volume taken from the wrong slice or a clock jump).
    const times = [60_000, 60_002, 60_004, 60_011, 60_008];
    const out = await processItems(times.map((a, t) => volumeOf(smallVolume(t, { acquisitionTime: a }))));
    const trs = out.items.flatMap((i) => (i.kind === 'tr' ? [i.ctx] : []));
    expect(trs.map((c) => c.runTime)).toEqual([0, 2, 4, 11, 8]);
    expect(trs.map((c) => c.warnings.some((w) => w.code === 'CLOCK_DISAGREES'))).toEqual([false, false, false, true, false]);
  });
});

describe('K26 the acquisition time of a volume is the start of its acquisition', () => {
  it('K26 a mosaic carries its AcquisitionTime (its first slice), not ContentTime or InstanceCreationTime; read independently with pydicom', async () => {
    const times = JSON.parse(
      python(
        `import sys, json, pydicom
def s(t): return int(t[0:2]) * 3600 + int(t[2:4]) * 60 + float(t[4:])
out = []
for f in sys.argv[1:]:
    ds = pydicom.dcmread(f, stop_before_pixels=True)
    out.append([int(ds.InstanceNumber), s(ds.AcquisitionTime), s(ds.ContentTime), s(ds.InstanceCreationTime)])
print(json.dumps(out))`,
        ...[1, 2, 3].map(rtFile),
      ),
    ) as [number, number, number, number][];
    const dir = temp.make('times');
    for (const n of [1, 2, 3]) copyFileSync(rtFile(n), path.join(dir, `vol-${n}.dcm`));
    const replay = await startSession({ id: 'times', source: { kind: 'replay', path: dir, speed: 0 }, masks: [], events: [] });
    await replay.ended;
    expect(replay.records.map((r) => r.acquisitionTime)).toEqual(times.map(([, acquisition]) => Math.round(acquisition * 1e4) / 1e4));
    // The other clocks of the header are seconds later: taking one of them would shift the run clock.
    for (const [, acquisition, content, created] of times) expect(Math.min(content, created) - acquisition).toBeGreaterThan(1);
  });
});

describe('K26 skew between the scanner and server clocks is measured, never silently mixed', () => {
  const sample = (tr: number, acquisitionTime: number, arrivedAtServerSecond: number) => ({ tr, runTime: tr * 2, repetitionTime: 2, acquisitionTime, receivedAt: serverTimeAt(arrivedAtServerSecond) });

  it('K26 the skew is server arrival minus scanner acquisition, told at once and again when a faster arrival lowers it', () => {
    const monitor = new ArrivalMonitor();
    const first = monitor.observe(sample(0, 36_000, 36_003.2));
    expect(first.map((n) => [n.warning.code, n.level])).toEqual([['CLOCK_SKEW', 'info']]);
    expect(first[0]!.warning.message).toMatch(/\+3\.20 s at TR 0/);
    expect(first[0]!.detail).toMatch(/^CLOCK_SKEW: /);
    // Slower arrivals, or faster by less than half a second: nothing new to tell.
    expect(monitor.observe(sample(1, 36_002, 36_005.9))).toEqual([]);
    expect(monitor.observe(sample(2, 36_004, 36_006.8))).toEqual([]);
    const lower = monitor.observe(sample(3, 36_006, 36_008.1));
    expect(lower[0]!.warning.message).toMatch(/\+2\.10 s at TR 3/);
  });

  it('K26 the skew is taken the short way round midnight, and a scanner clock ahead of the server is a warning', () => {
    const acrossMidnight = new ArrivalMonitor().observe(sample(0, 86_399.5, 1));
    expect(acrossMidnight[0]!.warning.message).toMatch(/\+1\.50 s/);
    const ahead = new ArrivalMonitor().observe(sample(0, 36_030, 36_000.5));
    expect(ahead[0]!.level).toBe('warn');
    expect(ahead[0]!.warning.message).toMatch(/−29\.50 s .*scanner clock is ahead/);
  });

  it('K26 measured in the pipeline of a live source, and nothing of it enters the records', async () => {
    const volumes = [0, 1, 2].map((t) => smallVolume(t, { acquisitionTime: 30_000 + 2 * t, receivedAt: serverTimeAt(30_000 + 2 * t + 4.5) }));
    const live = await processItems(volumes.map(volumeOf), { watchArrival: true });
    expect(live.arrival.map((n) => n.warning.code)).toEqual(['CLOCK_SKEW']);
    expect(live.arrival[0]!.warning.message).toMatch(/\+4\.50 s/);
    const replay = await processItems(volumes.map(volumeOf));
    expect(live.items.map(codesOf)).toEqual(replay.items.map(codesOf));
  });

  it('K26 a watched export session tells its clients the measured skew as status; the value is what the records’ two times give', async () => {
    const dir = temp.make('skew');
    writeFileSync(path.join(dir, 'README.txt'), 'export folder\n');
    const watched = await startSession({ id: 'skew', source: { kind: 'watch', path: dir }, masks: [], events: [] }, { watch: { pollMs: 50 } });
    await until(() => watched.statuses.some((s) => s.detail.includes('when watching started')), 'the first listing');
    for (const n of [1, 2, 3]) copyFileSync(rtFile(n), path.join(dir, `vol-${n}.dcm`));
    await until(() => watched.records.length === 3, 'three records');
    await watched.session.stop();

    expect(watched.records.filter(isErrorRecord)).toEqual([]);
    const records = watched.records as TrRecord[];
    const delays = records.map((r) => {
      let d = serverSecondsOfDay(r.receivedAt!) - r.acquisitionTime!;
      d -= 86_400 * Math.round(d / 86_400);
      return d;
    });
    const skews = watched.statuses.filter((s) => s.detail.startsWith('CLOCK_SKEW')).map((s) => Number(/([+−])(\d+\.\d+) s/.exec(s.detail)!.slice(1).join('').replace('−', '-')));
    expect(skews.length).toBeGreaterThanOrEqual(1);
    // The first value told is TR 0's delay; the last is within the half second of the smallest seen
    // (to the 0.01 s the message gives; records round acquisitionTime to 0.1 ms).
    expect(Math.abs(skews[0]! - delays[0]!)).toBeLessThan(0.006);
    expect(skews.at(-1)!).toBeGreaterThan(Math.min(...delays) - 0.006);
    expect(skews.at(-1)!).toBeLessThan(Math.min(...delays) + 0.5);
    expect(records.every((r) => r.warnings.every((w) => w.code !== 'CLOCK_SKEW'))).toBe(true);
  });
});
