/** Failure kinds at the motion stage: K22 (non-finite voxels, silent failure), K25 (exact zero, a reference that does not fit), K28 (another grid). */
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config.js';
import { BoldstreamError } from '../../src/errors.js';
import { MotionCorrector, type MotionEstimate } from '../../src/preprocess/motion/index.js';
import { displacementError, loadMotionFixture, type MotionFixture } from '../fixtures/motion/fixtures.js';

let fixture: MotionFixture;
let corrector: MotionCorrector;
let reference: Float32Array;
let moved: { data: Float32Array; matrix: Float64Array };

const codes = (e: MotionEstimate): string[] => e.warnings.map((w) => w.code);
const finite = (e: MotionEstimate): boolean => Object.values(e.params).every(Number.isFinite) && Array.from(e.matrix).every(Number.isFinite);

beforeAll(() => {
  fixture = loadMotionFixture('synthetic');
  reference = fixture.reference!;
  corrector = new MotionCorrector({ grid: fixture.grid, data: reference });
  const v = fixture.volumes.find((x) => x.name === 'mixed_small')!;
  moved = { data: v.data, matrix: v.matrix! };
});

describe('K22 non-finite voxels', () => {
  it('leaves NaN and ±Inf voxels out, counts them, and still finds the motion', () => {
    const data = Float32Array.from(moved.data);
    const plane = 64 * 64;
    data.fill(NaN, 13 * plane, 14 * plane); // a lost slice
    for (let i = 0; i < data.length; i += 97) data[i] = i % 2 ? Infinity : NaN;
    const e = corrector.estimate(data);
    expect(finite(e)).toBe(true);
    expect(e.converged).toBe(true);
    expect(codes(e)).toEqual(['VOLUME_NONFINITE']);
    expect(e.warnings[0]!.message).toMatch(/\d+ voxels/);
    expect(displacementError(e.matrix, moved.matrix, fixture.grid, fixture.mask!).mean).toBeLessThan(0.1);
  });

  it('a volume of NaN gives a finite estimate that says it did not converge', () => {
    const e = corrector.estimate(new Float32Array(reference.length).fill(NaN));
    expect(finite(e)).toBe(true);
    expect(e.converged).toBe(false);
    expect(codes(e)).toEqual(expect.arrayContaining(['VOLUME_NONFINITE', 'MOTION_NOT_CONVERGED', 'REFERENCE_POOR_FIT']));
  });

  it('a constant volume (no contrast) does not crash and says so', () => {
    const e = corrector.estimate(new Float32Array(reference.length).fill(500));
    expect(finite(e)).toBe(true);
    expect(e.converged).toBe(false);
    expect(e.similarity).toBe(0);
    expect(codes(e)).toEqual(expect.arrayContaining(['MOTION_NOT_CONVERGED', 'REFERENCE_POOR_FIT']));
    expect(e.warnings.find((w) => w.code === 'MOTION_NOT_CONVERGED')!.message).toMatch(/no contrast/);
  });

  it('a registration that runs out of iterations says MOTION_NOT_CONVERGED', () => {
    const strict = new MotionCorrector({ grid: fixture.grid, data: reference }, { maxIterations: 1, levels: 1 });
    const e = strict.estimate(moved.data);
    expect(e.converged).toBe(false);
    expect(codes(e)).toContain('MOTION_NOT_CONVERGED');
  });
});

describe('K25 exact zeros and references that do not fit', () => {
  it('the reference itself gives exactly zero, flagged MOTION_SUSPICIOUS_ZERO, and realigns bit-for-bit', () => {
    const e = corrector.estimate(Float32Array.from(reference));
    expect(Object.values(e.params).every((v) => v === 0)).toBe(true);
    expect(codes(e)).toEqual(['MOTION_SUSPICIOUS_ZERO']);
    const all = Uint32Array.from({ length: reference.length }, (_, i) => i);
    expect(corrector.realign(reference, e, all)).toEqual(reference);
  });

  it('an identical but noisy volume gives ≈ 0 (< 0.02 mm) and no MOTION_SUSPICIOUS_ZERO', () => {
    const still = fixture.volumes.find((x) => x.name === 'still_noisy')!;
    const e = corrector.estimate(still.data);
    expect(displacementError(e.matrix, new Float64Array([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]), fixture.grid, fixture.mask!).mean).toBeLessThan(0.02);
    expect(codes(e)).not.toContain('MOTION_SUSPICIOUS_ZERO');
  });

  it('a volume unlike the reference (its voxels shuffled) raises REFERENCE_POOR_FIT', () => {
    const shuffled = Float32Array.from(reference);
    let seed = 1;
    for (let i = shuffled.length - 1; i > 0; i--) {
      seed = (seed * 48271) % 2147483647;
      const j = seed % (i + 1);
      [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
    }
    const e = corrector.estimate(shuffled);
    expect(finite(e)).toBe(true);
    expect(codes(e)).toContain('REFERENCE_POOR_FIT');
  });
});

describe('K28 grids, masks and options', () => {
  it('a volume of another size is a VOLUME_GRID_MISMATCH error', () => {
    expect(() => corrector.estimate(new Float32Array(10))).toThrow(BoldstreamError);
    expect(() => corrector.estimate(new Float32Array(10))).toThrow(/another voxel grid/);
  });

  it('takes a brain mask, and rejects one of the wrong size or an empty one', () => {
    const withMask = new MotionCorrector({ grid: fixture.grid, data: reference }, {}, fixture.mask);
    expect(displacementError(withMask.estimate(moved.data).matrix, moved.matrix, fixture.grid, fixture.mask!).mean).toBeLessThan(0.1);
    expect(() => new MotionCorrector({ grid: fixture.grid, data: reference }, {}, new Uint8Array(5))).toThrow(/not on the voxel grid/);
    expect(() => new MotionCorrector({ grid: fixture.grid, data: reference }, {}, new Uint8Array(reference.length))).toThrow(/selects no voxel/);
  });

  it('takes the validated config section pipeline.motion as its options', () => {
    const fromConfig = new MotionCorrector({ grid: fixture.grid, data: reference }, defaultConfig().pipeline.motion);
    expect(fromConfig.options.maxIterations).toBe(defaultConfig().pipeline.motion.maxIterations);
    expect(() => new MotionCorrector({ grid: fixture.grid, data: reference }, { toleranceMm: -1 })).toThrow(/out of range/);
  });

  it('realign gives NaN where the tissue left the field of view and rejects a short output', () => {
    const e = corrector.estimate(fixture.volumes.find((x) => x.name === 'violent_10deg')!.data);
    const all = Uint32Array.from({ length: reference.length }, (_, i) => i);
    const out = corrector.realign(reference, e, all);
    expect(out.some(Number.isNaN)).toBe(true);
    expect(out.filter(Number.isFinite).length).toBeGreaterThan(0.8 * out.length);
    expect(() => corrector.realign(reference, e, all, new Float32Array(3))).toThrow(RangeError);
  });
});
