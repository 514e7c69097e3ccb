/**
 * The voxels that drive registration. Motion is measured where the image has structure: the brain and,
 * above all, its outer edge, where the intensity gradient is steepest. So whichever mask is used (the
 * caller's brain mask, or a threshold of our own) is grown by one voxel to take in that edge; air far
 * from the head only adds noise and time.
 */
import { BoldstreamError } from '../../errors.js';
import type { Dims } from './pyramid.js';

/** Voxels brighter than `fraction` of the 98th percentile of finite voxels (a robust maximum: a few hot voxels do not set it). */
export function thresholdMask(data: Float32Array, fraction: number): Uint8Array {
  const finite = data.filter((v) => v - v === 0).sort();
  const mask = new Uint8Array(data.length);
  if (finite.length === 0) return mask;
  const cut = fraction * finite[Math.min(finite.length - 1, Math.floor(0.98 * (finite.length - 1)))]!;
  for (let n = 0; n < data.length; n++) if (data[n]! > cut) mask[n] = 1;
  return mask;
}

/** Grows a mask by its 6-neighbours (faces), once. */
export function dilate(mask: Uint8Array, dims: Dims): Uint8Array {
  const [n0, n1, n2] = dims;
  const out = Uint8Array.from(mask);
  for (let k = 0, n = 0; k < n2; k++) {
    for (let j = 0; j < n1; j++) {
      for (let i = 0; i < n0; i++, n++) {
        if (!mask[n]) continue;
        if (i > 0) out[n - 1] = 1;
        if (i < n0 - 1) out[n + 1] = 1;
        if (j > 0) out[n - n0] = 1;
        if (j < n1 - 1) out[n + n0] = 1;
        if (k > 0) out[n - n0 * n1] = 1;
        if (k < n2 - 1) out[n + n0 * n1] = 1;
      }
    }
  }
  return out;
}

/** The registration mask on the reference grid: the caller's mask or a threshold, grown by one voxel. */
export function registrationMask(reference: Float32Array, dims: Dims, fraction: number, brainMask?: Uint8Array): Uint8Array {
  if (brainMask !== undefined && brainMask.length !== reference.length) {
    throw new BoldstreamError('MASK_GRID_MISMATCH', `mask has ${brainMask.length} voxels, the reference ${reference.length}`);
  }
  const base = brainMask ?? thresholdMask(reference, fraction);
  if (!base.some((v) => v !== 0)) throw new BoldstreamError('MASK_EMPTY', 'no voxel to drive motion estimation');
  return dilate(base, dims);
}

/** A finer mask carried to a pyramid level: a level voxel counts when a quarter of its smoothed footprint is in the mask. */
export function maskAtLevel(levelImage: Float32Array): Uint8Array {
  return Uint8Array.from(levelImage, (v) => (v >= 0.25 ? 1 : 0));
}
