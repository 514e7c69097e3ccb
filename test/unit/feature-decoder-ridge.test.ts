/**
 * Feature decoders' fitting against numpy on the same numbers: one ridge per unit on its own
 * selection of voxels (dual, primal, and the dual Gram formed from the unselected voxels), the whole
 * layer fit (standardisation, selection by |r|, intercepts, training spread), and the
 * leave-one-run-out choice of strength with per-fold profile correlations. Voxel selection is also
 * checked to find the voxels a unit really depends on.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { fitLayer } from '../../src/decode/features/fit-layer.js';
import { crossValidateLayer } from '../../src/decode/features/layer-crossval.js';
import { pathWeights, rowGram, solveUnit, unitPath, unitSystem, type Design } from '../../src/decode/features/unit-ridge.js';
import { selectVoxels, voxelCorrelations } from '../../src/decode/features/voxel-selection.js';
import { allRows, columnStats, featureMatrix, standardizeRows } from '../../src/decode/matrix.js';
import { seededNormal } from '../../src/decode/synthetic.js';
import { referencePython } from '../helpers/paths.js';

function python<T>(script: string, input: unknown): T {
  const out = execFileSync(referencePython, ['-c', script], { input: JSON.stringify(input), maxBuffer: 1 << 28 });
  return JSON.parse(out.toString()) as T;
}

function expectClose(actual: ArrayLike<number>, expected: readonly number[], relative: number): void {
  expect(actual.length).toBe(expected.length);
  const scale = Math.max(...expected.map(Math.abs));
  for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i]! - expected[i]!)).toBeLessThanOrEqual(relative * scale);
}

/** Samples × voxels with a few voxels driving each unit, plus noise; raw-scanner-like offsets. */
function problem(n: number, v: number, units: number, seed: number) {
  const normal = seededNormal(seed);
  const x = Float64Array.from({ length: n * v }, (_, i) => 1000 + 30 * (i % v) / v + normal());
  const y = new Float32Array(n * units);
  for (let i = 0; i < n; i++) {
    for (let u = 0; u < units; u++) {
      let s = 0.5 * normal();
      for (let d = 0; d < 3; d++) s += (d + 1) * 0.4 * x[i * v + ((u * 7 + d * 3) % v)]!;
      y[i * units + u] = s;
    }
  }
  // A unit that never varies (a dead ReLU) must decode as its constant.
  for (let i = 0; i < n; i++) y[i * units + units - 1] = 0.25;
  return { x: featureMatrix(x, n, v), y };
}

const NUMPY_UNIT = `
import json, sys, numpy as np
d = json.load(sys.stdin)
Z = np.array(d['z']).reshape(d['n'], d['v']); yc = np.array(d['yc']); S = Z[:, d['sel']]
print(json.dumps([np.linalg.solve(S.T @ S + lam * np.eye(S.shape[1]), S.T @ yc).tolist() for lam in d['lams']]))`;

describe('one ridge per unit', () => {
  // n > K (primal), n < K (dual), and n < K with more than half the voxels selected (complement).
  for (const [n, v, k] of [[60, 30, 12], [25, 80, 30], [25, 80, 60]] as const) {
    it(`matches numpy's solve of the normal equations (n ${n}, ${v} voxels, K ${k})`, () => {
      const normal = seededNormal(n + v + k);
      const z = Float64Array.from({ length: n * v }, () => normal());
      const design: Design = { z, n, v };
      const yc = Float64Array.from({ length: n }, () => normal());
      const sel = selectVoxels(voxelCorrelations(design, yc), k);
      const lams = [0.01, 3, 400];
      const expected = python<number[][]>(NUMPY_UNIT, { z: Array.from(z), n, v, yc: Array.from(yc), sel: Array.from(sel), lams });
      const full = rowGram(z, n, v);
      const system = unitSystem(design, sel, yc, full);
      expect(system.dual).toBe(k > n);
      const path = unitPath(system);
      lams.forEach((lam, i) => {
        expectClose(solveUnit(system, lam), expected[i]!, 1e-8);
        expectClose(pathWeights(path, lam), expected[i]!, 1e-7);
      });
    });
  }
});

describe('voxel selection', () => {
  it('picks the voxels a unit depends on, by absolute correlation, in ascending order', () => {
    const normal = seededNormal(3);
    const n = 200;
    const v = 50;
    const z = Float64Array.from({ length: n * v }, () => normal());
    const design: Design = { z, n, v };
    // Depends on voxels 41, 7 (negatively) and 19; the others are noise.
    const yc = Float64Array.from({ length: n }, (_, i) => 1.0 * z[i * v + 41]! - 0.8 * z[i * v + 7]! + 0.6 * z[i * v + 19]! + 0.3 * normal());
    expect(Array.from(selectVoxels(voxelCorrelations(design, yc), 3))).toEqual([7, 19, 41]);
    const r = voxelCorrelations(design, yc);
    expect(r[7]!).toBeLessThan(-0.4);
    expect(Math.abs(r[0]!)).toBeLessThan(0.25);
  });

  it('gives a constant unit no correlations, and keeps every voxel when K ≥ voxels', () => {
    const design: Design = { z: new Float64Array(40).fill(1), n: 10, v: 4 };
    expect(Array.from(voxelCorrelations(design, new Float64Array(10)))).toEqual([0, 0, 0, 0]);
    expect(Array.from(selectVoxels(Float64Array.from([0.1, -0.9, 0.5]), 5))).toEqual([0, 1, 2]);
  });
});

