/**
 * Feature matrices and their standardisation.
 *
 * A feature matrix holds one row per TR (sample) and one column per voxel (feature), row-major, as
 * the preprocessing stage hands it over. Everything the solvers compute is Float64: the Gram matrices
 * of a thousand samples sum a thousand products per entry, and float32 would lose the small
 * eigenvalues that the weakest regularisation strengths depend on.
 */
import { BoldstreamError } from '../errors.js';

export interface FeatureMatrix {
  readonly rows: number;
  readonly cols: number;
  /** Row-major, length rows * cols. */
  readonly data: Float32Array | Float64Array;
}

export interface ColumnStats {
  readonly mean: Float64Array;
  /** Population standard deviation (ddof 0, as scikit-learn's StandardScaler); 1 for constant columns. */
  readonly std: Float64Array;
}

export function featureMatrix(data: Float32Array | Float64Array, rows: number, cols: number): FeatureMatrix {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 1 || data.length !== rows * cols) {
    throw new BoldstreamError('TRAIN_INVALID', `feature matrix of ${data.length} values cannot be ${rows} x ${cols}`);
  }
  return { rows, cols, data };
}

/** Training must not silently learn from NaN: the run-time decoder may zero them, training may not. */
export function assertFinite(x: FeatureMatrix): void {
  const d = x.data;
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i]!)) {
      const row = Math.floor(i / x.cols);
      throw new BoldstreamError('TRAIN_INVALID', `feature ${i % x.cols} of sample ${row} is ${d[i]}`);
    }
  }
}

/**
 * Mean and standard deviation of each column over the given rows. Two passes (mean, then squared
 * deviations) rather than sum-of-squares, because z-scored BOLD values sit near zero and raw scanner
 * values sit near 1000: the one-pass formula cancels catastrophically on the latter.
 */
export function columnStats(x: FeatureMatrix, rows: ArrayLike<number>): ColumnStats {
  const p = x.cols;
  const d = x.data;
  const mean = new Float64Array(p);
  const std = new Float64Array(p);
  const n = rows.length;
  for (let r = 0; r < n; r++) {
    const off = rows[r]! * p;
    for (let j = 0; j < p; j++) mean[j]! += d[off + j]!;
  }
  for (let j = 0; j < p; j++) mean[j]! /= Math.max(n, 1);
  for (let r = 0; r < n; r++) {
    const off = rows[r]! * p;
    for (let j = 0; j < p; j++) {
      const dev = d[off + j]! - mean[j]!;
      std[j]! += dev * dev;
    }
  }
  for (let j = 0; j < p; j++) {
    const s = Math.sqrt(std[j]! / Math.max(n, 1));
    // A constant column (a voxel outside the brain in one fold, or a saturated one) would divide by
    // zero; with std 1 its standardised value is exactly 0 and it contributes nothing.
    std[j] = s > 1e-12 * Math.max(1, Math.abs(mean[j]!)) ? s : 1;
  }
  return { mean, std };
}

/** The given rows, standardised with the given statistics, as a new row-major Float64Array. */
export function standardizeRows(x: FeatureMatrix, rows: ArrayLike<number>, stats: ColumnStats): Float64Array {
  const p = x.cols;
  const d = x.data;
  const out = new Float64Array(rows.length * p);
  const { mean, std } = stats;
  for (let r = 0; r < rows.length; r++) {
    const src = rows[r]! * p;
    const dst = r * p;
    for (let j = 0; j < p; j++) out[dst + j] = (d[src + j]! - mean[j]!) / std[j]!;
  }
  return out;
}

/** 0, 1, ..., n-1 as an index list. */
export function allRows(n: number): Int32Array {
  const rows = new Int32Array(n);
  for (let i = 0; i < n; i++) rows[i] = i;
  return rows;
}
