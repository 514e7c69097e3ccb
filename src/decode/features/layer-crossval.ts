/**
 * The ridge strength of a layer, chosen by leave-one-run-out cross-validation on a random sample of
 * its units.
 *
 * One strength per layer, not per unit: the units of a layer are decoded from the same kind of
 * signal with the same number of voxels, so their best strengths differ less than the noise in
 * estimating each from a few hundred trials would (a per-unit choice overfits the choice), and a
 * shared one needs cross-validating only a sample of units — the cost of a layer's search stays that
 * of `units` final fits per fold, whatever the layer's size.
 *
 * The criterion is the mean profile correlation (per unit, held-out predictions against the true
 * features of the held-out run), the lab's own measure of a feature decoder. Its amplitude does not
 * matter here: decoded features are rescaled to the training spread before use (trial-features.ts).
 * Each fold standardises voxels and selects them with its training runs only.
 */
import { profileCorrelation, sampleMatrix } from '../../evaluate/metrics.js';
import { BoldstreamError } from '../../errors.js';
import { columnStats, standardizeRows, type FeatureMatrix } from '../matrix.js';
import { gatherColumns, pathWeights, rowGram, unitPath, unitSystem, type Design } from './unit-ridge.js';
import { selectVoxels, voxelCorrelations } from './voxel-selection.js';

export interface LayerCrossValidation {
  readonly scheme: 'leave-one-run-out';
  /** Strengths tried, ascending. */
  readonly strengths: number[];
  /** Held-out profile correlation, per strength: the mean over units within each fold, then over folds. */
  readonly meanProfileByStrength: number[];
  /** The best mean; among equal ones the strongest. */
  readonly chosenStrength: number;
  /** The mean profile correlation at the chosen strength. */
  readonly profileCorrelation: number;
  /** Units evaluated (a seeded random sample of the layer's decoded units). */
  readonly units: number;
  readonly folds: { readonly run: string; readonly samples: number }[];
}

export interface LayerData {
  /** Trial-averaged voxel patterns, samples × voxels. */
  readonly x: FeatureMatrix;
  /** The layer's true features, samples × units, row-major. */
  readonly y: Float32Array;
  readonly units: number;
  /** Run of each sample. */
  readonly runs: readonly string[];
  /** Voxels per unit. */
  readonly voxels: number;
}

/** Strengths relative to K: the dual Gram of K standardised voxels has mean eigenvalue K. */
export function strengthGrid(voxels: number): number[] {
  return Array.from({ length: 15 }, (_, i) => voxels * 10 ** (-3 + i / 2));
}

export function crossValidateLayer(data: LayerData, evaluated: ArrayLike<number>, strengths: readonly number[]): LayerCrossValidation {
  const grid = [...strengths].sort((a, b) => a - b);
  const runNames = [...new Set(data.runs)];
  if (runNames.length < 2) throw new BoldstreamError('TRAIN_INVALID', `cross-validation over runs needs at least 2 runs, got ${runNames.length}`);
  const c = evaluated.length;
  const byFold: number[][] = [];
  for (const run of runNames) {
    const train: number[] = [];
    const test: number[] = [];
    data.runs.forEach((r, i) => (r === run ? test : train).push(i));
    const truth = new Float64Array(test.length * c);
    test.forEach((row, i) => {
      for (let u = 0; u < c; u++) truth[i * c + u] = data.y[row * data.units + evaluated[u]!]!;
    });
    const predicted = foldPredictions(data, evaluated, grid, train, test);
    byFold.push(predicted.map((p) => profileCorrelation(sampleMatrix(p, test.length, c), sampleMatrix(truth, test.length, c)).mean));
  }
  // Folds are scored apart and averaged: pooling held-out predictions across folds would mix the
  // folds' intercepts, and a run whose mean is high leaves training runs whose mean is low, which
  // pulls a pooled correlation below zero for strongly shrunk decoders.
  const meanProfileByStrength = grid.map((_, s) => mean(byFold.map((f) => f[s]!)));
  const score = (s: number): number => (Number.isNaN(meanProfileByStrength[s]!) ? -Infinity : meanProfileByStrength[s]!);
  let best = 0;
  // Ascending strengths and ">=": among equal scores the strongest, the simpler model, wins.
  for (let s = 1; s < grid.length; s++) if (score(s) >= score(best) - 1e-12) best = s;
  return {
    scheme: 'leave-one-run-out',
    strengths: grid,
    meanProfileByStrength,
    chosenStrength: grid[best]!,
    profileCorrelation: meanProfileByStrength[best]!,
    units: c,
    folds: runNames.map((run) => ({ run, samples: data.runs.filter((r) => r === run).length })),
  };
}

/** Mean of the defined values; NaN when none is. */
function mean(values: readonly number[]): number {
  const defined = values.filter((v) => !Number.isNaN(v));
  return defined.length ? defined.reduce((a, v) => a + v, 0) / defined.length : Number.NaN;
}

/** Fits every evaluated unit on `train`; its predictions for `test` (test × units) at every strength. */
function foldPredictions(data: LayerData, evaluated: ArrayLike<number>, grid: readonly number[], train: number[], test: number[]): Float64Array[] {
  const stats = columnStats(data.x, train);
  const v = data.x.cols;
  const design: Design = { z: standardizeRows(data.x, train, stats), n: train.length, v };
  const held: Design = { z: standardizeRows(data.x, test, stats), n: test.length, v };
  const k = Math.min(data.voxels, v);
  const fullKernel = k > design.n && v - k < k ? rowGram(design.z, design.n, v) : undefined;
  const c = evaluated.length;
  const predicted = grid.map(() => new Float64Array(test.length * c));
  const yc = new Float64Array(design.n);
  const corr = new Float64Array(v);
  for (let u = 0; u < c; u++) {
    const unit = evaluated[u]!;
    let centre = 0;
    train.forEach((row, i) => (centre += yc[i] = data.y[row * data.units + unit]!));
    centre /= train.length;
    for (let i = 0; i < yc.length; i++) yc[i]! -= centre;
    const sel = selectVoxels(voxelCorrelations(design, yc, corr), k);
    const path = unitPath(unitSystem(design, sel, yc, fullKernel));
    const zt = gatherColumns(held, sel);
    grid.forEach((lambda, s) => {
      const w = pathWeights(path, lambda);
      for (let i = 0; i < test.length; i++) {
        let p = centre;
        for (let j = 0; j < k; j++) p += zt[i * k + j]! * w[j]!;
        predicted[s]![i * c + u] = p;
      }
    });
  }
  return predicted;
}