const NUMPY_LAYER = `
import json, sys, numpy as np
d = json.load(sys.stdin)
n, v, U, K, lam = d['n'], d['v'], d['units'], d['k'], d['lam']
X = np.array(d['x']).reshape(n, v); Y = np.array(d['y']).reshape(n, U)
mu = X.mean(0); sd = X.std(0); sd[sd <= 1e-12 * np.maximum(1, np.abs(mu))] = 1
Z = (X - mu) / sd
out = {'voxels': [], 'weights': [], 'mean': Y.mean(0).tolist(), 'std': Y.std(0).tolist()}
for u in range(U):
    yc = Y[:, u] - Y[:, u].mean()
    if not np.any(yc):
        out['voxels'].append(list(range(K))); out['weights'].append([0.0] * K); continue
    r = Z.T @ yc / np.sqrt(n * (yc @ yc))
    sel = np.sort(np.argsort(-np.abs(r), kind='stable')[:K])
    S = Z[:, sel]
    out['voxels'].append(sel.tolist()); out['weights'].append(np.linalg.solve(S.T @ S + lam * np.eye(K), S.T @ yc).tolist())
print(json.dumps(out))`;

describe('a layer', () => {
  it('fits every unit as numpy does: standardised voxels, top-K |r|, ridge, intercept = training mean', () => {
    const n = 48;
    const v = 40;
    const units = 6;
    const k = 10;
    const lam = 5;
    const { x, y } = problem(n, v, units, 11);
    const stats = columnStats(x, allRows(n));
    const design: Design = { z: standardizeRows(x, allRows(n), stats), n, v };
    const fit = fitLayer(design, y, units, k, lam);
    const ref = python<{ voxels: number[][]; weights: number[][]; mean: number[]; std: number[] }>(NUMPY_LAYER, { n, v, units, k, lam, x: Array.from(x.data), y: Array.from(y) });
    for (let u = 0; u < units; u++) {
      expect(Array.from(fit.voxels.subarray(u * k, (u + 1) * k))).toEqual(ref.voxels[u]);
      expectClose(fit.weights.subarray(u * k, (u + 1) * k), ref.weights[u]!, 1e-5);
    }
    expectClose(fit.intercept, ref.mean, 1e-6);
    expectClose(fit.featureStd, ref.std, 1e-5);
    expect(fit.featureStd[units - 1]).toBe(0);
    expect(fit.featureMean[units - 1]).toBe(0.25);
  });
});

const NUMPY_CV = `
import json, sys, numpy as np
d = json.load(sys.stdin)
n, v, U, K = d['n'], d['v'], d['units'], d['k']
X = np.array(d['x']).reshape(n, v); Y = np.array(d['y']).reshape(n, U)[:, d['evaluated']]; runs = np.array(d['runs'])
scores = []
for run in sorted(set(d['runs'])):
    tr, te = runs != run, runs == run
    mu = X[tr].mean(0); sd = X[tr].std(0); sd[sd <= 1e-12 * np.maximum(1, np.abs(mu))] = 1
    Z, Zt = (X[tr] - mu) / sd, (X[te] - mu) / sd
    fold = []
    for lam in d['lams']:
        P = np.zeros((te.sum(), Y.shape[1]))
        for u in range(Y.shape[1]):
            m = Y[tr, u].mean(); yc = Y[tr, u] - m
            r = Z.T @ yc / np.sqrt(tr.sum() * (yc @ yc))
            sel = np.sort(np.argsort(-np.abs(r), kind='stable')[:K])
            w = np.linalg.solve(Z[:, sel].T @ Z[:, sel] + lam * np.eye(K), Z[:, sel].T @ yc)
            P[:, u] = m + Zt[:, sel] @ w
        fold.append(np.mean([np.corrcoef(P[:, u], Y[te, u])[0, 1] for u in range(Y.shape[1])]))
    scores.append(fold)
print(json.dumps(np.mean(scores, 0).tolist()))`;

describe('strength by leave-one-run-out cross-validation', () => {
  it('scores each strength by the mean over folds of the held-out profile correlation, as numpy does', () => {
    const n = 45;
    const v = 30;
    const units = 5;
    const { x, y } = problem(n, v, units, 5);
    const runs = Array.from({ length: n }, (_, i) => `0${1 + (i % 3)}`);
    const evaluated = [0, 2, 3];
    const lams = [0.1, 10, 1000];
    const cv = crossValidateLayer({ x, y, units, runs, voxels: 8 }, evaluated, lams);
    const expected = python<number[]>(NUMPY_CV, { n, v, units, k: 8, x: Array.from(x.data), y: Array.from(y), runs, evaluated, lams });
    expectClose(cv.meanProfileByStrength, expected, 1e-6);
    expect(cv.folds).toEqual([{ run: '01', samples: 15 }, { run: '02', samples: 15 }, { run: '03', samples: 15 }]);
    const best = Math.max(...expected);
    expect(cv.profileCorrelation).toBeCloseTo(best, 6);
    expect(cv.chosenStrength).toBe(lams[expected.indexOf(best)]);
  });
});
