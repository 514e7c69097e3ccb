/**
 * Ridge classifier: one-vs-rest least squares on ±1 targets with an L2 penalty, solved in closed form
 * for all regularisation strengths at once.
 *
 * On standardised features Z (n x p, columns of zero mean over the training rows) and targets Y
 * (n x k), ridge minimises ‖Y − ZW − 1bᵀ‖² + λ‖W‖². The intercept is unpenalised, and because Z's
 * columns have zero mean it is exactly the mean target, b = ȳ. The weights are
 *   primal (p ≤ n):  W = (ZᵀZ + λI)⁻¹ Zᵀ(Y − ȳ)
 *   dual   (p > n):  W = Zᵀ (ZZᵀ + λI)⁻¹ (Y − ȳ)
 * whichever Gram matrix is smaller. Either one, reduced once to Q T Qᵀ, gives
 *   W(λ) = Bᵀ (T + λI)⁻¹ R
 * with a basis B (r x p) and right-hand side R (r x k) that do not depend on λ: a `RidgePath`.
 */
import { type Tridiagonal, solveShifted, tridiagonalize } from './tridiagonal.js';

export interface RidgePath {
  readonly p: number;
  readonly k: number;
  /** Size of the Gram matrix that was reduced: p (primal) or n (dual). */
  readonly r: number;
  /** r x p row-major: the rows span the space the weights live in. */
  readonly basis: Float64Array;
  readonly tri: Tridiagonal;
  /** r x k row-major, Qᵀ times the centred right-hand side. */
  readonly rhs: Float64Array;
  /** Unpenalised intercepts, the mean of each target column. */
  readonly intercept: Float64Array;
}

/** ±1 one-vs-rest targets (n x k row-major), as scikit-learn's RidgeClassifier builds them. */
export function oneVsRestTargets(y: ArrayLike<number>, k: number): Float64Array {
  const t = new Float64Array(y.length * k).fill(-1);
  for (let i = 0; i < y.length; i++) t[i * k + y[i]!] = 1;
  return t;
}

/** `z`: n x p standardised features (column means zero); `targets`: n x k. */
export function ridgePath(z: Float64Array, targets: Float64Array, n: number, p: number, k: number): RidgePath {
  const intercept = new Float64Array(k);
  for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) intercept[c]! += targets[i * k + c]!;
  for (let c = 0; c < k; c++) intercept[c]! /= Math.max(n, 1);
  const centred = new Float64Array(n * k);
  for (let i = 0; i < n * k; i++) centred[i] = targets[i]! - intercept[i % k]!;
  return p <= n ? primalPath(z, centred, n, p, k, intercept) : dualPath(z, centred, n, p, k, intercept);
}

function primalPath(z: Float64Array, yc: Float64Array, n: number, p: number, k: number, intercept: Float64Array): RidgePath {
  const gram = upperGram(z, n, p);
  for (let a = 0; a < p; a++) for (let b = 0; b < a; b++) gram[a * p + b] = gram[b * p + a]!;
  const zty = new Float64Array(p * k);
  for (let i = 0; i < n; i++) for (let a = 0; a < p; a++) for (let c = 0; c < k; c++) zty[a * k + c]! += z[i * p + a]! * yc[i * k + c]!;
  const tri = tridiagonalize(gram, p);
  return { p, k, r: p, basis: tri.q, tri, rhs: project(tri.q, zty, p, k), intercept };
}

function dualPath(z: Float64Array, yc: Float64Array, n: number, p: number, k: number, intercept: Float64Array): RidgePath {
  const kernel = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let s = 0;
      for (let a = 0; a < p; a++) s += z[i * p + a]! * z[j * p + a]!;
      kernel[i * n + j] = s;
      kernel[j * n + i] = s;
    }
  }
  const tri = tridiagonalize(kernel, n);
  // Basis row m is Zᵀ q_m, so that W(λ) = Bᵀ (T + λI)⁻¹ Qᵀ Yc as in the primal case.
  const basis = new Float64Array(n * p);
  for (let m = 0; m < n; m++) {
    for (let i = 0; i < n; i++) {
      const w = tri.q[m * n + i]!;
      if (w === 0) continue;
      for (let a = 0; a < p; a++) basis[m * p + a]! += w * z[i * p + a]!;
    }
  }
  return { p, k, r: n, basis, tri, rhs: project(tri.q, yc, n, k), intercept };
}

