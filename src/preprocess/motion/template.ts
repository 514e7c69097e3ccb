/**
 * What the inverse-compositional Gauss-Newton method (Baker & Matthews 2004, "Lucas-Kanade 20 years
 * on", IJCV 56:221) computes once per reference and pyramid level: the registration voxels, their
 * reference intensities, the steepest-descent images g·∂W/∂δ and the Hessian Σ sdᵀsd. Every iteration
 * on every later volume then only samples that volume; nothing here is recomputed per TR.
 *
 * Gradients are central differences in voxel units, turned into world mm by A₃⁻ᵀ (A₃ the affine's
 * 3x3, whatever its handedness: LAS storage just flips a column). A voxel whose gradient needs a
 * non-finite neighbour is left out.
 */
import { invert, type Mat4 } from '../../geometry/mat4.js';
import type { MotionBasis } from './basis.js';
import type { LevelGrid } from './pyramid.js';
import type { Vec3 } from './rigid.js';

export interface Template {
  readonly level: LevelGrid;
  readonly inverseAffine: Mat4;
  readonly dof: number;
  readonly count: number;
  /** i, j, k of each registration voxel on this level. */
  readonly vox: Float64Array;
  readonly ref: Float64Array;
  /** dof values per voxel. */
  readonly sd: Float64Array;
  /** dof x dof, over all registration voxels (voxels without data in a volume are subtracted then). */
  readonly hessian: Float64Array;
  /** World corners (8 x 3) of the registration voxels' bounding box: where a rigid step moves them most. */
  readonly corners: Float64Array;
  /** Σ sd·r, Σ r and Σ r² over all voxels, so an iteration touches only the voxels it loses. */
  readonly sdRef: Float64Array;
  readonly sumRef: number;
  readonly sumRefSq: number;
  /** One sample per voxel, reused by every iteration (the corrector handles one volume at a time). */
  readonly scratch: Float64Array;
}

/**
 * The template of one level: mask voxels with a finite value and gradient, at least `border` voxels
 * from every face of the grid (a one-voxel axis has no faces), of which the `keepShare` with the
 * steepest gradient are kept.
 */
export function buildTemplate(image: Float32Array, mask: Uint8Array, level: LevelGrid, basis: MotionBasis, centre: Vec3, border: number, keepShare: number): Template {
  const [n0, n1, n2] = level.dims;
  const a = level.affine;
  const inv = invert(a);
  const dof = basis.dof;
  const vox: number[] = [];
  const ref: number[] = [];
  const sd: number[] = [];
  const lo = [Infinity, Infinity, Infinity];
  const hi = [-Infinity, -Infinity, -Infinity];
  const strength: number[] = [];
  const strides = [1, n0, n0 * n1];
  const sizes = [n0, n1, n2];
  const gv = [0, 0, 0];
  for (let k = 0, n = 0; k < n2; k++) {
    for (let j = 0; j < n1; j++) {
      for (let i = 0; i < n0; i++, n++) {
        const v = image[n]!;
        if (!mask[n] || v - v !== 0) continue;
        if (i < border || i >= n0 - border || j < border || j >= n1 - border || (n2 > 1 && (k < border || k >= n2 - border))) continue;
        const c = [i, j, k];
        let ok = true;
        for (let ax = 0; ax < 3 && ok; ax++) {
          const size = sizes[ax]!, s = strides[ax]!, p = c[ax]!;
          if (size === 1) gv[ax] = 0;
          else if (p === 0) gv[ax] = image[n + s]! - v;
          else if (p === size - 1) gv[ax] = v - image[n - s]!;
          else gv[ax] = (image[n + s]! - image[n - s]!) / 2;
          ok = gv[ax]! - gv[ax]! === 0;
        }
        if (!ok) continue;
        // World gradient g = A₃⁻ᵀ g_v, world offset r = A v − c.
        const g = [0, 1, 2].map((ax) => inv[ax]! * gv[0]! + inv[4 + ax]! * gv[1]! + inv[8 + ax]! * gv[2]!) as Vec3;
        const r = [0, 1, 2].map((row) => a[row * 4]! * i + a[row * 4 + 1]! * j + a[row * 4 + 2]! * k + a[row * 4 + 3]! - centre[row]!) as Vec3;
        const rxg = [r[1] * g[2] - r[2] * g[1], r[2] * g[0] - r[0] * g[2], r[0] * g[1] - r[1] * g[0]];
        for (let d = 0; d < dof; d++) {
          const t = basis.trans, w = basis.rot, o = d * 3;
          sd.push(t[o]! * g[0] + t[o + 1]! * g[1] + t[o + 2]! * g[2] + w[o]! * rxg[0]! + w[o + 1]! * rxg[1]! + w[o + 2]! * rxg[2]!);
        }
        vox.push(i, j, k);
        ref.push(v);
        strength.push(g[0] * g[0] + g[1] * g[1] + g[2] * g[2]);
      }
    }
  }
  const keep = strongest(strength, keepShare);
  const picked = { vox: [] as number[], ref: [] as number[], sd: [] as number[] };
  for (let n = 0; n < ref.length; n++) {
    if (!keep(strength[n]!)) continue;
    picked.ref.push(ref[n]!);
    for (let ax = 0; ax < 3; ax++) {
      const c = vox[n * 3 + ax]!;
      picked.vox.push(c);
      lo[ax] = Math.min(lo[ax]!, c);
      hi[ax] = Math.max(hi[ax]!, c);
    }
    for (let d = 0; d < dof; d++) picked.sd.push(sd[n * dof + d]!);
  }
  return assemble(level, inv, dof, picked, boxCorners(a, lo, hi));
}

