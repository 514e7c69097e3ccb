/**
 * K20 The TR is wrong, 0, in ms though labelled seconds, or unlike the real spacing of volumes. The
 * rule: the spec's TR, else the BIDS sidecar, else the header with unit sanity; and a warning when a
 * live source's volumes arrive at another pace than that TR.
 *
 * The rule itself is proved elsewhere (cited in docs/failure-kinds.md): test/unit/nifti-headers.test.ts
 * "K20 repetition time from the header" (ms, µs, "2000 s", 0, a 4th axis in Hz), test/unit/bids.test.ts
 * "K20 the sidecar RepetitionTime wins over the header, with BIDS_TR_DISAGREE when they differ", and
 * test/unit/replay-source.test.ts "K20 a BIDS run takes its TR from the sidecar". Here: arrival.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeNifti } from '../../src/ingest/nifti/index.js';
import { ArrivalMonitor } from '../../src/pipeline/watch-arrival.js';
import { isErrorRecord } from '../../src/session/types.js';
import { blobData, sleep, smallGrid, startSession, TempDirs, until } from '../helpers/kind-fixtures.js';

const temp = new TempDirs();
afterAll(() => temp.removeAll());

const T0 = 1_750_000_000_000;

describe('K20 arrival pace against the repetition time', () => {
  const paced = (monitor: ArrivalMonitor, tr: number, arrivals: readonly number[]) =>
    arrivals.flatMap((s, t) => monitor.observe({ tr: t, runTime: t * tr, repetitionTime: tr, acquisitionTime: null, receivedAt: T0 + s * 1000 }).filter((n) => n.warning.code === 'TR_ARRIVAL_DISAGREE').map((n) => ({ t, n })));

  it('K20 volumes every 1.5 s under a header TR of 2 s: TR_ARRIVAL_DISAGREE once, after 8 intervals, naming both', () => {
    const told = paced(new ArrivalMonitor(), 2, Array.from({ length: 20 }, (_, t) => 1.5 * t + 0.02 * (t % 3)));
    expect(told.map((x) => x.t)).toEqual([8]);
    expect(told[0]!.n.warning.message).toMatch(/every 1\.5\d s, the repetition time is 2 s/);
    expect(told[0]!.n.level).toBe('warn');
  });

  it('K20 the pace of the TR, with jitter, a stall and the burst after it, says nothing', () => {
    const arrivals = Array.from({ length: 30 }, (_, t) => (t >= 10 && t < 15 ? 30.4 : 2 * t + 0.4 + 0.1 * Math.sin(t)));
    expect(paced(new ArrivalMonitor(), 2, arrivals)).toEqual([]);
  });

  it('K20 a replay pushed as fast as it goes is not a pace to compare', () => {
    expect(paced(new ArrivalMonitor(), 2, Array.from({ length: 30 }, (_, t) => 0.004 * t))).toEqual([]);
  });
});

describe('K20 in a watched export of single-volume NIfTIs', () => {
  /** Writes `count` single-volume NIfTIs with header TR `headerTr` (pixdim[4], labelled seconds) every `everyMs`. */
  async function exportAt(headerTr: number, everyMs: number, count: number) {
    const dir = temp.make('pace');
    writeFileSync(path.join(dir, 'README.txt'), 'export folder\n');
    const watched = await startSession({ id: `pace-${headerTr}`, source: { kind: 'watch', path: dir }, masks: [], events: [] }, { watch: { pollMs: 20 } });
    await until(() => watched.statuses.some((s) => s.detail.includes('when watching started')), 'the first listing');
    const start = Date.now();
    for (let t = 0; t < count; t++) {
      await sleep(start + t * everyMs - Date.now());
      writeFileSync(path.join(dir, `f${String(t).padStart(3, '0')}.nii`), writeNifti({ grid: smallGrid(), data: blobData({ seed: t + 1 }), repetitionTime: headerTr }));
    }
    await until(() => watched.records.length === count, `${count} records`);
    await watched.session.stop();
    expect(watched.records.filter(isErrorRecord)).toEqual([]);
    return watched;
  }

  it('K20 "250 s" in the header is read as 250 ms (HEADER_TR_UNITS), which is the pace they come at: no TR_ARRIVAL_DISAGREE', async () => {
    const watched = await exportAt(250, 250, 11);
    expect(watched.records[0]!.warnings!.map((w) => w.code)).toContain('HEADER_TR_UNITS');
    expect(watched.statuses.filter((s) => s.detail.startsWith('TR_ARRIVAL_DISAGREE'))).toEqual([]);
  });

  it('K20 a header TR of 0.6 s for files that come every 0.25 s: TR_ARRIVAL_DISAGREE told to clients as status, once', async () => {
    const watched = await exportAt(0.6, 250, 11);
    const told = watched.statuses.filter((s) => s.detail.startsWith('TR_ARRIVAL_DISAGREE'));
    expect(told).toHaveLength(1);
    expect(told[0]!.detail).toMatch(/the repetition time is 0\.6 s/);
    // Records stay what the files make of them: no arrival warning in them.
    expect(watched.records.flatMap((r) => r.warnings ?? []).map((w) => w.code)).not.toContain('TR_ARRIVAL_DISAGREE');
  });
});
