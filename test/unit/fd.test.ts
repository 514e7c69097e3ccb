import { describe, expect, it } from 'vitest';
import { framewiseDisplacement, type RigidParams } from '../../src/preprocess/motion/index.js';

const p = (t: [number, number, number], r: [number, number, number]): RigidParams => ({
  trans_x: t[0],
  trans_y: t[1],
  trans_z: t[2],
  rot_x: r[0],
  rot_y: r[1],
  rot_z: r[2],
});

describe('framewise displacement (Power et al. 2012)', () => {
  it('is 0 for the first volume', () => {
    expect(framewiseDisplacement(null, p([1, 2, 3], [0.1, 0.2, 0.3]))).toBe(0);
  });

  it('sums absolute backward differences, rotations as arc length on a 50 mm sphere', () => {
    const previous = p([0.1, -0.2, 0.05], [0.001, -0.002, 0.0005]);
    const current = p([0.3, -0.1, -0.15], [-0.002, 0.001, 0.0015]);
    // By hand: translations 0.2 + 0.1 + 0.2 = 0.5 mm; rotations (0.003 + 0.003 + 0.001) rad · 50 mm = 0.35 mm.
    expect(framewiseDisplacement(previous, current)).toBeCloseTo(0.85, 12);
  });

  it('takes the head radius from its argument (config pipeline.motion.headRadiusMm)', () => {
    const a = p([0, 0, 0], [0, 0, 0]);
    const b = p([0, 0, 0], [0.01, 0, 0]);
    expect(framewiseDisplacement(a, b, 80)).toBeCloseTo(0.8, 12);
  });

  it('is symmetric in its two volumes and 0 for no motion', () => {
    const a = p([1, 2, 3], [0.01, 0.02, 0.03]);
    const b = p([-1, 0, 5], [0, -0.02, 0.01]);
    expect(framewiseDisplacement(a, b)).toBeCloseTo(framewiseDisplacement(b, a), 12);
    expect(framewiseDisplacement(a, a)).toBe(0);
  });
});
