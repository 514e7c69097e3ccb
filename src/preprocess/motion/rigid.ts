/**
 * Rigid-body motion: the six parameters of a TR record's `motion` and the 4x4 matrix beside them.
 *
 * Conventions (part of the record contract; tests pin each of them):
 * - World space is NIfTI RAS+ millimetres of the reference grid's affine.
 * - The centre c is the world position of the middle of the reference field of view, voxel
 *   ((ni-1)/2, (nj-1)/2, (nk-1)/2) — MCFLIRT and AFNI's 3dvolreg also rotate about the volume's middle,
 *   so a head turning about its own middle shows rotations and near-zero translations.
 * - The six numbers describe the head's motion H from the reference volume to this volume:
 *       H(x) = R (x − c) + c + t,      t = (trans_x, trans_y, trans_z) in mm,
 *       R = Rx(rot_x) · Ry(rot_y) · Rz(rot_z), radians, right-handed about the world x, y, z axes
 *   (the product order of SPM's spm_matrix and FSL's construct_rotmat_euler). Applied to a point, the
 *   rotation about world z acts first, then about world y, then about world x; equivalently intrinsic
 *   x, y', z''. A head that moves 2 mm towards the subject's right (world +x in RAS+) gives trans_x = +2.
 * - `matrix` is H⁻¹, which maps a position in this volume to the same tissue's position in the reference:
 *       matrix = [ Rᵀ   c − Rᵀ (c + t) ]
 *                [ 0ᵀ   1              ]
 *   so a pure shift by t has matrix translation −t. `matrixToParams` is the exact inverse of
 *   `paramsToMatrix` for |rot_y| < 90°.
 */
import type { Mat4 } from '../../geometry/mat4.js';
import type { VoxelGrid } from '../../volume.js';

export interface RigidParams {
  trans_x: number;
  trans_y: number;
  trans_z: number;
  rot_x: number;
  rot_y: number;
  rot_z: number;
}

export type Vec3 = [number, number, number];

export const ZERO_PARAMS: Readonly<RigidParams> = Object.freeze({ trans_x: 0, trans_y: 0, trans_z: 0, rot_x: 0, rot_y: 0, rot_z: 0 });

/** World position (mm) of the middle of a grid's field of view: the centre that rotations turn about. */
export function fovCentre(grid: Pick<VoxelGrid, 'dims' | 'affine'>): Vec3 {
  const a = grid.affine;
  const ci = (grid.dims[0] - 1) / 2;
  const cj = (grid.dims[1] - 1) / 2;
  const ck = (grid.dims[2] - 1) / 2;
  return [
    a[0]! * ci + a[1]! * cj + a[2]! * ck + a[3]!,
    a[4]! * ci + a[5]! * cj + a[6]! * ck + a[7]!,
    a[8]! * ci + a[9]! * cj + a[10]! * ck + a[11]!,
  ];
}

/** R = Rx(rx) · Ry(ry) · Rz(rz), row-major 3x3. */
export function eulerToRotation(rx: number, ry: number, rz: number): Float64Array {
  const cx = Math.cos(rx), sx = Math.sin(rx);
  const cy = Math.cos(ry), sy = Math.sin(ry);
  const cz = Math.cos(rz), sz = Math.sin(rz);
  // `+ 0` turns −0 into 0, so an unmoved head gives the identity bit-for-bit.
  return Float64Array.of(
    cy * cz, -cy * sz, sy,
    cx * sz + sx * sy * cz, cx * cz - sx * sy * sz, -sx * cy,
    sx * sz - cx * sy * cz, sx * cz + cx * sy * sz, cx * cy,
  ).map((v) => v + 0);
}

/** The head motion H (reference → this volume), the inverse of the record's matrix. */
export function paramsToHeadMotion(p: RigidParams, centre: Vec3): Mat4 {
  return rigidAbout(eulerToRotation(p.rot_x, p.rot_y, p.rot_z), [p.trans_x, p.trans_y, p.trans_z], centre);
}

