/**
 * Known motion of a real volume: scipy's cubic B-spline (an independent resampler) moves the first
 * rtcloud volume by known rigid transforms and adds Gaussian noise (tSNR 50–100 of the brain mean);
 * the estimator must find those transforms. See test/fixtures/motion/make_motion_fixtures.py.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { maxAbsDiff } from '../../src/geometry/mat4.js';
import { MotionCorrector, paramsToMatrix, type MotionEstimate, type RigidParams } from '../../src/preprocess/motion/index.js';
import { displacementError, loadMotionFixture, type MotionFixture } from '../fixtures/motion/fixtures.js';

const deg = 180 / Math.PI;
const LARGE = 'violent_10deg';

let fixture: MotionFixture;
let corrector: MotionCorrector;
const estimates = new Map<string, MotionEstimate>();
const errors = new Map<string, { mean: number; max: number }>();

beforeAll(() => {
  fixture = loadMotionFixture('synthetic');
  corrector = new MotionCorrector({ grid: fixture.grid, data: fixture.reference! });
  for (const v of fixture.volumes) {
    const e = corrector.estimate(v.data);
    estimates.set(v.name, e);
    errors.set(v.name, displacementError(e.matrix, v.matrix!, fixture.grid, fixture.mask!));
  }
  const rows = fixture.volumes.map((v) => {
    const p = estimates.get(v.name)!.params;
    const err = errors.get(v.name)!;
    return `${v.name.padEnd(17)} err mean ${err.mean.toFixed(3)} max ${err.max.toFixed(3)} mm | ${fmt(p)} | true ${fmt(v.params!)}`;
  });
  console.log(['synthetic motion (trans mm, rot deg):', ...rows].join('\n'));
});

function fmt(p: RigidParams): string {
  return [p.trans_x, p.trans_y, p.trans_z].map((v) => v.toFixed(3)).join(' ') + ' / ' + [p.rot_x, p.rot_y, p.rot_z].map((v) => (v * deg).toFixed(3)).join(' ');
}

const realistic = (): MotionFixture['volumes'] => fixture.volumes.filter((v) => v.name !== LARGE);

describe('motion correction recovers known motion of a real volume', () => {
  it('the fixture follows the documented convention: paramsToMatrix rebuilds python’s true matrices', () => {
    expect(corrector.centre).toEqual(fixture.centre!.map((c) => expect.closeTo(c, 4)));
    for (const v of fixture.volumes) expect(maxAbsDiff(paramsToMatrix(v.params!, corrector.centre), v.matrix!)).toBeLessThan(1e-6);
  });

  it('mean displacement error over brain voxels is ≤ 0.1 mm for realistic motion (0.2–3 mm, 0.2–4°)', () => {
    for (const v of realistic()) expect(errors.get(v.name)!.mean, v.name).toBeLessThanOrEqual(0.1);
  });

  it('the parameters themselves match: translations within 0.1 mm, rotations within 0.1°', () => {
    for (const v of realistic()) {
      const p = estimates.get(v.name)!.params;
      const t = v.params!;
      for (const k of ['trans_x', 'trans_y', 'trans_z'] as const) expect(Math.abs(p[k] - t[k]), `${v.name} ${k}`).toBeLessThan(0.1);
      for (const k of ['rot_x', 'rot_y', 'rot_z'] as const) expect(Math.abs(p[k] - t[k]) * deg, `${v.name} ${k}`).toBeLessThan(0.1);
    }
  });

  it('a head moved +2 mm along world x reads trans_x ≈ +2 and a matrix translation ≈ −2', () => {
    const e = estimates.get('shift_x_plus2')!;
    expect(e.params.trans_x).toBeCloseTo(2, 1);
    expect(e.matrix[3]).toBeCloseTo(-2, 1);
    expect(Math.abs(e.params.trans_y) + Math.abs(e.params.trans_z)).toBeLessThan(0.05);
  });

  it('signs of rotations follow the convention (rot_x +1°, rot_y −2°, rot_z +3°)', () => {
    expect(estimates.get('rot_x_1deg')!.params.rot_x * deg).toBeCloseTo(1, 1);
    expect(estimates.get('rot_y_minus2deg')!.params.rot_y * deg).toBeCloseTo(-2, 1);
    expect(estimates.get('rot_z_3deg')!.params.rot_z * deg).toBeCloseTo(3, 1);
  });

  it('every estimate converges, fits the reference and carries no warning', () => {
    for (const v of fixture.volumes) {
      const e = estimates.get(v.name)!;
      expect(e.converged, v.name).toBe(true);
      expect(e.similarity, v.name).toBeGreaterThan(0.99);
      expect(e.warnings, v.name).toEqual([]);
    }
  });

  it('large motion (10° about x with 6° and 4° about z and y, 5 mm) converges; mean error 0.11 mm, asserted ≤ 0.2', () => {
    const e = estimates.get(LARGE)!;
    expect(e.converged).toBe(true);
    expect(errors.get(LARGE)!.mean).toBeLessThanOrEqual(0.2);
    expect(e.params.rot_x * deg).toBeCloseTo(10, 0);
  });

  it('a warm start from the previous volume’s estimate reaches the same answer', () => {
    const cold = estimates.get('mixed_large')!;
    const warm = corrector.estimate(fixture.volumes.find((v) => v.name === 'mixed_large')!.data, estimates.get('mixed_small'));
    expect(displacementError(warm.matrix, cold.matrix, fixture.grid, fixture.mask!).mean).toBeLessThan(0.02);
  });

  it('realign undoes the motion: the realigned volume matches the reference far better than the moved one', () => {
    const v = fixture.volumes.find((x) => x.name === 'mixed_large')!;
    const brain = Uint32Array.from(Array.from(fixture.mask!.keys()).filter((i) => fixture.mask![i] === 1));
    const ref = Float32Array.from(brain, (i) => fixture.reference![i]!);
    const moved = Float32Array.from(brain, (i) => v.data[i]!);
    const realigned = corrector.realign(v.data, estimates.get(v.name)!, brain);
    const rms = (a: Float32Array): number => Math.sqrt(a.reduce((s, x, n) => s + (Number.isNaN(x) ? 0 : (x - ref[n]!) ** 2), 0) / a.length);
    expect(realigned.length).toBe(brain.length);
    expect(rms(realigned)).toBeLessThan(0.5 * rms(moved));
  });
});