/** A test that keeps the `share` of voxels with the steepest gradient (all of them when share ≥ 1). */
function strongest(strength: number[], share: number): (s: number) => boolean {
  if (share >= 1 || strength.length === 0) return () => true;
  const sorted = Float64Array.from(strength).sort();
  const cut = sorted[Math.floor((1 - share) * (sorted.length - 1))]!;
  return (s) => s >= cut;
}

function assemble(level: LevelGrid, inv: Mat4, dof: number, picked: { vox: number[]; ref: number[]; sd: number[] }, corners: Float64Array): Template {
  const { vox, ref, sd } = picked;
  const sdArr = Float64Array.from(sd);
  const sdRef = new Float64Array(dof);
  for (let n = 0; n < ref.length; n++) for (let d = 0; d < dof; d++) sdRef[d]! += sdArr[n * dof + d]! * ref[n]!;
  return {
    level,
    inverseAffine: inv,
    dof,
    count: ref.length,
    vox: Float64Array.from(vox),
    ref: Float64Array.from(ref),
    sd: sdArr,
    hessian: outerSum(sdArr, dof, ref.length),
    corners,
    sdRef,
    sumRef: ref.reduce((x, y) => x + y, 0),
    sumRefSq: ref.reduce((x, y) => x + y * y, 0),
    scratch: new Float64Array(ref.length),
  };
}

function outerSum(sd: Float64Array, dof: number, count: number): Float64Array {
  const h = new Float64Array(dof * dof);
  for (let n = 0; n < count; n++) {
    const o = n * dof;
    for (let r = 0; r < dof; r++) for (let c = 0; c <= r; c++) h[r * dof + c]! += sd[o + r]! * sd[o + c]!;
  }
  for (let r = 0; r < dof; r++) for (let c = 0; c < r; c++) h[c * dof + r] = h[r * dof + c]!;
  return h;
}

function boxCorners(a: Mat4, lo: number[], hi: number[]): Float64Array {
  const out = new Float64Array(24);
  if (!(lo[0]! <= hi[0]!)) return out;
  for (let q = 0; q < 8; q++) {
    const v = [q & 1 ? hi[0]! : lo[0]!, q & 2 ? hi[1]! : lo[1]!, q & 4 ? hi[2]! : lo[2]!];
    for (let row = 0; row < 3; row++) out[q * 3 + row] = a[row * 4]! * v[0]! + a[row * 4 + 1]! * v[1]! + a[row * 4 + 2]! * v[2]! + a[row * 4 + 3]!;
  }
  return out;
}
