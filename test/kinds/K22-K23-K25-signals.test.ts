/**
 * K22 NaN/Inf voxels and registration that fails silently, K23 zero-variance voxels and too few volumes,
 * K25 a reference that does not fit and motion that is exactly zero: explicit, never silent (invariant 6).
 *
 * Proved elsewhere (cited in docs/failure-kinds.md): test/integration/bad-input.test.ts "K22 NaN and
 * infinite voxels in a pushed volume give a VOLUME_NONFINITE warning and finite outputs" and "K22 a
 * volume that is all NaN is an error record, never a feedback value of 0"; test/unit/temporal.test.ts
 * "K23 a constant voxel gives 0, never NaN, …" and "K22 a non-finite sample is skipped for its voxel
 * and counted"; test/unit/motion-edge.test.ts "K22 non-finite voxels" and "K25 exact zeros and
 * references that do not fit". Here: the same seen in the records of a session.
 */
import { describe, expect, it } from 'vitest';
import type { TrRecord } from '../../src/generated/boldstream.js';
import { readNiftiFile } from '../../src/ingest/nifti/index.js';
import { isErrorRecord } from '../../src/session/types.js';
import { blobData, recordsOf, smallVolume, volumeOf } from '../helpers/kind-fixtures.js';
import { dataPath } from '../helpers/paths.js';

const codes = (r: TrRecord): string[] => r.warnings.map((w) => w.code);
const motionOf = (r: TrRecord): number[] => ['trans_x', 'trans_y', 'trans_z', 'rot_x', 'rot_y', 'rot_z'].map((k) => r.motion![k as 'trans_x']);

describe('K23 too few volumes for statistics', () => {
  it('K23 the first records say STATS_WARMING_UP (quality.warmingUp) with ROI values of 0, never NaN; from the 5th volume on they do not', async () => {
    const records = (await recordsOf([0, 1, 2, 3, 4, 5, 6].map((t) => volumeOf(smallVolume(t))), { pipeline: { temporal: { warmupVolumes: 5, detrend: true, baselineLagVolumes: 10 } } })) as TrRecord[];
    expect(records.filter(isErrorRecord)).toEqual([]);
    expect(records.map((r) => r.quality!.warmingUp)).toEqual([true, true, true, true, false, false, false]);
    expect(records.map((r) => codes(r).includes('STATS_WARMING_UP'))).toEqual([true, true, true, true, false, false, false]);
    for (const r of records.slice(0, 4)) expect(r.roi.brain).toBe(0);
    for (const r of records) expect(Number.isFinite(r.roi.brain)).toBe(true);
    expect(records[1]!.warnings.find((w) => w.code === 'STATS_WARMING_UP')!.message).toMatch(/2 of 5 volumes seen/);
  });
});

describe('K25 a reference that does not fit, motion that is exactly zero', () => {
  it('K25 a first volume of another contrast (the real run with its brain contrast inverted) becomes the reference; every later TR says REFERENCE_POOR_FIT', async () => {
    const run = await readNiftiFile(dataPath('rtcloud-faces', 'rtcloud_faces_run01.nii.gz'));
    const first = run.frame(0);
    const p98 = Float32Array.from(first).sort()[Math.floor(first.length * 0.98)]!;
    // Tissue dark where it was bright: what a reference from another sequence looks like to a correlation.
    const otherContrast = first.map((v) => (v > 0.25 * p98 ? 1.2 * p98 - v : v));
    const volumes = [0, 1, 2, 3, 4].map((t) => smallVolume(t, { grid: run.grid, data: t === 0 ? otherContrast : Float32Array.from(run.frame(t)) }));
    const records = (await recordsOf(volumes.map(volumeOf))) as TrRecord[];
    expect(records.filter(isErrorRecord)).toEqual([]);
    expect(records.map((r) => codes(r).includes('REFERENCE_POOR_FIT'))).toEqual([false, true, true, true, true]);
    for (const r of records.slice(1)) expect(r.quality!.similarity).toBeLessThan(0.7);
  });

  it('K25 a later volume that is the reference again (a copy sent twice under another index) has motion of exactly zero, flagged MOTION_SUSPICIOUS_ZERO; the reference itself is not', async () => {
    const reference = blobData({ seed: 1 });
    const volumes = [0, 1, 2, 3, 4].map((t) => smallVolume(t, { data: t === 3 ? Float32Array.from(reference) : t === 0 ? reference : blobData({ seed: t + 1, shift: 0.3 }) }));
    const records = (await recordsOf(volumes.map(volumeOf))) as TrRecord[];
    expect(records.map((r) => codes(r).includes('MOTION_SUSPICIOUS_ZERO'))).toEqual([false, false, false, true, false]);
    expect(motionOf(records[3]!)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(motionOf(records[0]!)).toEqual([0, 0, 0, 0, 0, 0]);
    for (const t of [1, 2, 4]) expect(motionOf(records[t]!).some((v) => v !== 0), `TR ${t}`).toBe(true);
  });
});

describe('K22 non-finite voxels in records', () => {
  it('K22 NaN and ±Inf voxels are counted in quality.nonfiniteVoxels and said (VOLUME_NONFINITE); every number in the records stays finite', async () => {
    const damaged = blobData({ seed: 3 });
    for (let v = 600; v < 640; v++) damaged[v] = v % 3 === 0 ? Number.NaN : v % 3 === 1 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
    const volumes = [0, 1, 2, 3, 4, 5].map((t) => smallVolume(t, t === 2 ? { data: damaged } : {}));
    const records = (await recordsOf(volumes.map(volumeOf))) as TrRecord[];
    expect(records.map((r) => r.quality!.nonfiniteVoxels)).toEqual([0, 0, 40, 0, 0, 0]);
    expect(records.map((r) => codes(r).includes('VOLUME_NONFINITE'))).toEqual([false, false, true, false, false, false]);
    const text = JSON.stringify(records, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? `<not finite: ${v}>` : v));
    expect(text).not.toContain('<not finite');
  });
});
