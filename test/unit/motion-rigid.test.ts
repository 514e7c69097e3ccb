import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromRows, maxAbsDiff, multiply, transformPoint } from '../../src/geometry/mat4.js';
import {
  eulerToRotation,
  fovCentre,
  headMotionToParams,
  matrixToParams,
  paramsToHeadMotion,
  paramsToMatrix,
  type RigidParams,
  type Vec3,
} from '../../src/preprocess/motion/index.js';

const deg = Math.PI / 180;
const params = (p: Partial<RigidParams>): RigidParams => ({ trans_x: 0, trans_y: 0, trans_z: 0, rot_x: 0, rot_y: 0, rot_z: 0, ...p });
const rx = (a: number) => fromRows([[1, 0, 0], [0, Math.cos(a), -Math.sin(a)], [0, Math.sin(a), Math.cos(a)]]);
const ry = (a: number) => fromRows([[Math.cos(a), 0, Math.sin(a)], [0, 1, 0], [-Math.sin(a), 0, Math.cos(a)]]);
const rz = (a: number) => fromRows([[Math.cos(a), -Math.sin(a), 0], [Math.sin(a), Math.cos(a), 0], [0, 0, 1]]);

function expectRigid(m: Float64Array): void {
  for (let a = 0; a < 3; a++) {
    for (let b = 0; b < 3; b++) {
      let dot = 0;
      for (let k = 0; k < 3; k++) dot += m[a * 4 + k]! * m[b * 4 + k]!;
      expect(dot).toBeCloseTo(a === b ? 1 : 0, 12);
    }
  }
  const det =
    m[0]! * (m[5]! * m[10]! - m[6]! * m[9]!) - m[1]! * (m[4]! * m[10]! - m[6]! * m[8]!) + m[2]! * (m[4]! * m[9]! - m[5]! * m[8]!);
  expect(det).toBeCloseTo(1, 12);
  expect([m[12], m[13], m[14], m[15]]).toEqual([0, 0, 0, 1]);
}

const arbParams = fc.record({
  trans_x: fc.double({ min: -20, max: 20, noNaN: true }),
  trans_y: fc.double({ min: -20, max: 20, noNaN: true }),
  trans_z: fc.double({ min: -20, max: 20, noNaN: true }),
  rot_x: fc.double({ min: -1, max: 1, noNaN: true }),
  rot_y: fc.double({ min: -1.4, max: 1.4, noNaN: true }),
  rot_z: fc.double({ min: -1, max: 1, noNaN: true }),
});
const arbCentre = fc.tuple(fc.double({ min: -100, max: 100, noNaN: true }), fc.double({ min: -100, max: 100, noNaN: true }), fc.double({ min: -100, max: 100, noNaN: true }));

describe('rigid motion conventions', () => {
  it('R = Rx(rot_x) · Ry(rot_y) · Rz(rot_z), right-handed about world axes', () => {
    const r = eulerToRotation(0.1, -0.2, 0.3);
    const expected = multiply(multiply(rx(0.1), ry(-0.2)), rz(0.3));
    for (let row = 0; row < 3; row++) for (let col = 0; col < 3; col++) expect(r[row * 3 + col]).toBeCloseTo(expected[row * 4 + col]!, 14);
    // Right-handed: +90° about z turns +x into +y.
    const quarter = eulerToRotation(0, 0, 90 * deg);
    expect([quarter[0], quarter[3], quarter[6]].map((v) => Math.round(v!))).toEqual([0, 1, 0]);
  });

  it('rebuilds matrix = [Rᵀ, c − Rᵀ(c + t)] from the six numbers, exactly as documented', () => {
    fc.assert(
      fc.property(arbParams, arbCentre, (p, c) => {
        const r = multiply(multiply(rx(p.rot_x), ry(p.rot_y)), rz(p.rot_z));
        const rt = [0, 1, 2].map((row) => [0, 1, 2].map((col) => r[col * 4 + row]!));
        const ct = [c[0] + p.trans_x, c[1] + p.trans_y, c[2] + p.trans_z];
        const rows = rt.map((row, i) => [...row, c[i]! - (row[0]! * ct[0]! + row[1]! * ct[1]! + row[2]! * ct[2]!)]);
        expect(maxAbsDiff(paramsToMatrix(p, c), fromRows([...rows, [0, 0, 0, 1]]))).toBeLessThan(1e-10);
      }),
    );
  });

  it('matrix is rigid (orthonormal, det +1) and the inverse of the head motion', () => {
    fc.assert(
      fc.property(arbParams, arbCentre, (p, c) => {
        const m = paramsToMatrix(p, c);
        expectRigid(m);
        expect(maxAbsDiff(multiply(m, paramsToHeadMotion(p, c)), fromRows([]))).toBeLessThan(1e-10);
      }),
    );
  });

  it('decomposes back to the same six numbers (|rot_y| < 90°)', () => {
    fc.assert(
      fc.property(arbParams, arbCentre, (p, c) => {
        const back = matrixToParams(paramsToMatrix(p, c), c);
        for (const k of Object.keys(p) as (keyof RigidParams)[]) expect(back[k]).toBeCloseTo(p[k], 9);
      }),
    );
  });

  it('a head that moves 2 mm along world +x gives trans_x = +2 and matrix translation −2', () => {
    const m = paramsToMatrix(params({ trans_x: 2 }), [10, -20, 30]);
    expect(m[3]).toBeCloseTo(-2, 12);
    // The tissue now at x maps back to where it was in the reference: x − 2.
    expect(Array.from(transformPoint(m, 5, 6, 7))).toEqual([3, 6, 7].map((v) => expect.closeTo(v, 12)));
  });

  it('rotation about the centre leaves the centre in place and moves nothing else by translation', () => {
    const c: Vec3 = [12, -40, 25];
    const h = paramsToHeadMotion(params({ rot_x: 5 * deg, rot_z: -3 * deg }), c);
    expect(Array.from(transformPoint(h, ...c))).toEqual(c.map((v) => expect.closeTo(v, 10)));
    const back = headMotionToParams(h, c);
    expect([back.trans_x, back.trans_y, back.trans_z]).toEqual([0, 0, 0].map((v) => expect.closeTo(v, 10)));
  });

  it('unmoved is exactly zero both ways (MOTION_SUSPICIOUS_ZERO relies on it)', () => {
    const c: Vec3 = [92.1, -111.9, -23.9];
    const m = paramsToMatrix(params({}), c);
    expect(Array.from(m)).toEqual(Array.from(fromRows([])));
    expect(Object.values(matrixToParams(m, c)).every((v) => Object.is(v, 0))).toBe(true);
  });

  it('centre is the middle of the field of view, also for LAS storage (negative determinant)', () => {
    const las = fromRows([[-3, 0, 0, 96], [0, 3, 0, -90], [0, 0, 4, -50], [0, 0, 0, 1]]);
    expect(fovCentre({ dims: [64, 64, 27], affine: las })).toEqual([96 - 3 * 31.5, -90 + 3 * 31.5, -50 + 4 * 13]);
  });
});
