/**
 * Voxel selection per unit (Horikawa & Kamitani 2017): each unit is decoded from the K voxels whose
 * activity correlates most, in absolute value, with that unit across the training samples. A unit
 * of an early layer covering the upper left of the image is thereby read from the voxels that see
 * the upper left, and a ridge over K voxels fits far better than one over thousands of mostly
 * irrelevant ones.
 *
 * Selection uses the training samples only; in cross-validation each fold selects again from its
 * own training runs, or the held-out score would have seen the held-out data.
 */
import type { Design } from './unit-ridge.js';

/**
 * Correlation of every voxel with one unit's centred targets `yc` (length n), given the
 * standardised design (population sd 1). A constant unit correlates with nothing: all zeros.
 */
export function voxelCorrelations(d: Design, yc: Float64Array, out = new Float64Array(d.v)): Float64Array {
  out.fill(0);
  let ss = 0;
  for (let i = 0; i < d.n; i++) ss += yc[i]! * yc[i]!;
  if (!(ss > 0)) return out;
  for (let i = 0; i < d.n; i++) {
    const y = yc[i]!;
    if (y === 0) continue;
    const row = i * d.v;
    for (let c = 0; c < d.v; c++) out[c]! += d.z[row + c]! * y;
  }
  // Σ z y / (n · sd_y), with n · sd_y = √(n · Σ yc²).
  const scale = 1 / Math.sqrt(d.n * ss);
  for (let c = 0; c < d.v; c++) out[c]! *= scale;
  return out;
}

/**
 * The `k` voxels with the largest |r|, returned in ascending voxel order (so that run-time reads walk
 * memory forwards). Ties go to the lower voxel index, so the same data always give the same voxels.
 */
export function selectVoxels(correlations: Float64Array, k: number): Int32Array {
  const v = correlations.length;
  if (k >= v) return Int32Array.from({ length: v }, (_, i) => i);
  const order = Int32Array.from({ length: v }, (_, i) => i);
  const strength = (i: number): number => {
    const r = Math.abs(correlations[i]!);
    return Number.isNaN(r) ? -1 : r;
  };
  order.sort((a, b) => strength(b) - strength(a) || a - b);
  return order.subarray(0, k).sort();
}
