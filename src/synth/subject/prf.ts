/**
 * Each visual voxel's tuning: a Gaussian population receptive field (Dumoulin & Wandell 2008,
 * NeuroImage 39:647) placed by a toy retinotopy of the occipital cap, and the weights of the
 * non-linear share of its response.
 *
 * Retinotopy (visual field in image units: u from −1 at the left edge to 1 at the right, v from −1 at
 * the top to 1 at the bottom):
 *   - hemifield: the left hemisphere (x below the midline) sees the right half of the field;
 *   - eccentricity grows with distance from the occipital pole, by rank so that any region shape gives
 *     the same distribution: ecc = E ((1 + a)^q − 1) / a, q the voxel's distance quantile, a = 6 (foveal
 *     magnification: half the voxels see the central 0.4), E = 1.45 (just past the image corners);
 *   - polar angle from the voxel's direction around the pole: above it → lower field, below → upper;
 *   - size σ = (0.05 + 0.15 ecc), as pRF size grows linearly with eccentricity;
 * each with a random spread (ecc ×e^{0.15 N}, angle +0.25 N rad, σ ×e^{0.2 N}) as in real maps.
 */
import type { Random } from '../random.js';
import type { VisualRegion } from './region.js';

export interface VoxelTuning {
  /** pRF centre and size in image units (the image spans −1..1 in u and v). */
  readonly u: number;
  readonly v: number;
  readonly sigma: number;
  /** Share of the response that is pixel-linear (the rest is contrast energy). */
  readonly pixelShare: number;
  /** Response gain, relative to the region's typical voxel. */
  readonly gain: number;
  /** Preferred orientation (rad, 0 = horizontal) and the depth of that preference (0..1). */
  readonly orientation: number;
  readonly orientationDepth: number;
  /** Weights of the red–green and blue–yellow opponent signals, next to luminance's 1. */
  readonly redGreen: number;
  readonly blueYellow: number;
}

const MAGNIFICATION = 6;
const MAX_ECCENTRICITY = 1.45;

export function tuneVoxels(region: VisualRegion, random: Random): VoxelTuning[] {
  const n = region.indices.length;
  const rank = new Float64Array(n);
  Array.from(region.distances, (d, i) => ({ d, i }))
    .sort((a, b) => a.d - b.d || a.i - b.i)
    .forEach((o, r) => (rank[o.i] = n > 1 ? r / (n - 1) : 0));
  return region.positions.map(([x, , z], i) => {
    const side = x - region.midline;
    const hemifield = Math.abs(side) < 1 ? (random.next() < 0.5 ? 1 : -1) : side < 0 ? 1 : -1;
    const eccentricity = ((MAX_ECCENTRICITY * ((1 + MAGNIFICATION) ** rank[i]! - 1)) / MAGNIFICATION) * Math.exp(0.15 * random.gaussian());
    const angle = Math.atan2(z - region.pole[2], Math.abs(side)) + 0.25 * random.gaussian();
    const sigma = (0.05 + 0.15 * eccentricity) * Math.exp(0.2 * random.gaussian());
    return {
      u: hemifield * eccentricity * Math.cos(angle),
      v: eccentricity * Math.sin(angle),
      sigma,
      pixelShare: random.uniform(0.3, 0.8),
      gain: Math.exp(0.3 * random.gaussian()),
      orientation: random.uniform(0, Math.PI),
      orientationDepth: random.uniform(0, 0.8),
      redGreen: 0.3 * random.gaussian(),
      blueYellow: 0.2 * random.gaussian(),
    };
  });
}
