/**
 * One pass over the registration voxels at the current motion: sample this volume there (trilinear,
 * sampler.ts), and gather everything a Gauss-Newton iteration needs — the fit (cost, correlation) and
 * the right-hand side Σ sdᵀe — without a second pass. With e = s·w − r, Σ sd·e = s·Σ sd·w − Σ sd·r,
 * and Σ sd·r over all voxels is known from the reference, so only the voxels without data need it.
 */
import { sampleMapped, voxelMap } from './sampler.js';
import type { Mat4 } from '../../geometry/mat4.js';
import type { Template } from './template.js';

export interface Fit {
  /** Registration voxels with a finite sample. */
  readonly valid: number;
  /** Mean squared residual after the intensity scale, over valid voxels. */
  readonly cost: number;
  /** Pearson correlation of samples and reference over valid voxels (NaN without variance). */
  readonly similarity: number;
  /** Σ sdᵀe over valid voxels. */
  readonly gradient: Float64Array;
  /** Σ sdᵀsd over valid voxels. */
  readonly hessian: Float64Array;
}

export function measureFit(t: Template, moving: Float32Array, h: Mat4): Fit {
  const map = voxelMap(t.level.affine, t.inverseAffine, h);
  const samples = t.scratch;
  const valid = sampleMapped(moving, t.level.dims, map, t.vox, t.count, samples);
  const dof = t.dof;
  const sd = t.sd, ref = t.ref;
  const sdw = new Float64Array(dof);
  const sdr = Float64Array.from(t.sdRef);
  let hessian = t.hessian;
  let sw = 0, sww = 0, swr = 0, sr = t.sumRef, srr = t.sumRefSq;
  for (let n = 0, o = 0; n < t.count; n++, o += dof) {
    const w = samples[n]!;
    const r = ref[n]!;
    if (w === w) {
      sw += w;
      sww += w * w;
      swr += w * r;
      for (let d = 0; d < dof; d++) sdw[d]! += sd[o + d]! * w;
    } else {
      // No data here: take this voxel out of the reference's sums and of the Hessian.
      sr -= r;
      srr -= r * r;
      if (hessian === t.hessian) hessian = Float64Array.from(t.hessian);
      for (let a = 0; a < dof; a++) {
        sdr[a]! -= sd[o + a]! * r;
        for (let b = 0; b < dof; b++) hessian[a * dof + b]! -= sd[o + a]! * sd[o + b]!;
      }
    }
  }
  const scale = sw !== 0 ? sr / sw : 1;
  const gradient = new Float64Array(dof);
  for (let d = 0; d < dof; d++) gradient[d] = scale * sdw[d]! - sdr[d]!;
  // Σ(s·w − r)² expanded, per voxel, so that costs over different overlaps compare.
  const cost = (scale * scale * sww - 2 * scale * swr + srr) / Math.max(valid, 1);
  const varW = valid * sww - sw * sw;
  const varR = valid * srr - sr * sr;
  const similarity = varW > 0 && varR > 0 ? (valid * swr - sw * sr) / Math.sqrt(varW * varR) : NaN;
  return { valid, cost, similarity, gradient, hessian };
}
