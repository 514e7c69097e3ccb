/**
 * The motions the estimator may find, as a basis of small steps: each degree of freedom d moves a point
 * x by δ_d (t_d + w_d × (x − c)), a translation t_d plus a rotation w_d about the centre c.
 *
 * Full volumes use the six world axes. A volume of one to three slices cannot say how the head tilted
 * out of its slab (MOTION_LIMITED_DOF), so it gets the three in-plane motions only: translations along
 * the slice plane and the rotation about its normal. For an axial slab in an unrotated grid (the Haxby
 * runs) those are exactly trans_x, trans_y and rot_z, and the other three parameters come out 0.
 */
import type { Mat4 } from '../../geometry/mat4.js';
import { rigidAbout, type Vec3 } from './rigid.js';

export interface MotionBasis {
  readonly dof: number;
  /** dof x 3: translation direction per degree of freedom (mm per unit step). */
  readonly trans: Float64Array;
  /** dof x 3: rotation axis per degree of freedom (radians per unit step). */
  readonly rot: Float64Array;
}

export function fullBasis(): MotionBasis {
  const trans = new Float64Array(18);
  const rot = new Float64Array(18);
  for (let a = 0; a < 3; a++) {
    trans[a * 3 + a] = 1;
    rot[(a + 3) * 3 + a] = 1;
  }
  return { dof: 6, trans, rot };
}

/** In-plane motions of the slab spanned by the affine's i and j columns. */
export function inPlaneBasis(affine: Mat4): MotionBasis {
  const ci: Vec3 = [affine[0]!, affine[4]!, affine[8]!];
  const cj: Vec3 = [affine[1]!, affine[5]!, affine[9]!];
  const e1 = normalise(ci);
  // Gram-Schmidt: the j column of a sheared affine is not quite perpendicular to i.
  const d = dot(cj, e1);
  const e2 = normalise([cj[0] - d * e1[0], cj[1] - d * e1[1], cj[2] - d * e1[2]]);
  const n = cross(e1, e2);
  return { dof: 3, trans: Float64Array.of(...e1, ...e2, 0, 0, 0), rot: Float64Array.of(0, 0, 0, 0, 0, 0, ...n) };
}

/** The rigid motion of step δ: x ↦ exp([ω]×)(x − c) + c + t with t = Σ δ_d t_d, ω = Σ δ_d w_d (Rodrigues). */
export function stepToMotion(basis: MotionBasis, delta: ArrayLike<number>, centre: Vec3): Mat4 {
  const t = [0, 0, 0];
  const w = [0, 0, 0];
  for (let d = 0; d < basis.dof; d++) {
    for (let a = 0; a < 3; a++) {
      t[a]! += delta[d]! * basis.trans[d * 3 + a]!;
      w[a]! += delta[d]! * basis.rot[d * 3 + a]!;
    }
  }
  const theta = Math.hypot(w[0]!, w[1]!, w[2]!);
  const r = [1, 0, 0, 0, 1, 0, 0, 0, 1];
  if (theta > 0) {
    const [kx, ky, kz] = [w[0]! / theta, w[1]! / theta, w[2]! / theta];
    const k = [0, -kz, ky, kz, 0, -kx, -ky, kx, 0];
    const s = Math.sin(theta), c1 = 1 - Math.cos(theta);
    for (let row = 0; row < 3; row++) {
      for (let col = 0; col < 3; col++) {
        let kk = 0;
        for (let m = 0; m < 3; m++) kk += k[row * 3 + m]! * k[m * 3 + col]!;
        r[row * 3 + col]! += s * k[row * 3 + col]! + c1 * kk;
      }
    }
  }
  return rigidAbout(r, t, centre);
}

function dot(a: Vec3, b: Vec3): number {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

function cross(a: Vec3, b: Vec3): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

function normalise(a: Vec3): Vec3 {
  const n = Math.hypot(a[0], a[1], a[2]);
  return [a[0] / n, a[1] / n, a[2] / n];
}
