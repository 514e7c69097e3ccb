/**
 * Ridge and logistic fits against independent references computed by numpy/scipy from the same
 * numbers: numpy's dense solve of the ridge normal equations, scipy's L-BFGS-B on the softmax loss.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { allRows, columnStats, featureMatrix, standardizeRows } from '../../src/decode/matrix.js';
import { fitLogistic } from '../../src/decode/logistic.js';
import { oneVsRestTargets, pathScores, projectSamples, ridgePath, ridgeWeights } from '../../src/decode/ridge.js';
import { seededNormal, seededUniform } from '../../src/decode/synthetic.js';
import { referencePython } from '../helpers/paths.js';

function python<T>(script: string, input: unknown): T {
  const out = execFileSync(referencePython, ['-c', script], { input: JSON.stringify(input), maxBuffer: 1 << 28 });
  return JSON.parse(out.toString()) as T;
}

const NUMPY_RIDGE = `
import json, sys, numpy as np
d = json.load(sys.stdin)
n, p, k = d['n'], d['p'], d['k']
X = np.array(d['X'], dtype=np.float64).reshape(n, p)
y = np.array(d['y'])
mu = X.mean(0)
sd = X.std(0)
sd[sd <= 1e-12 * np.maximum(1, np.abs(mu))] = 1
Z = (X - mu) / sd
Y = -np.ones((n, k)); Y[np.arange(n), y] = 1
b = Y.mean(0)
out = []
for lam in d['lams']:
    W = np.linalg.solve(Z.T @ Z + lam * np.eye(p), Z.T @ (Y - b))
    out.append(W.T.ravel().tolist())
print(json.dumps({'W': out, 'b': b.tolist(), 'mean': mu.tolist(), 'std': sd.tolist()}))
`;

/** n x p float32 noise with a class signal, one constant column and one column of raw-scanner scale. */
function problem(n: number, p: number, k: number, seed: number) {
  const normal = seededNormal(seed);
  const uniform = seededUniform(seed + 1);
  const y = Int32Array.from({ length: n }, () => Math.floor(uniform() * k));
  const data = new Float32Array(n * p);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) data[i * p + j] = normal() + (j % k === y[i] ? 0.8 : 0);
    data[i * p + 1] = 7.25; // constant: std 1, contributes nothing
    data[i * p + 2] = 1000 + 20 * normal();
  }
  return { x: featureMatrix(data, n, p), y };
}

function expectClose(actual: ArrayLike<number>, expected: readonly number[], relative: number): void {
  expect(actual.length).toBe(expected.length);
  const scale = Math.max(...expected.map(Math.abs));
  for (let i = 0; i < expected.length; i++) {
    expect(Math.abs(actual[i]! - expected[i]!)).toBeLessThanOrEqual(relative * Math.abs(expected[i]!) + 1e-9 * scale);
  }
}

