/**
 * The qform's quaternion, both ways, following nifti1_io.c (nifti_quatern_to_mat44 and
 * nifti_mat44_to_quatern). 3x3 matrices here are row-major number[9].
 */

/**
 * How far b²+c²+d² may exceed 1 before the quaternion counts as non-unit: float32 fields written from
 * a unit quaternion land a few ulp either side of 1 (nibabel uses the same 3-eps threshold).
 */
const UNIT_SLACK = 3 * 2 ** -23;

/** The rotation of the qform quaternion (b, c, d); a = sqrt(1 - b² - c² - d²) is implied. */
export function quaternionToRotation(b: number, c: number, d: number): { rotation: number[]; normalised: boolean } {
  const sum = b * b + c * c + d * d;
  let a = 0;
  let normalised = false;
  if (1 - sum < -UNIT_SLACK) {
    // K21: nifti1_io normalises (b, c, d) and sets a = 0, a 180° rotation; nibabel refuses the file.
    const s = 1 / Math.sqrt(sum);
    b *= s;
    c *= s;
    d *= s;
    normalised = true;
  } else if (sum < 1) {
    a = Math.sqrt(1 - sum);
  }
  const rotation = [
    a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c),
    2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b),
    2 * (b * d - a * c), 2 * (c * d + a * b), a * a + d * d - c * c - b * b,
  ];
  return { rotation, normalised };
}

function det3(m: readonly number[]): number {
  return m[0]! * (m[4]! * m[8]! - m[5]! * m[7]!) - m[1]! * (m[3]! * m[8]! - m[5]! * m[6]!) + m[2]! * (m[3]! * m[7]! - m[4]! * m[6]!);
}

/** Transpose of the inverse, the term of the Newton polar iteration. */
function inverseTranspose3(m: readonly number[]): number[] {
  const det = det3(m);
  const cof = [
    m[4]! * m[8]! - m[5]! * m[7]!, -(m[3]! * m[8]! - m[5]! * m[6]!), m[3]! * m[7]! - m[4]! * m[6]!,
    -(m[1]! * m[8]! - m[2]! * m[7]!), m[0]! * m[8]! - m[2]! * m[6]!, -(m[0]! * m[7]! - m[1]! * m[6]!),
    m[1]! * m[5]! - m[2]! * m[4]!, -(m[0]! * m[5]! - m[2]! * m[3]!), m[0]! * m[4]! - m[1]! * m[3]!,
  ];
  return cof.map((v) => v / det);
}

const frobenius = (m: readonly number[]): number => Math.sqrt(m.reduce((s, v) => s + v * v, 0));

/**
 * The orthogonal matrix nearest to m (its polar factor), by scaled Newton iteration. A qform holds
 * no shear, so a sheared sform is written as its nearest rotation, as nifti1_io and nibabel do.
 */
function nearestOrthogonal(m: readonly number[]): number[] {
  let x = [...m];
  for (let iteration = 0; iteration < 100; iteration++) {
    const it = inverseTranspose3(x);
    const gamma = Math.sqrt(frobenius(it) / frobenius(x));
    const next = x.map((v, i) => 0.5 * (gamma * v + it[i]! / gamma));
    const change = frobenius(next.map((v, i) => v - x[i]!));
    x = next;
    if (change < 1e-14) break;
  }
  return x;
}

export interface Qform {
  readonly quatern: [number, number, number];
  readonly qfac: 1 | -1;
  /** Column lengths of the affine: the pixdim[1..3] the qform needs to reproduce it. */
  readonly zooms: [number, number, number];
}

/** Quaternion, qfac and voxel sizes for the 3x3 part of an affine (row-major number[9]); null if singular. */
export function rotationToQform(linear: readonly number[]): Qform | null {
  const zooms = [0, 1, 2].map((c) => Math.hypot(linear[c]!, linear[3 + c]!, linear[6 + c]!)) as [number, number, number];
  if (zooms.some((z) => !(z > 0) || !Number.isFinite(z))) return null;
  const unit = linear.map((v, i) => v / zooms[i % 3]!);
  if (!(Math.abs(det3(unit)) > 1e-9)) return null;
  const r = nearestOrthogonal(unit);
  const qfac = det3(r) > 0 ? 1 : -1;
  if (qfac < 0) for (const i of [2, 5, 8]) r[i] = -r[i]!;
  const [r11, r12, r13, r21, r22, r23, r31, r32, r33] = r as [number, number, number, number, number, number, number, number, number];
  let a = r11 + r22 + r33 + 1;
  let b: number, c: number, d: number;
  if (a > 0.5) {
    a = 0.5 * Math.sqrt(a);
    b = (0.25 * (r32 - r23)) / a;
    c = (0.25 * (r13 - r31)) / a;
    d = (0.25 * (r21 - r12)) / a;
  } else {
    const xd = 1 + r11 - (r22 + r33);
    const yd = 1 + r22 - (r11 + r33);
    const zd = 1 + r33 - (r11 + r22);
    if (xd > 1) {
      b = 0.5 * Math.sqrt(xd); c = (0.25 * (r12 + r21)) / b; d = (0.25 * (r13 + r31)) / b; a = (0.25 * (r32 - r23)) / b;
    } else if (yd > 1) {
      c = 0.5 * Math.sqrt(yd); b = (0.25 * (r12 + r21)) / c; d = (0.25 * (r23 + r32)) / c; a = (0.25 * (r13 - r31)) / c;
    } else {
      d = 0.5 * Math.sqrt(zd); b = (0.25 * (r13 + r31)) / d; c = (0.25 * (r23 + r32)) / d; a = (0.25 * (r21 - r12)) / d;
    }
    // The header stores only b, c, d and implies a >= 0; (a, b, c, d) and its negative are one rotation.
    if (a < 0) { b = -b; c = -c; d = -d; }
  }
  return { quatern: [b, c, d], qfac, zooms };
}
