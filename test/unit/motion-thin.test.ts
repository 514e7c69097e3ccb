/**
 * Thin volumes: the Haxby runs hold one 40x20 slice (LAS storage, 3.1x3.75 mm in-plane), which cannot
 * say how the head tilted out of the slab. python moves the real slice in-plane by known amounts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { MotionCorrector, type MotionEstimate } from '../../src/preprocess/motion/index.js';
import { loadMotionFixture, type MotionFixture } from '../fixtures/motion/fixtures.js';

const deg = 180 / Math.PI;

describe('MOTION_LIMITED_DOF: a one-slice volume gets in-plane motion only', () => {
  let fixture: MotionFixture;
  let corrector: MotionCorrector;
  const estimates = new Map<string, MotionEstimate>();

  beforeAll(() => {
    fixture = loadMotionFixture('haxby');
    corrector = new MotionCorrector({ grid: fixture.grid, data: fixture.reference! });
    for (const v of fixture.volumes) estimates.set(v.name, corrector.estimate(v.data));
  });

  it('is recognised as thin and warns on every volume', () => {
    expect(fixture.grid.dims).toEqual([40, 20, 1]);
    expect(corrector.limitedDof).toBe(true);
    for (const e of estimates.values()) expect(e.warnings.map((w) => w.code)).toEqual(['MOTION_LIMITED_DOF']);
  });

  it('recovers in-plane translations within 0.1 mm and the in-plane rotation within 0.1°', () => {
    for (const v of fixture.volumes) {
      const p = estimates.get(v.name)!.params;
      expect(Math.abs(p.trans_x - v.params!.trans_x), v.name).toBeLessThan(0.1);
      expect(Math.abs(p.trans_y - v.params!.trans_y), v.name).toBeLessThan(0.1);
      expect(Math.abs(p.rot_z - v.params!.rot_z) * deg, v.name).toBeLessThan(0.1);
      expect(estimates.get(v.name)!.converged).toBe(true);
    }
  });

  it('sets the out-of-plane parameters to exactly 0 for an axial slab', () => {
    for (const e of estimates.values()) expect([e.params.trans_z, e.params.rot_x, e.params.rot_y]).toEqual([0, 0, 0]);
  });

  it('realigns the slice back onto the reference', () => {
    const v = fixture.volumes.find((x) => x.name === 'haxby_rot')!;
    const inner = Uint32Array.from({ length: 40 * 20 }, (_, i) => i).filter((i) => i % 40 >= 3 && i % 40 < 37 && i >= 120 && i < 680);
    const realigned = corrector.realign(v.data, estimates.get(v.name)!, inner);
    const ref = fixture.reference!;
    const rms = (f: (i: number, n: number) => number): number => Math.sqrt(Array.from(inner).reduce((s, i, n) => s + (f(i, n) - ref[i]!) ** 2, 0) / inner.length);
    expect(rms((_, n) => realigned[n]!)).toBeLessThan(0.5 * rms((i) => v.data[i]!));
  });
});
