/**
 * Leave-one-run-out cross-validation and training, on synthetic data whose answer is known:
 * the per-strength accuracies against a numpy implementation of the same protocol, a strength that
 * makes sense for the signal, accuracy ≈ 1 when classes are separable and ≈ chance when labels are
 * shuffled.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { crossValidate } from '../../src/decode/crossval.js';
import { LinearDecoder } from '../../src/decode/decoder.js';
import { featureMatrix } from '../../src/decode/matrix.js';
import { ridgeMethod, strengthGrid } from '../../src/decode/methods.js';
import { type SyntheticOptions, seededUniform, syntheticDecodingSet } from '../../src/decode/synthetic.js';
import { bundleFromTraining, trainClassifier } from '../../src/decode/train.js';
import { BoldstreamError } from '../../src/errors.js';
import { identity4 } from '../../src/geometry/mat4.js';
import { referencePython } from '../helpers/paths.js';

const NUMPY_LORO = `
import json, sys, numpy as np
d = json.load(sys.stdin)
n, p, k = d['n'], d['p'], d['k']
X = np.array(d['X'], dtype=np.float64).reshape(n, p); y = np.array(d['y']); runs = np.array(d['runs'])
acc = np.zeros((len(d['lams']), 0)).tolist()
per_fold = []
for run in dict.fromkeys(d['runs']):
    tr, te = runs != run, runs == run
    mu = X[tr].mean(0); sd = X[tr].std(0); sd[sd <= 1e-12 * np.maximum(1, np.abs(mu))] = 1
    Z = (X[tr] - mu) / sd; Zt = (X[te] - mu) / sd
    Y = -np.ones((tr.sum(), k)); Y[np.arange(tr.sum()), y[tr]] = 1
    b = Y.mean(0)
    row = []
    for lam in d['lams']:
        W = np.linalg.solve(Z.T @ Z + lam * np.eye(p), Z.T @ (Y - b))
        row.append(float(np.mean(np.argmax(Zt @ W + b, axis=1) == y[te])))
    per_fold.append(row)
print(json.dumps({'accuracy': np.array(per_fold).tolist()}))
`;

const labels = ['bottle', 'cat', 'face', 'house'];
const base: SyntheticOptions = { runs: 5, samplesPerRun: 32, features: 60, labels, signal: 0.5, seed: 1, runOffset: 0.3 };

function encode(set: ReturnType<typeof syntheticDecodingSet>): Int32Array {
  return Int32Array.from(set.labels, (l) => labels.indexOf(l));
}

describe('leave-one-run-out cross-validation', () => {
  for (const features of [60, 200]) {
    it(`gives numpy's per-fold accuracies at every strength (${features} features)`, () => {
      const set = syntheticDecodingSet({ ...base, features, informative: 20 });
      const y = encode(set);
      const strengths = strengthGrid(features, { min: 1e-2, max: 1e4, count: 9 });
      const report = crossValidate(set.features, y, set.runs, labels.length, ridgeMethod, strengths);
      const input = { n: set.features.rows, p: features, k: labels.length, X: Array.from(set.features.data), y: Array.from(y), runs: set.runs, lams: strengths };
      const ref = JSON.parse(execFileSync(referencePython, ['-c', NUMPY_LORO], { input: JSON.stringify(input), maxBuffer: 1 << 28 }).toString()) as { accuracy: number[][] };
      const meanRef = strengths.map((_, s) => ref.accuracy.reduce((a, fold) => a + fold[s]!, 0) / ref.accuracy.length);
      report.meanAccuracyByStrength.forEach((acc, s) => expect(acc).toBeCloseTo(meanRef[s]!, 12));
      const chosen = report.strengths.indexOf(report.chosenStrength);
      expect(report.folds.map((f) => f.accuracy)).toEqual(ref.accuracy.map((fold) => fold[chosen]));
      expect(report.folds.map((f) => f.run)).toEqual(['01', '02', '03', '04', '05']);
      // The best mean accuracy, and among equals the strongest.
      const best = Math.max(...meanRef);
      expect(report.meanAccuracy).toBeCloseTo(best, 12);
      expect(meanRef.slice(chosen + 1).every((a) => a < best - 1e-12)).toBe(true);
      expect(report.confusion.flat().reduce((a, v) => a + v, 0)).toBe(set.features.rows);
      expect(report.chance).toBe(0.25);
    });
  }

  it('chooses a strength that does about as well on new runs as the best one would', () => {
    // More features than training samples, and noise shared across features: the weakest penalties
    // fit the noise, the strongest ignore its covariance. Runs 01-05 train; 06-15 show the truth.
    const set = syntheticDecodingSet({ ...base, runs: 15, features: 300, signal: 0.2, sharedNoise: 3, noiseFactors: 5, runOffset: 0, seed: 4 });
    const y = encode(set);
    const p = 300;
    const trainRows = set.runs.flatMap((r, i) => (Number(r) <= 5 ? [i] : []));
    const train = featureMatrix(Float32Array.from(trainRows.flatMap((i) => Array.from(set.features.data.subarray(i * p, i * p + p)))), trainRows.length, p);
    const strengths = strengthGrid(p, { min: 1e-3, max: 1e5, count: 17 });
    const trainLabels = trainRows.map((i) => set.labels[i]!);
    const trainRuns = trainRows.map((i) => set.runs[i]!);
    const report = crossValidate(train, Int32Array.from(trainRows, (i) => y[i]!), trainRuns, labels.length, ridgeMethod, strengths);

    const newRunAccuracy = strengths.map((strength) => {
      const trained = trainClassifier({ features: train, labels: trainLabels, runs: trainRuns }, { strength, labelOrder: labels });
      const decoder = new LinearDecoder(bundleFromTraining(trained, { voxelIndices: Array.from({ length: p }, (_, j) => j), grid: { dims: [p, 1, 1], affine: identity4() }, hrfDelaySec: 5, features: 'psc', baselineLagVolumes: 10 }));
      let correct = 0;
      let total = 0;
      set.runs.forEach((run, i) => {
        if (Number(run) <= 5) return;
        total++;
        if (decoder.scores(set.features.data.subarray(i * p, i * p + p)).label === set.labels[i]) correct++;
      });
      return correct / total;
    });
    const chosen = strengths.indexOf(report.chosenStrength);
    const oracle = Math.max(...newRunAccuracy);
    expect(chosen).toBeGreaterThan(0);
    expect(chosen).toBeLessThan(strengths.length - 1);
    expect(newRunAccuracy[chosen]).toBeGreaterThan(oracle - 0.05);
    expect(newRunAccuracy[chosen]).toBeGreaterThan(newRunAccuracy[strengths.length - 1]! + 0.3);
  });

  it('picks the strongest of equally good strengths', () => {
    const set = syntheticDecodingSet({ ...base, signal: 4 });
    const report = crossValidate(set.features, encode(set), set.runs, labels.length, ridgeMethod, [1, 10, 100]);
    expect(report.meanAccuracyByStrength).toEqual([1, 1, 1]);
    expect(report.chosenStrength).toBe(100);
  });

  it('needs two runs', () => {
    const set = syntheticDecodingSet({ ...base, runs: 1 });
    expect(() => crossValidate(set.features, encode(set), set.runs, 4, ridgeMethod, [1])).toThrow(/at least 2 runs/);
  });
});

describe('training a classifier', () => {
  /** Trains on every run but `testRun` and decodes `testRun`; labels optionally permuted first. */
  const heldOutAccuracy = (set: ReturnType<typeof syntheticDecodingSet>, testRun: string, method: 'ridge' | 'logistic', shuffle = false) => {
    const labelsUsed = [...set.labels];
    if (shuffle) {
      // A permutation test: the same labels in a random order (Fisher–Yates) over all runs, the
      // held-out one included, so that no label has anything to do with the features.
      const u = seededUniform(99);
      for (let i = labelsUsed.length - 1; i > 0; i--) {
        const j = Math.floor(u() * (i + 1));
        [labelsUsed[i], labelsUsed[j]] = [labelsUsed[j]!, labelsUsed[i]!];
      }
    }
    const rows = set.runs.flatMap((r, i) => (r !== testRun ? [i] : []));
    const p = set.features.cols;
    const data = new Float32Array(rows.length * p);
    rows.forEach((row, r) => data.set(set.features.data.subarray(row * p, row * p + p), r * p));
    const trained = trainClassifier(
      { features: featureMatrix(data, rows.length, p), labels: rows.map((i) => labelsUsed[i]!), runs: rows.map((i) => set.runs[i]!) },
      { method },
    );
    const decoder = new LinearDecoder(bundleFromTraining(trained, { voxelIndices: Array.from({ length: p }, (_, j) => j), grid: { dims: [p, 1, 1], affine: identity4() }, hrfDelaySec: 5, features: 'psc', baselineLagVolumes: 10 }));
    let correct = 0;
    let total = 0;
    set.runs.forEach((run, i) => {
      if (run !== testRun) return;
      total++;
      if (decoder.scores(set.features.data.subarray(i * p, i * p + p)).label === labelsUsed[i]) correct++;
    });
    return { trained, accuracy: correct / total };
  };

  for (const method of ['ridge', 'logistic'] as const) {
    it(`${method}: separable classes are decoded almost perfectly, in cross-validation and on a new run`, () => {
      const set = syntheticDecodingSet({ ...base, runs: 6, signal: 1.5, seed: 7 });
      const { trained, accuracy } = heldOutAccuracy(set, '06', method);
      expect(trained.crossValidation!.meanAccuracy).toBeGreaterThan(0.97);
      expect(accuracy).toBeGreaterThan(0.97);
      expect(trained.runs).toEqual(['01', '02', '03', '04', '05']);
      expect(trained.samplesPerLabel).toEqual({ bottle: 40, cat: 40, face: 40, house: 40 });
    });

    it(`${method}: shuffled labels decode at chance`, () => {
      const set = syntheticDecodingSet({ ...base, runs: 6, samplesPerRun: 128, signal: 1.5, seed: 8 });
      const { trained, accuracy } = heldOutAccuracy(set, '06', method, true);
      const cv = trained.crossValidation!;
      // 4 classes, near balance after the shuffle: chance ≈ 0.25, with a binomial standard deviation
      // of 0.017 over 640 CV samples and 0.038 over the 128 of the new run. The best of several
      // strengths is a little optimistic.
      expect(cv.chance).toBeGreaterThanOrEqual(0.25);
      expect(cv.chance).toBeLessThan(0.27);
      expect(Math.abs(cv.meanAccuracy - 0.25)).toBeLessThan(0.08);
      expect(Math.abs(accuracy - 0.25)).toBeLessThan(0.12);
    });
  }

  it('leaves rest TRs out and refuses data it cannot use', () => {
    const set = syntheticDecodingSet({ ...base, runs: 2 });
    const withRest = set.labels.map((l, i) => (i % 4 === 0 ? null : l));
    const trained = trainClassifier({ features: set.features, labels: withRest, runs: set.runs }, { strength: 10 });
    expect(Object.values(trained.samplesPerLabel).reduce((a, v) => a + v, 0)).toBe(48);
    expect(trained.crossValidation).toBeNull();
    expect(trained.labels).toEqual(labels);

    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e instanceof BoldstreamError ? e.code : 'other';
      }
      return 'none';
    };
    expect(code(() => trainClassifier({ features: set.features, labels: set.labels.map(() => null), runs: set.runs }))).toBe('TRAIN_NO_DATA');
    expect(code(() => trainClassifier({ features: set.features, labels: set.labels.map(() => 'face'), runs: set.runs }))).toBe('TRAIN_INVALID');
    expect(code(() => trainClassifier({ features: set.features, labels: set.labels.slice(1), runs: set.runs }))).toBe('TRAIN_INVALID');
    const nan = Float32Array.from(set.features.data);
    nan[5] = Number.NaN;
    expect(code(() => trainClassifier({ features: featureMatrix(nan, set.features.rows, set.features.cols), labels: set.labels, runs: set.runs }))).toBe('TRAIN_INVALID');
  });
});