/**
 * Upper triangle of ZᵀZ. Four samples at a time: each Gram entry is loaded and stored once per four
 * products instead of once per product, which is where a plain triple loop spends its time.
 */
function upperGram(z: Float64Array, n: number, p: number): Float64Array {
  const gram = new Float64Array(p * p);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const r0 = i * p;
    const r1 = r0 + p;
    const r2 = r1 + p;
    const r3 = r2 + p;
    for (let a = 0; a < p; a++) {
      const z0 = z[r0 + a]!;
      const z1 = z[r1 + a]!;
      const z2 = z[r2 + a]!;
      const z3 = z[r3 + a]!;
      const g = a * p;
      for (let b = a; b < p; b++) gram[g + b]! += z0 * z[r0 + b]! + z1 * z[r1 + b]! + z2 * z[r2 + b]! + z3 * z[r3 + b]!;
    }
  }
  for (; i < n; i++) {
    const row = i * p;
    for (let a = 0; a < p; a++) {
      const za = z[row + a]!;
      const g = a * p;
      for (let b = a; b < p; b++) gram[g + b]! += za * z[row + b]!;
    }
  }
  return gram;
}

/** Qᵀ M for Q stored by rows (r x r) and M (r x k). */
function project(q: Float64Array, m: Float64Array, r: number, k: number): Float64Array {
  const out = new Float64Array(r * k);
  for (let row = 0; row < r; row++) {
    for (let i = 0; i < r; i++) {
      const w = q[row * r + i]!;
      for (let c = 0; c < k; c++) out[row * k + c]! += w * m[i * k + c]!;
    }
  }
  return out;
}

/** (T + λI)⁻¹ R, the coefficients of the weights in the basis: r x k. */
export function pathCoefficients(path: RidgePath, lambda: number): Float64Array {
  if (!(lambda > 0)) throw new RangeError(`ridge strength must be positive, got ${lambda}`);
  const s = Float64Array.from(path.rhs);
  solveShifted(path.tri, lambda, s, path.k);
  return s;
}

/** Weights at strength λ, k x p row-major (one row per class), in standardised feature space. */
export function ridgeWeights(path: RidgePath, lambda: number): Float64Array {
  const { p, k, r, basis } = path;
  const s = pathCoefficients(path, lambda);
  const w = new Float64Array(k * p);
  for (let m = 0; m < r; m++) {
    for (let c = 0; c < k; c++) {
      const coef = s[m * k + c]!;
      const dst = c * p;
      const src = m * p;
      for (let j = 0; j < p; j++) w[dst + j]! += coef * basis[src + j]!;
    }
  }
  return w;
}

/** Held-out samples (nt x p, standardised with the training statistics) projected on the basis: nt x r. */
export function projectSamples(path: RidgePath, zt: Float64Array, nt: number): Float64Array {
  const { p, r, basis } = path;
  const out = new Float64Array(nt * r);
  for (let i = 0; i < nt; i++) {
    for (let m = 0; m < r; m++) {
      let s = 0;
      for (let j = 0; j < p; j++) s += zt[i * p + j]! * basis[m * p + j]!;
      out[i * r + m] = s;
    }
  }
  return out;
}

/** Decision values (nt x k) of projected samples at strength λ, without forming the weights. */
export function pathScores(path: RidgePath, projected: Float64Array, nt: number, lambda: number): Float64Array {
  const { k, r, intercept } = path;
  const s = pathCoefficients(path, lambda);
  const out = new Float64Array(nt * k);
  for (let i = 0; i < nt; i++) {
    for (let c = 0; c < k; c++) {
      let v = intercept[c]!;
      for (let m = 0; m < r; m++) v += projected[i * r + m]! * s[m * k + c]!;
      out[i * k + c] = v;
    }
  }
  return out;
}
