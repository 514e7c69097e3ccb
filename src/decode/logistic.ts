/**
 * Multinomial (softmax) logistic regression with an L2 penalty, for calibrated class probabilities.
 *
 * On standardised features Z (n x p) it minimises
 *   Σ_i [ log Σ_c exp(s_ic) − s_i,y_i ] + (λ/2) ‖W‖²,   s_i = W z_i + b,
 * which is scikit-learn's LogisticRegression(multi_class='multinomial') with C = 1/λ. Intercepts are
 * unpenalised. The softmax is unchanged by adding one constant to every intercept, so the fitted
 * intercepts are shifted to sum to zero to make the answer unique.
 */
import { minimizeLbfgs } from './lbfgs.js';

export interface LogisticFit {
  /** k x p row-major. */
  readonly weights: Float64Array;
  readonly bias: Float64Array;
  readonly converged: boolean;
  readonly iterations: number;
}

export interface LogisticOptions {
  /** Parameters to start from (a fit at a nearby strength): warm starts make a strength path cheap. */
  readonly start?: { readonly weights: Float64Array; readonly bias: Float64Array };
  /** Stop when every gradient entry is at most this times n (the loss sums over n samples); default 1e-6. */
  readonly gradientTolerance?: number;
  readonly maxIterations?: number;
}

/** `z`: n x p standardised features; `y`: class index per row in [0, k). */
export function fitLogistic(z: Float64Array, y: ArrayLike<number>, n: number, p: number, k: number, lambda: number, options: LogisticOptions = {}): LogisticFit {
  if (!(lambda > 0)) throw new RangeError(`logistic strength must be positive, got ${lambda}`);
  const x0 = new Float64Array(k * p + k);
  if (options.start) {
    x0.set(options.start.weights, 0);
    x0.set(options.start.bias, k * p);
  }
  const scores = new Float64Array(n * k);
  const objective = (theta: Float64Array, grad: Float64Array): number => {
    linearScoresInto(theta, z, n, p, k, scores);
    let f = 0;
    // Turn scores into residuals (softmax − one-hot) in place; the loss is Σ log-sum-exp − true score.
    for (let i = 0; i < n; i++) {
      const o = i * k;
      let top = -Infinity;
      for (let c = 0; c < k; c++) top = Math.max(top, scores[o + c]!);
      let sum = 0;
      for (let c = 0; c < k; c++) sum += Math.exp(scores[o + c]! - top);
      const lse = top + Math.log(sum);
      f += lse - scores[o + y[i]!]!;
      for (let c = 0; c < k; c++) scores[o + c] = Math.exp(scores[o + c]! - lse);
      scores[o + y[i]!]! -= 1;
    }
    residualGradientInto(scores, z, n, p, k, grad);
    for (let j = 0; j < k * p; j++) {
      f += 0.5 * lambda * theta[j]! * theta[j]!;
      grad[j]! += lambda * theta[j]!;
    }
    return f;
  };
  const result = minimizeLbfgs(objective, x0, {
    gradientTolerance: (options.gradientTolerance ?? 1e-6) * Math.max(n, 1),
    maxIterations: options.maxIterations ?? 500,
  });
  const weights = result.x.slice(0, k * p);
  const bias = result.x.slice(k * p);
  const shift = bias.reduce((a, v) => a + v, 0) / k;
  for (let c = 0; c < k; c++) bias[c]! -= shift;
  return { weights, bias, converged: result.converged, iterations: result.iterations };
}

/** Natural-log softmax of `scores` in place: log-probabilities that stay finite for any score. */
export function logSoftmaxInPlace(scores: Float64Array): void {
  let top = -Infinity;
  for (const v of scores) if (v > top) top = v;
  let sum = 0;
  for (const v of scores) sum += Math.exp(v - top);
  const lse = top + Math.log(sum);
  for (let c = 0; c < scores.length; c++) scores[c] = scores[c]! - lse;
}

/*
 * The two products below are where fitting spends its time. Four samples share each weight load
 * (scores) and each gradient load and store (gradient), which roughly halves the memory traffic of
 * the plain loops in a JIT that does not vectorise.
 */

/** scores (n x k) = Z Wᵀ + b for theta = [W (k x p), b (k)]. */
function linearScoresInto(theta: Float64Array, z: Float64Array, n: number, p: number, k: number, scores: Float64Array): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const r0 = i * p;
    const r1 = r0 + p;
    const r2 = r1 + p;
    const r3 = r2 + p;
    for (let c = 0; c < k; c++) {
      const w = c * p;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let j = 0; j < p; j++) {
        const wj = theta[w + j]!;
        s0 += wj * z[r0 + j]!;
        s1 += wj * z[r1 + j]!;
        s2 += wj * z[r2 + j]!;
        s3 += wj * z[r3 + j]!;
      }
      const b = theta[k * p + c]!;
      scores[i * k + c] = s0 + b;
      scores[(i + 1) * k + c] = s1 + b;
      scores[(i + 2) * k + c] = s2 + b;
      scores[(i + 3) * k + c] = s3 + b;
    }
  }
  for (; i < n; i++) {
    for (let c = 0; c < k; c++) {
      let v = theta[k * p + c]!;
      for (let j = 0; j < p; j++) v += theta[c * p + j]! * z[i * p + j]!;
      scores[i * k + c] = v;
    }
  }
}

/** grad = [Rᵀ Z (k x p), column sums of R (k)] for residuals R (n x k). */
function residualGradientInto(res: Float64Array, z: Float64Array, n: number, p: number, k: number, grad: Float64Array): void {
  grad.fill(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const r0 = i * p;
    const r1 = r0 + p;
    const r2 = r1 + p;
    const r3 = r2 + p;
    for (let c = 0; c < k; c++) {
      const e0 = res[i * k + c]!;
      const e1 = res[(i + 1) * k + c]!;
      const e2 = res[(i + 2) * k + c]!;
      const e3 = res[(i + 3) * k + c]!;
      grad[k * p + c]! += e0 + e1 + e2 + e3;
      const w = c * p;
      for (let j = 0; j < p; j++) grad[w + j]! += e0 * z[r0 + j]! + e1 * z[r1 + j]! + e2 * z[r2 + j]! + e3 * z[r3 + j]!;
    }
  }
  for (; i < n; i++) {
    for (let c = 0; c < k; c++) {
      const e = res[i * k + c]!;
      grad[k * p + c]! += e;
      for (let j = 0; j < p; j++) grad[c * p + j]! += e * z[i * p + j]!;
    }
  }
}
