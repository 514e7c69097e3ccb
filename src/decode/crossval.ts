/**
 * Leave-one-run-out cross-validation over a grid of regularisation strengths.
 *
 * Runs, not TRs, are the unit held out: neighbouring TRs of one run share slow drifts and the same
 * blocks, so holding out single TRs would test the decoder on near-copies of its training data.
 * Standardisation statistics come from the training runs of each fold alone, as they would at run
 * time, where the held-out run is the one being scanned.
 */
import { BoldstreamError } from '../errors.js';
import { type FeatureMatrix, columnStats, standardizeRows } from './matrix.js';
import { accuracy, chanceLevel, confusion } from './metrics.js';
import type { FoldData, LinearMethod } from './methods.js';

export interface FoldReport {
  /** The run held out. */
  readonly run: string;
  readonly samples: number;
  /** Accuracy on the held-out run at the chosen strength. */
  readonly accuracy: number;
}

export interface CrossValidationReport {
  readonly scheme: 'leave-one-run-out';
  /** Strengths tried, ascending. */
  readonly strengths: number[];
  /** Mean over folds of the held-out accuracy, per strength. */
  readonly meanAccuracyByStrength: number[];
  readonly chosenStrength: number;
  readonly folds: FoldReport[];
  /** Unweighted mean of the folds' accuracies at the chosen strength. */
  readonly meanAccuracy: number;
  /** Accuracy of always answering the most frequent training label (see metrics.chanceLevel). */
  readonly chance: number;
  /** Held-out predictions of all folds at the chosen strength: rows true label, columns predicted. */
  readonly confusion: number[][];
}

/** Mean accuracies closer than this count as a tie (they are ratios of small integers). */
const TIE = 1e-12;

export function crossValidate(
  x: FeatureMatrix,
  y: Int32Array,
  runs: readonly string[],
  k: number,
  method: LinearMethod,
  strengthsIn: readonly number[],
): CrossValidationReport {
  const strengths = [...strengthsIn].sort((a, b) => a - b);
  if (strengths.length === 0 || strengths.some((s) => !(s > 0) || !Number.isFinite(s))) {
    throw new BoldstreamError('TRAIN_INVALID', 'regularisation strengths must be positive finite numbers');
  }
  const runNames = [...new Set(runs)];
  if (runNames.length < 2) throw new BoldstreamError('TRAIN_INVALID', `cross-validation over runs needs at least 2 runs, got ${runNames.length}`);

  const heldOutTruth: Int32Array[] = [];
  const heldOutPredicted: Int32Array[][] = [];
  const accuracies: number[][] = [];
  for (const run of runNames) {
    const trainRows: number[] = [];
    const testRows: number[] = [];
    runs.forEach((r, i) => (r === run ? testRows : trainRows).push(i));
    const stats = columnStats(x, trainRows);
    const fold = (rows: number[]): FoldData => ({ z: standardizeRows(x, rows, stats), y: Int32Array.from(rows, (i) => y[i]!), n: rows.length });
    const train = fold(trainRows);
    const test = fold(testRows);
    const predicted = method.heldOut(train, test, x.cols, k, strengths);
    heldOutTruth.push(test.y);
    heldOutPredicted.push(predicted);
    accuracies.push(predicted.map((pred) => accuracy(test.y, pred)));
  }

  const meanAccuracyByStrength = strengths.map((_, s) => mean(accuracies.map((a) => a[s]!)));
  let best = 0;
  // Ascending strengths and ">=" within the tie margin: among equally good strengths the strongest
  // wins, the usual one-standard-error spirit of preferring the simpler model.
  meanAccuracyByStrength.forEach((acc, s) => {
    if (acc >= meanAccuracyByStrength[best]! - TIE) best = s;
  });

  const truthAll = concat(heldOutTruth);
  const predictedAll = concat(heldOutPredicted.map((p) => p[best]!));
  return {
    scheme: 'leave-one-run-out',
    strengths,
    meanAccuracyByStrength,
    chosenStrength: strengths[best]!,
    folds: runNames.map((run, f) => ({ run, samples: heldOutTruth[f]!.length, accuracy: accuracies[f]![best]! })),
    meanAccuracy: meanAccuracyByStrength[best]!,
    chance: chanceLevel(y, k),
    confusion: confusion(truthAll, predictedAll, k),
  };
}

function mean(values: number[]): number {
  return values.reduce((a, v) => a + v, 0) / values.length;
}

function concat(parts: Int32Array[]): Int32Array {
  const out = new Int32Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
