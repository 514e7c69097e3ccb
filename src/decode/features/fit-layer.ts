/**
 * The final fit of a layer: every decoded unit gets its own voxels and ridge weights, at the
 * layer's cross-validated strength, on all training samples (Horikawa & Kamitani 2017).
 *
 * Cost per unit, n samples and K voxels: selecting voxels O(n·V), the Gram O(n²·K/2) (dual) or
 * O(n·K²/2) (primal), Cholesky O(m³/3). With 200 trials, 1000 ROI voxels and K = 500 that is about
 * 13 ms of one core per unit in Node 20; see docs/feature-decoding.md for whole layers.
 */
import { type Design, rowGram, solveUnit, unitSystem } from './unit-ridge.js';
import { selectVoxels, voxelCorrelations } from './voxel-selection.js';

export interface FittedLayer {
  readonly units: number;
  /** Voxels per unit. */
  readonly k: number;
  /** units × k: each unit's voxels as columns of the design, ascending. */
  readonly voxels: Int32Array;
  /** units × k: weights on the standardised voxel values, in the order of `voxels`. */
  readonly weights: Float32Array;
  /** Per unit: the intercept, which is the training mean of the unit (the voxels are centred). */
  readonly intercept: Float32Array;
  readonly featureMean: Float32Array;
  /** Population standard deviation over the training samples; 0 for a unit that never varied. */
  readonly featureStd: Float32Array;
}

/**
 * `design`: the standardised training samples; `y`: their true features, samples × units;
 * `onProgress` is told how many units are done, now and then.
 */
export function fitLayer(design: Design, y: Float32Array, units: number, voxels: number, strength: number, onProgress?: (done: number) => void): FittedLayer {
  const { n, v } = design;
  const k = Math.min(voxels, v);
  const fullKernel = k > n && v - k < k ? rowGram(design.z, n, v) : undefined;
  const out = {
    units,
    k,
    voxels: new Int32Array(units * k),
    weights: new Float32Array(units * k),
    intercept: new Float32Array(units),
    featureMean: new Float32Array(units),
    featureStd: new Float32Array(units),
  };
  const yc = new Float64Array(n);
  const corr = new Float64Array(v);
  for (let u = 0; u < units; u++) {
    let mean = 0;
    let varies = false;
    for (let i = 0; i < n; i++) {
      mean += yc[i] = y[i * units + u]!;
      varies ||= yc[i] !== yc[0];
    }
    // Tested exactly: the mean of equal float32 values can miss them by a rounding error, and a
    // "spread" of 1e-20 would later be divided by.
    mean = varies ? mean / n : yc[0]!;
    let ss = 0;
    for (let i = 0; i < n; i++) {
      yc[i]! -= mean;
      ss += yc[i]! * yc[i]!;
    }
    out.intercept[u] = mean;
    out.featureMean[u] = mean;
    out.featureStd[u] = Math.sqrt(ss / n);
    const sel = selectVoxels(voxelCorrelations(design, yc, corr), k);
    out.voxels.set(sel, u * k);
    // A unit that never varied has nothing to learn: its weights stay 0 and it decodes as its mean.
    if (ss > 0) out.weights.set(solveUnit(unitSystem(design, sel, yc, fullKernel), strength), u * k);
    if (onProgress && (u + 1) % 256 === 0) onProgress(u + 1);
  }
  onProgress?.(units);
  return out;
}
