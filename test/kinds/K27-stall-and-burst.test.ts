/**
 * K27 Jitter, stalls, bursts: the export stops for a while, then delivers what it held back all at
 * once. A stall warning comes after the configured deadline; the burst is processed in TR order with
 * the run clock of the scanner (not of arrival); live consumers are told that records are behind,
 * before the first late record, and told again when the session has caught up.
 *
 * (test/unit/watch-folder.test.ts "K27 a stall is reported once per stall, and a burst after it comes
 * out in header order" proves the source's half: one notice per stall, a burst sorted within a poll.)
 */
import { copyFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { TrRecord } from '../../src/generated/boldstream.js';
import { ArrivalMonitor } from '../../src/pipeline/watch-arrival.js';
import { isErrorRecord } from '../../src/session/types.js';
import { labelOf, processItems, rtFile, RT_TR, sleep, smallVolume, startSession, TempDirs, until, volumeOf } from '../helpers/kind-fixtures.js';

const temp = new TempDirs();
afterAll(() => temp.removeAll());

const T0 = 1_750_000_000_000;

describe('K27 the arrival clock against the TR clock', () => {
  /** TR t acquired at 2t s on the scanner, received `late` s after its slot on the server. */
  const at = (t: number, late: number) => ({ tr: t, runTime: 2 * t, repetitionTime: 2, acquisitionTime: null, receivedAt: T0 + (2 * t + late) * 1000 });

  it('K27 on-time volumes say nothing; a burst after a stall is behind from its first TR, and caught up once a TR is within one TR of its slot', () => {
    const monitor = new ArrivalMonitor();
    const news: [number, string][] = [];
    const see = (t: number, late: number) => monitor.observe(at(t, late)).forEach((n) => news.push([t, n.detail.split(':')[0]!]));
    for (let t = 0; t < 5; t++) see(t, 0.3 + 0.05 * (t % 2)); // jitter of 50 ms
    expect(news).toEqual([]);
    // The export stalls after TR 4; at 19.5 s TRs 5-9 come at once (their slots: 10-18 s).
    for (let t = 5; t < 10; t++) see(t, 19.5 - 2 * t);
    see(10, 0.3);
    expect(news).toEqual([
      [5, 'behind'],
      [9, 'caught up'],
    ]);
  });

  it('K27 a replay pushed as fast as it goes, or a run joined late, is never "behind"', () => {
    const monitor = new ArrivalMonitor();
    for (let t = 0; t < 30; t++) expect(monitor.observe({ ...at(t, 0), receivedAt: T0 + t }), `TR ${t}`).toEqual([]);
  });

  it('K27 a burst out of order is processed in TR order, each TR on the scanner clock, with the stall warning on the first record after it', async () => {
    const vol = (t: number, late: number) => volumeOf(smallVolume(t, { acquisitionTime: 30_000 + 2 * t, receivedAt: T0 + (2 * t + late) * 1000 }));
    const stalled = { kind: 'notice', warning: { code: 'SOURCE_STALLED', message: 'no new volume for 10.0 s' } } as const;
    // Stalled after TR 1; at 9 s TRs 4, 2, 3 come in one go (their slots: 4-8 s); then on time again.
    const out = await processItems([vol(0, 0.3), vol(1, 0.3), stalled, vol(4, 1), vol(2, 5), vol(3, 3), vol(5, 0.3), vol(6, 0.3)], { watchArrival: true });
    expect(out.items.map(labelOf)).toEqual(['v0', 'v1', 'v2', 'v3', 'v4', 'v5', 'v6']);
    const trs = out.items.flatMap((i) => (i.kind === 'tr' ? [i.ctx] : []));
    expect(trs.map((c) => c.runTime)).toEqual([0, 2, 4, 6, 8, 10, 12]);
    expect(trs.map((c) => c.warnings.some((w) => w.code === 'SOURCE_STALLED'))).toEqual([false, false, true, false, false, false, false]);
    const lateness = out.arrival.filter((n) => n.warning.code === 'SOURCE_BEHIND');
    expect(lateness.map((n) => n.detail.replace(/: .*/, ''))).toEqual(['behind', 'caught up']);
    expect(lateness[0]!.detail).toMatch(/^behind: TR 2 arrived 4\.7 s \(2\.4 TRs\)/);
    expect(lateness[1]!.detail).toMatch(/^caught up: TR 4/);
  });
});

describe('K27 a watched export that stalls, then bursts', () => {
  it('K27 stall warning after the deadline, "behind" before the first late record, the burst in TR order on the scanner clock, then "caught up"', async () => {
    const dir = temp.make('stall');
    writeFileSync(path.join(dir, 'README.txt'), 'export folder\n');
    const stallWarningMs = 1500;
    const watched = await startSession({ id: 'stall', source: { kind: 'watch', path: dir }, masks: [], events: [] }, { watch: { pollMs: 50, stallWarningMs } });
    await until(() => watched.statuses.some((s) => s.detail.includes('when watching started')), 'the first listing');
    const write = (instance: number) => copyFileSync(rtFile(instance), path.join(dir, `img-${(instance * 7919) % 101}`));

    // TR 0 and TR 1 at the scanner's pace.
    const start = Date.now();
    write(1);
    await until(() => watched.records.length === 1, 'TR 0');
    await sleep(start + RT_TR * 1000 - Date.now());
    write(2);
    await until(() => watched.records.length === 2, 'TR 1');
    await until(() => watched.statuses.some((s) => s.detail === 'stalled'), 'the stall warning');
    // The export held TRs 2-5 back; they come at once, shuffled, when TR 5's slot is reached.
    await sleep(start + 5 * RT_TR * 1000 - Date.now());
    for (const instance of [5, 3, 6, 4]) write(instance);
    await until(() => watched.records.length === 6, 'the burst');
    await sleep(start + 6 * RT_TR * 1000 - Date.now());
    write(7);
    await until(() => watched.records.length === 7, 'TR 6, on time');
    await watched.session.stop();

    const records = watched.records as TrRecord[];
    expect(records.filter(isErrorRecord)).toEqual([]);
    expect(records.map((r) => r.tr)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    // The TR clock is the scanner's: 1.5 s steps, whatever the arrival.
    records.slice(1).forEach((r, i) => expect(r.acquisitionTime! - records[i]!.acquisitionTime!).toBeCloseTo(RT_TR, 3));
    // The stall: said once, not before its deadline, as status at once and on the first record after it.
    const stalls = watched.statuses.filter((s) => s.detail === 'stalled');
    expect(stalls).toHaveLength(1);
    expect(stalls[0]!.at - records[1]!.receivedAt!).toBeGreaterThanOrEqual(stallWarningMs);
    expect(stalls[0]!.afterRecords).toBe(2);
    expect(records.map((r) => r.warnings.some((w) => w.code === 'SOURCE_STALLED'))).toEqual([false, false, true, false, false, false, false]);
    // Consumers: "behind" before TR 2's record, "caught up" by the end of the burst, before TR 6.
    const behind = watched.statuses.filter((s) => s.detail.startsWith('behind:'));
    const caughtUp = watched.statuses.filter((s) => s.detail.startsWith('caught up:'));
    expect(behind.map((s) => s.afterRecords)).toEqual([2]);
    expect(behind[0]!.detail).toMatch(/TR 2 arrived \d+\.\d s/);
    expect(caughtUp).toHaveLength(1);
    expect(caughtUp[0]!.afterRecords).toBeGreaterThan(2);
    expect(caughtUp[0]!.afterRecords).toBeLessThanOrEqual(6);
    const stalledAt = watched.statuses.indexOf(stalls[0]!);
    expect(watched.statuses.indexOf(behind[0]!)).toBeGreaterThan(stalledAt);
  });
});