/** x ↦ R(x − c) + c + t as a 4x4 matrix, for a row-major 3x3 rotation R. */
export function rigidAbout(r: ArrayLike<number>, t: ArrayLike<number>, centre: Vec3): Mat4 {
  const h = new Float64Array(16);
  for (let row = 0; row < 3; row++) {
    let rc = 0;
    for (let col = 0; col < 3; col++) {
      h[row * 4 + col] = r[row * 3 + col]!;
      rc += r[row * 3 + col]! * centre[col]!;
    }
    h[row * 4 + 3] = centre[row]! + t[row]! - rc;
  }
  h[15] = 1;
  return h;
}

/** The record's matrix: this volume → reference, world mm (see the header for the formula). */
export function paramsToMatrix(p: RigidParams, centre: Vec3): Mat4 {
  const r = eulerToRotation(p.rot_x, p.rot_y, p.rot_z);
  const ct = [centre[0] + p.trans_x, centre[1] + p.trans_y, centre[2] + p.trans_z];
  const m = new Float64Array(16);
  for (let row = 0; row < 3; row++) {
    let rtct = 0;
    for (let col = 0; col < 3; col++) {
      m[row * 4 + col] = r[col * 3 + row]!; // Rᵀ
      rtct += r[col * 3 + row]! * ct[col]!;
    }
    m[row * 4 + 3] = centre[row]! - rtct;
  }
  m[15] = 1;
  return m;
}

/** Decomposes a head motion H (reference → this volume) into the six parameters about `centre`. */
export function headMotionToParams(h: Mat4, centre: Vec3): RigidParams {
  // R = Rx Ry Rz has R02 = sin ry, R12 = −sin rx cos ry, R22 = cos rx cos ry, R01 = −cos ry sin rz, R00 = cos ry cos rz.
  const r02 = Math.min(1, Math.max(-1, h[2]!));
  const rot = {
    rot_x: Math.atan2(-h[6]!, h[10]!),
    rot_y: Math.asin(r02),
    rot_z: Math.atan2(-h[1]!, h[0]!),
  };
  const t = [0, 1, 2].map((row) => {
    const rc = h[row * 4]! * centre[0] + h[row * 4 + 1]! * centre[1] + h[row * 4 + 2]! * centre[2];
    return h[row * 4 + 3]! - centre[row]! + rc;
  });
  // `+ 0` turns −0 into 0: an exactly unmoved head must read as exactly zero (MOTION_SUSPICIOUS_ZERO).
  return {
    trans_x: t[0]! + 0,
    trans_y: t[1]! + 0,
    trans_z: t[2]! + 0,
    rot_x: rot.rot_x + 0,
    rot_y: rot.rot_y + 0,
    rot_z: rot.rot_z + 0,
  };
}

/** Inverse of `paramsToMatrix`: the six parameters of a rigid this → reference matrix. */
export function matrixToParams(matrix: Mat4, centre: Vec3): RigidParams {
  return headMotionToParams(invertRigid(matrix), centre);
}

/** Inverse of a rigid 4x4 by transposing its rotation: exact where a general inverse would round. */
export function invertRigid(m: Mat4): Mat4 {
  const out = new Float64Array(16);
  for (let row = 0; row < 3; row++) {
    let s = 0;
    for (let col = 0; col < 3; col++) {
      out[row * 4 + col] = m[col * 4 + row]!;
      s += m[col * 4 + row]! * m[col * 4 + 3]!;
    }
    out[row * 4 + 3] = -s;
  }
  out[15] = 1;
  return out;
}

export function isZeroParams(p: RigidParams): boolean {
  return p.trans_x === 0 && p.trans_y === 0 && p.trans_z === 0 && p.rot_x === 0 && p.rot_y === 0 && p.rot_z === 0;
}
