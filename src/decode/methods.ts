/**
 * The linear methods a decoder can be trained with, behind one small interface so that
 * cross-validation and training do not care which one runs.
 */
import { fitLogistic, type LogisticFit } from './logistic.js';
import { predictions } from './metrics.js';
import { oneVsRestTargets, pathScores, projectSamples, ridgePath, ridgeWeights } from './ridge.js';

export type MethodName = 'ridge' | 'logistic';

/** What a model's per-TR scores mean; trial accumulation combines them accordingly. */
export type ScoreKind = 'decision' | 'log-probability';

/** Standardised samples of one side of a fold. */
export interface FoldData {
  /** n x p row-major. */
  readonly z: Float64Array;
  /** Class index per row. */
  readonly y: Int32Array;
  readonly n: number;
}

export interface LinearFit {
  /** k x p row-major, in standardised feature space. */
  readonly weights: Float64Array;
  readonly bias: Float64Array;
}

/** A log-spaced grid of strengths, multiplied by the feature count p. */
export interface GridSpec {
  readonly min: number;
  readonly max: number;
  readonly count: number;
}

export interface LinearMethod {
  readonly name: MethodName;
  readonly scoreKind: ScoreKind;
  readonly defaultGrid: GridSpec;
  /** Predicted class of every test row at every strength (strengths ascending). */
  heldOut(train: FoldData, test: FoldData, p: number, k: number, strengths: readonly number[]): Int32Array[];
  fit(train: FoldData, p: number, k: number, strength: number): LinearFit;
}

export const ridgeMethod: LinearMethod = {
  name: 'ridge',
  scoreKind: 'decision',
  // Penalties from almost none to so strong that only the class means remain; ×p because the
  // Gram matrix's trace grows with the number of standardised features.
  defaultGrid: { min: 1e-2, max: 1e5, count: 30 },
  heldOut(train, test, p, k, strengths) {
    const path = ridgePath(train.z, oneVsRestTargets(train.y, k), train.n, p, k);
    const projected = projectSamples(path, test.z, test.n);
    return strengths.map((lambda) => predictions(pathScores(path, projected, test.n, lambda), test.n, k));
  },
  fit(train, p, k, strength) {
    const path = ridgePath(train.z, oneVsRestTargets(train.y, k), train.n, p, k);
    return { weights: ridgeWeights(path, strength), bias: Float64Array.from(path.intercept) };
  },
};

export const logisticMethod: LinearMethod = {
  name: 'logistic',
  scoreKind: 'log-probability',
  // Each strength is an iterative fit, so the grid is coarser than ridge's: one point per decade.
  defaultGrid: { min: 1e-4, max: 1e2, count: 7 },
  heldOut(train, test, p, k, strengths) {
    // Strongest first: the heavily penalised fit converges fast and warm-starts the next one.
    const out = new Array<Int32Array>(strengths.length);
    let start: LogisticFit | undefined;
    for (let s = strengths.length - 1; s >= 0; s--) {
      // Held-out predictions settle long before the weights do: a looser tolerance than the final fit.
      start = fitLogistic(train.z, train.y, train.n, p, k, strengths[s]!, { gradientTolerance: 1e-4, ...(start ? { start } : {}) });
      out[s] = predictions(linearScores(start, test.z, test.n, p, k), test.n, k);
    }
    return out;
  },
  fit(train, p, k, strength) {
    const { weights, bias } = fitLogistic(train.z, train.y, train.n, p, k, strength);
    return { weights, bias };
  },
};

export function methodByName(name: MethodName): LinearMethod {
  return name === 'ridge' ? ridgeMethod : logisticMethod;
}

/** Z Wᵀ + b: n x k scores of standardised samples. */
export function linearScores(fit: LinearFit, z: Float64Array, n: number, p: number, k: number): Float64Array {
  const out = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) {
      let v = fit.bias[c]!;
      for (let j = 0; j < p; j++) v += fit.weights[c * p + j]! * z[i * p + j]!;
      out[i * k + c] = v;
    }
  }
  return out;
}

/** p · logspace(min, max, count), ascending. */
export function strengthGrid(p: number, spec: GridSpec): number[] {
  if (spec.count === 1) return [p * spec.min];
  const lo = Math.log10(spec.min);
  const hi = Math.log10(spec.max);
  return Array.from({ length: spec.count }, (_, i) => p * 10 ** (lo + ((hi - lo) * i) / (spec.count - 1)));
}