describe('ridge closed form', () => {
  const cases = [
    { name: 'primal (n > p)', n: 120, p: 30, k: 4 },
    { name: 'dual (p > n)', n: 40, p: 150, k: 3 },
  ];
  for (const c of cases) {
    it(`matches numpy's normal equations at every strength, ${c.name}`, () => {
      const { x, y } = problem(c.n, c.p, c.k, c.n + c.p);
      const lams = [1e-2, 1, 37, 1e3, 1e5];
      const ref = python<{ W: number[][]; b: number[]; mean: number[]; std: number[] }>(NUMPY_RIDGE, {
        n: c.n,
        p: c.p,
        k: c.k,
        X: Array.from(x.data),
        y: Array.from(y),
        lams,
      });
      const rows = allRows(c.n);
      const stats = columnStats(x, rows);
      expectClose(stats.mean, ref.mean, 1e-12);
      expectClose(stats.std, ref.std, 1e-12);
      expect(stats.std[1]).toBe(1);
      const path = ridgePath(standardizeRows(x, rows, stats), oneVsRestTargets(y, c.k), c.n, c.p, c.k);
      expect(path.r).toBe(Math.min(c.n, c.p));
      expectClose(path.intercept, ref.b, 1e-12);
      lams.forEach((lam, i) => {
        const w = ridgeWeights(path, lam);
        expectClose(w, ref.W[i]!, 1e-4);
        for (let cl = 0; cl < c.k; cl++) expect(w[cl * c.p + 1]).toBe(0);
      });
    });
  }

  it('scores held-out samples through the basis exactly as through the weights', () => {
    const { x, y } = problem(80, 25, 3, 5);
    const rows = allRows(60);
    const stats = columnStats(x, rows);
    const path = ridgePath(standardizeRows(x, rows, stats), oneVsRestTargets(y.subarray(0, 60), 3), 60, 25, 3);
    const test = standardizeRows(x, Array.from({ length: 20 }, (_, i) => 60 + i), stats);
    const viaPath = pathScores(path, projectSamples(path, test, 20), 20, 12.5);
    const w = ridgeWeights(path, 12.5);
    for (let i = 0; i < 20; i++) {
      for (let c = 0; c < 3; c++) {
        let s = path.intercept[c]!;
        for (let j = 0; j < 25; j++) s += w[c * 25 + j]! * test[i * 25 + j]!;
        expect(viaPath[i * 3 + c]).toBeCloseTo(s, 10);
      }
    }
  });
});

const SCIPY_LOGISTIC = `
import json, sys, numpy as np
from scipy.optimize import minimize
from scipy.special import logsumexp
d = json.load(sys.stdin)
n, p, k, lam = d['n'], d['p'], d['k'], d['lam']
Z = np.array(d['Z']).reshape(n, p); y = np.array(d['y'])
E = np.zeros((n, k)); E[np.arange(n), y] = 1
def f(theta):
    W = theta[:k * p].reshape(k, p); b = theta[k * p:]
    S = Z @ W.T + b
    L = logsumexp(S, axis=1)
    R = np.exp(S - L[:, None]) - E
    val = np.sum(L - S[np.arange(n), y]) + 0.5 * lam * np.sum(W * W)
    return val, np.concatenate([(R.T @ Z + lam * W).ravel(), R.sum(0)])
r = minimize(f, np.zeros(k * p + k), jac=True, method='L-BFGS-B', options={'gtol': 1e-11, 'ftol': 1e-15, 'maxiter': 20000})
b = r.x[k * p:]
print(json.dumps({'W': r.x[:k * p].tolist(), 'b': (b - b.mean()).tolist()}))
`;

describe('multinomial logistic regression', () => {
  it("matches scipy's minimiser of the same penalised softmax loss", () => {
    const n = 90;
    const p = 12;
    const k = 3;
    const { x, y } = problem(n, p, k, 11);
    const rows = allRows(n);
    const z = standardizeRows(x, rows, columnStats(x, rows));
    for (const lam of [0.5, 20]) {
      const ref = python<{ W: number[]; b: number[] }>(SCIPY_LOGISTIC, { n, p, k, lam, Z: Array.from(z), y: Array.from(y) });
      const fit = fitLogistic(z, y, n, p, k, lam, { gradientTolerance: 1e-9, maxIterations: 5000 });
      expect(fit.converged).toBe(true);
      expectClose(fit.weights, ref.W, 1e-4);
      expectClose(fit.bias, ref.b, 1e-4);
    }
  });

  it('reaches the same optimum from a warm start', () => {
    const { x, y } = problem(60, 8, 3, 3);
    const rows = allRows(60);
    const z = standardizeRows(x, rows, columnStats(x, rows));
    const cold = fitLogistic(z, y, 60, 8, 3, 2, { gradientTolerance: 1e-10 });
    const warm = fitLogistic(z, y, 60, 8, 3, 2, { gradientTolerance: 1e-10, start: fitLogistic(z, y, 60, 8, 3, 50) });
    expectClose(warm.weights, Array.from(cold.weights), 1e-6);
  });
});
