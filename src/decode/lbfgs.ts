/**
 * Limited-memory BFGS for smooth convex objectives (Nocedal & Wright 2006, algorithm 7.4/7.5), with
 * a backtracking Armijo line search. Enough for L2-penalised multinomial logistic regression, whose
 * objective is strictly convex in the weights; no bounds, no Wolfe curvature search.
 */

/** Returns f(x) and writes ∇f(x) into `grad`. */
export type Objective = (x: Float64Array, grad: Float64Array) => number;

export interface LbfgsOptions {
  /**
   * Stop when max|∇f| ≤ this. Absolute, not relative to the start: a warm start begins near the
   * optimum, and a relative test would then demand ever more precision along a path.
   */
  readonly gradientTolerance?: number;
  readonly maxIterations?: number;
  /** Correction pairs kept. */
  readonly memory?: number;
}

export interface LbfgsResult {
  readonly x: Float64Array;
  readonly f: number;
  readonly iterations: number;
  readonly converged: boolean;
}

const dot = (a: Float64Array, b: Float64Array): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};
const maxAbs = (a: Float64Array): number => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

export function minimizeLbfgs(objective: Objective, x0: Float64Array, options: LbfgsOptions = {}): LbfgsResult {
  const { gradientTolerance = 1e-6, maxIterations = 1000, memory = 10 } = options;
  const n = x0.length;
  let x = Float64Array.from(x0);
  let g = new Float64Array(n);
  let f = objective(x, g);
  const stop = gradientTolerance;
  const ss: Float64Array[] = [];
  const ys: Float64Array[] = [];
  const dir = new Float64Array(n);
  const xNew = new Float64Array(n);
  const gNew = new Float64Array(n);
  for (let iter = 0; iter < maxIterations; iter++) {
    if (maxAbs(g) <= stop) return { x, f, iterations: iter, converged: true };
    searchDirection(g, ss, ys, dir);
    let slope = dot(g, dir);
    if (!(slope < 0)) {
      // Curvature pairs went stale (rounding near the optimum): restart from steepest descent.
      ss.length = ys.length = 0;
      for (let i = 0; i < n; i++) dir[i] = -g[i]!;
      slope = dot(g, dir);
    }
    // The first step has no curvature estimate; scale it so that it moves x by about 1.
    let step = ss.length === 0 ? 1 / Math.max(1, maxAbs(g)) : 1;
    let fNew = Number.NaN;
    let accepted = false;
    for (let tries = 0; tries < 60; tries++) {
      for (let i = 0; i < n; i++) xNew[i] = x[i]! + step * dir[i]!;
      fNew = objective(xNew, gNew);
      if (fNew <= f + 1e-4 * step * slope) {
        accepted = true;
        break;
      }
      step *= 0.5;
    }
    if (!accepted) return { x, f, iterations: iter, converged: maxAbs(g) <= stop * 10 };
    const s = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = xNew[i]! - x[i]!;
      y[i] = gNew[i]! - g[i]!;
    }
    if (dot(s, y) > 1e-12 * dot(y, y)) {
      ss.push(s);
      ys.push(y);
      if (ss.length > memory) {
        ss.shift();
        ys.shift();
      }
    }
    const fOld = f;
    x = Float64Array.from(xNew);
    g = Float64Array.from(gNew);
    f = fNew;
    // No further progress is representable in double precision.
    if (Math.abs(fOld - f) <= 1e-15 * Math.max(1, Math.abs(f)) && maxAbs(g) <= stop * 100) {
      return { x, f, iterations: iter + 1, converged: true };
    }
  }
  return { x, f, iterations: maxIterations, converged: maxAbs(g) <= stop };
}

/** Two-loop recursion: dir = −H g with the implicit inverse Hessian of the stored pairs. */
function searchDirection(g: Float64Array, ss: Float64Array[], ys: Float64Array[], dir: Float64Array): void {
  const m = ss.length;
  const alpha = new Float64Array(m);
  dir.set(g);
  for (let j = m - 1; j >= 0; j--) {
    const rho = 1 / dot(ys[j]!, ss[j]!);
    alpha[j] = rho * dot(ss[j]!, dir);
    const y = ys[j]!;
    for (let i = 0; i < dir.length; i++) dir[i]! -= alpha[j]! * y[i]!;
  }
  if (m > 0) {
    const gamma = dot(ss[m - 1]!, ys[m - 1]!) / dot(ys[m - 1]!, ys[m - 1]!);
    for (let i = 0; i < dir.length; i++) dir[i]! *= gamma;
  }
  for (let j = 0; j < m; j++) {
    const rho = 1 / dot(ys[j]!, ss[j]!);
    const beta = rho * dot(ys[j]!, dir);
    const s = ss[j]!;
    for (let i = 0; i < dir.length; i++) dir[i]! += (alpha[j]! - beta) * s[i]!;
  }
  for (let i = 0; i < dir.length; i++) dir[i] = -dir[i]!;
}
