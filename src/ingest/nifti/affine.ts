/**
 * One voxel-to-world rule for every NIfTI boldstream reads (runs, references, masks: invariant 5).
 *
 *   1. sform, when sform_code is a known code (1-5) and the matrix is finite and invertible;
 *   2. else qform, when qform_code is a known code and the quaternion gives a usable matrix
 *      (qfac = sign of pixdim[0], voxel sizes |pixdim[1..3]|; a quaternion longer than 1 is
 *      normalised as nifti1_io does, with HEADER_QUATERNION_NONUNIT);
 *   3. else the Analyze convention nibabel uses: |pixdim| scaling, x flipped (radiological),
 *      origin at the centre of the grid, with HEADER_NO_ORIENTATION.
 * A set form that is unusable or carries an unknown code is skipped with HEADER_FORM_INVALID.
 * When both forms are usable and differ by more than 0.01 mm anywhere in the field of view, the
 * sform still wins and HEADER_FORM_DISAGREE says by how much (K21). This is nibabel's choice of
 * form too, so the affine matches what nibabel's `img.affine` gives.
 */
import { BoldstreamError, warning, type Warning } from '../../errors.js';
import { fromRows, transformPoint, type Mat4 } from '../../geometry/mat4.js';
import type { RawHeader } from './header.js';
import { quaternionToRotation } from './quaternion.js';
import type { AffineSource } from './types.js';

/** Larger than float32 rounding of real headers (~1e-4 mm), smaller than anything that moves a voxel. */
const DISAGREE_MM = 0.01;
const KNOWN_CODES = new Set([1, 2, 3, 4, 5]);

function usable(m: Mat4): boolean {
  if (!m.every(Number.isFinite)) return false;
  const det = m[0]! * (m[5]! * m[10]! - m[6]! * m[9]!) - m[1]! * (m[4]! * m[10]! - m[6]! * m[8]!) + m[2]! * (m[4]! * m[9]! - m[5]! * m[8]!);
  return Math.abs(det) > 1e-12;
}

function sformOf(h: RawHeader): Mat4 {
  const s = h.srow;
  return fromRows([s.slice(0, 4), s.slice(4, 8), s.slice(8, 12), [0, 0, 0, 1]]);
}

function qformOf(h: RawHeader): { affine: Mat4; normalised: boolean } {
  const { rotation: r, normalised } = quaternionToRotation(...h.quatern);
  const qfac = (h.pixdim[0] ?? 0) < 0 ? -1 : 1;
  const zoom = [Math.abs(h.pixdim[1] ?? 0), Math.abs(h.pixdim[2] ?? 0), qfac * Math.abs(h.pixdim[3] ?? 0)];
  const rows = [0, 1, 2].map((row) => [r[row * 3]! * zoom[0]!, r[row * 3 + 1]! * zoom[1]!, r[row * 3 + 2]! * zoom[2]!, h.qoffset[row]!]);
  return { affine: fromRows([...rows, [0, 0, 0, 1]]), normalised };
}

/** nibabel's shape_zoom_affine: what an Analyze header (no orientation at all) is taken to mean. */
function analyzeOf(h: RawHeader, dims: readonly [number, number, number]): Mat4 {
  const zoom = [-Math.abs(h.pixdim[1] ?? 0), Math.abs(h.pixdim[2] ?? 0), Math.abs(h.pixdim[3] ?? 0)];
  const t = dims.map((n, i) => (-(n - 1) / 2) * zoom[i]!);
  return fromRows([[zoom[0]!, 0, 0, t[0]!], [0, zoom[1]!, 0, t[1]!], [0, 0, zoom[2]!, t[2]!], [0, 0, 0, 1]]);
}

/** Largest distance between where two affines put the same voxel: a corner of the grid, by linearity. */
function disagreementMm(a: Mat4, b: Mat4, dims: readonly [number, number, number]): number {
  let worst = 0;
  for (let corner = 0; corner < 8; corner++) {
    const i = corner & 1 ? dims[0] - 1 : 0;
    const j = corner & 2 ? dims[1] - 1 : 0;
    const k = corner & 4 ? dims[2] - 1 : 0;
    const pa = transformPoint(a, i, j, k);
    const pb = transformPoint(b, i, j, k);
    worst = Math.max(worst, Math.hypot(pa[0]! - pb[0]!, pa[1]! - pb[1]!, pa[2]! - pb[2]!));
  }
  return worst;
}

export interface ChosenAffine {
  readonly affine: Mat4;
  readonly source: AffineSource;
  readonly warnings: Warning[];
}

export function chooseAffine(h: RawHeader, dims: readonly [number, number, number], source: string): ChosenAffine {
  const warnings: Warning[] = [];
  const candidate = (form: 'sform' | 'qform', code: number, make: () => Mat4): Mat4 | null => {
    if (code === 0) return null;
    if (!KNOWN_CODES.has(code)) {
      warnings.push(warning('HEADER_FORM_INVALID', `${source}: ${form}_code ${code} is not a NIfTI code; ${form} ignored`));
      return null;
    }
    const m = make();
    if (usable(m)) return m;
    warnings.push(warning('HEADER_FORM_INVALID', `${source}: ${form} (code ${code}) is not finite or not invertible; ${form} ignored`));
    return null;
  };

  let normalised = false;
  const sform = candidate('sform', h.sformCode, () => sformOf(h));
  const qform = candidate('qform', h.qformCode, () => {
    const q = qformOf(h);
    normalised = q.normalised;
    return q.affine;
  });
  if (qform && normalised) {
    warnings.push(warning('HEADER_QUATERNION_NONUNIT', `${source}: b²+c²+d² = ${h.quatern.reduce((s, v) => s + v * v, 0).toFixed(6)}`));
  }
  if (sform && qform) {
    const mm = disagreementMm(sform, qform, dims);
    if (mm > DISAGREE_MM) warnings.push(warning('HEADER_FORM_DISAGREE', `${source}: by up to ${mm.toFixed(4)} mm in the field of view`));
  }
  if (sform) return { affine: sform, source: 'sform', warnings };
  if (qform) return { affine: qform, source: 'qform', warnings };

  const analyze = analyzeOf(h, dims);
  if (!usable(analyze)) throw new BoldstreamError('NIFTI_BAD_AFFINE', `${source}: no usable sform or qform, and pixdim[1..3] has a zero or non-finite size`);
  warnings.push(warning('HEADER_NO_ORIENTATION', `${source}: sform_code ${h.sformCode}, qform_code ${h.qformCode}`));
  return { affine: analyze, source: 'pixdim', warnings };
}
