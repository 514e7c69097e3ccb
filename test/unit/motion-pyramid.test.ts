import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromRows, transformPoint } from '../../src/geometry/mat4.js';
import { filterAxis, REDUCE_TAPS, SMOOTH_TAPS } from '../../src/preprocess/motion/filter.js';
import { planLevels, type Dims } from '../../src/preprocess/motion/pyramid.js';
import { trilinear, voxelMap } from '../../src/preprocess/motion/sampler.js';

/** The textbook definition: each output is the kernel over the finite taps inside the line, renormalised. */
function naive(data: Float32Array, dims: Dims, axis: 0 | 1 | 2, taps: number[], step: number): Float32Array {
  const n = dims[axis];
  const m = step === 2 ? Math.ceil(n / 2) : n;
  const out = dims.map((d, a) => (a === axis ? m : d));
  const res = new Float32Array(out[0]! * out[1]! * out[2]!);
  const half = (taps.length - 1) / 2;
  for (let k = 0; k < out[2]!; k++)
    for (let j = 0; j < out[1]!; j++)
      for (let i = 0; i < out[0]!; i++) {
        const c = [i, j, k];
        let s = 0, w = 0;
        for (let t = -half; t <= half; t++) {
          const p = [...c];
          p[axis] = c[axis]! * step + t;
          if (p[axis]! < 0 || p[axis]! >= n) continue;
          const v = data[p[0]! + dims[0] * (p[1]! + dims[1] * p[2]!)]!;
          if (!Number.isFinite(v)) continue;
          s += taps[t + half]! * v;
          w += taps[t + half]!;
        }
        res[i + out[0]! * (j + out[1]! * k)] = w > 0 ? s / w : NaN;
      }
  return res;
}

const arbVolume = fc
  .tuple(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 7 }))
  .chain((dims) => fc.tuple(fc.constant(dims as Dims), fc.float32Array({ minLength: dims[0] * dims[1] * dims[2], maxLength: dims[0] * dims[1] * dims[2], noDefaultInfinity: true, noNaN: true, min: -1000, max: 1000 })));

describe('registration image filters', () => {
  it('fast paths equal the definition on finite volumes, every axis, both kernels', () => {
    fc.assert(
      fc.property(arbVolume, fc.constantFrom(0, 1, 2), fc.boolean(), ([dims, data], axis, reduce) => {
        const a = axis as 0 | 1 | 2;
        const got = filterAxis(data, dims, a, reduce ? REDUCE_TAPS : SMOOTH_TAPS, reduce, true).data;
        const want = naive(data, dims, a, reduce ? [1 / 16, 4 / 16, 6 / 16, 4 / 16, 1 / 16] : [0.25, 0.5, 0.25], reduce ? 2 : 1);
        expect(got.length).toBe(want.length);
        got.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 2));
      }),
    );
  });

  it('K22: non-finite voxels carry no weight, and a sample with no finite tap stays NaN', () => {
    const data = Float32Array.of(1, NaN, 3, Infinity, NaN, NaN, 7);
    const out = filterAxis(data, [7, 1, 1], 0, SMOOTH_TAPS, false, false).data;
    expect(Array.from(out)).toEqual([1, 2, 3, 3, NaN, 7, 7]);
  });

  it('level voxel m sits on finer voxel 2m in world space; thin axes are never halved', () => {
    const affine = fromRows([[-3, 0.1, 0, 90], [0, 3, 0.4, -110], [0, -0.3, 4, -24], [0, 0, 0, 1]]);
    const plan = planLevels([64, 64, 27], [3, 3, 4], affine, 3);
    expect(plan.map((l) => l.dims)).toEqual([[64, 64, 27], [32, 32, 14], [16, 16, 7]]);
    expect(Array.from(transformPoint(plan[2]!.affine, 3, 5, 2))).toEqual(Array.from(transformPoint(affine, 12, 20, 8)).map((v) => expect.closeTo(v, 9)));
    expect(planLevels([40, 20, 1], [3.1, 3.75, 3.75], affine, 3).map((l) => l.dims[2])).toEqual([1, 1]);
  });

  it('trilinear reads voxel values exactly, repeats the edge for half a voxel and is NaN beyond', () => {
    const data = Float32Array.from({ length: 4 * 3 * 2 }, (_, i) => i * 1.5);
    const dims: Dims = [4, 3, 2];
    expect(trilinear(data, dims, 2, 1, 1)).toBe(data[2 + 4 + 12]);
    expect(trilinear(data, dims, 0.5, 0, 0)).toBeCloseTo(0.75, 12);
    expect(trilinear(data, dims, -0.4, 0, 0)).toBe(data[0]);
    expect(trilinear(data, dims, 3.6, 0, 0)).toBeNaN();
    const identity = voxelMap(fromRows([[-3, 0, 0, 9], [0, 3, 0, 1], [0, 0, 4, 2]]), fromRows([[-1 / 3, 0, 0, 3], [0, 1 / 3, 0, -1 / 3], [0, 0, 0.25, -0.5]]), fromRows([]));
    expect(Array.from(identity)).toEqual([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0]);
  });
});
