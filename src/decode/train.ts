/**
 * Training a decoder: pick the labelled TRs, choose the strength by cross-validation over runs,
 * refit on every training run with the chosen strength.
 */
import { BoldstreamError } from '../errors.js';
import { version } from '../version.js';
import type { FeatureTransform } from '../preprocess/temporal.js';
import type { VoxelGrid } from '../volume.js';
import type { ModelBundle } from './bundle.js';
import { type CrossValidationReport, crossValidate } from './crossval.js';
import { type FeatureMatrix, allRows, assertFinite, columnStats, featureMatrix, standardizeRows } from './matrix.js';
import { type MethodName, type ScoreKind, methodByName, strengthGrid } from './methods.js';

export interface TrainingInput {
  /** One row per TR of every training run. */
  readonly features: FeatureMatrix;
  /** Per row: the category shown (HRF-shifted, see labels.ts), or null for rest, which is left out. */
  readonly labels: readonly (string | null)[];
  /** Per row: the run it belongs to (e.g. BIDS run "01"); folds hold out one run each. */
  readonly runs: readonly string[];
}

export interface TrainingOptions {
  /** Default ridge. */
  readonly method?: MethodName;
  /** Order of the classes in weights and scores; default the labels sorted by code point. */
  readonly labelOrder?: readonly string[];
  /** Absolute strengths to cross-validate; default the method's grid times the feature count. */
  readonly strengths?: readonly number[];
  /** A fixed strength: no cross-validation (e.g. a single training run). */
  readonly strength?: number;
}

export interface TrainedClassifier {
  readonly method: MethodName;
  readonly scoreKind: ScoreKind;
  readonly labels: string[];
  readonly featureCount: number;
  /** k x p row-major, applied to standardised features. */
  readonly weights: Float64Array;
  readonly bias: Float64Array;
  readonly featureMean: Float64Array;
  /** 1 where a feature was constant in training, so that it standardises to 0. */
  readonly featureStd: Float64Array;
  readonly strength: number;
  /** Runs that contributed labelled samples, in order of first appearance. */
  readonly runs: string[];
  readonly samplesPerLabel: Record<string, number>;
  readonly crossValidation: CrossValidationReport | null;
  /** When the HRF shift was cross-validated too: each candidate and its mean accuracy. */
  readonly hrfDelaySearch?: readonly { readonly delaySec: number; readonly meanAccuracy: number }[];
}

export function trainClassifier(input: TrainingInput, options: TrainingOptions = {}): TrainedClassifier {
  const { features: x, labels: rowLabels, runs: rowRuns } = input;
  if (rowLabels.length !== x.rows || rowRuns.length !== x.rows) {
    throw new BoldstreamError('TRAIN_INVALID', `${x.rows} feature rows but ${rowLabels.length} labels and ${rowRuns.length} run names`);
  }
  const method = methodByName(options.method ?? 'ridge');
  const keep: number[] = [];
  rowLabels.forEach((label, i) => {
    if (label !== null) keep.push(i);
  });
  if (keep.length === 0) throw new BoldstreamError('TRAIN_NO_DATA');
  const labels = options.labelOrder ? [...options.labelOrder] : [...new Set(keep.map((i) => rowLabels[i]!))].sort();
  if (new Set(labels).size !== labels.length) throw new BoldstreamError('TRAIN_INVALID', 'label order repeats a label');
  const index = new Map(labels.map((l, c) => [l, c]));
  const y = Int32Array.from(keep, (i) => {
    const c = index.get(rowLabels[i]!);
    if (c === undefined) throw new BoldstreamError('TRAIN_INVALID', `label "${rowLabels[i]}" of row ${i} is not in the label order`);
    return c;
  });
  const k = labels.length;
  const p = x.cols;
  const counts = new Array<number>(k).fill(0);
  for (const c of y) counts[c]!++;
  if (counts.filter((n) => n > 0).length < 2) throw new BoldstreamError('TRAIN_INVALID', 'training needs samples of at least two labels');

  // Work on the labelled rows only, so that rest TRs never shape the standardisation either.
  const data = new Float64Array(keep.length * p);
  keep.forEach((row, r) => data.set(x.data.subarray(row * p, row * p + p), r * p));
  const labelled = featureMatrix(data, keep.length, p);
  assertFinite(labelled);
  const runs = keep.map((i) => rowRuns[i]!);

  let crossValidation: CrossValidationReport | null = null;
  let strength: number;
  if (options.strength !== undefined) {
    if (!(options.strength > 0) || !Number.isFinite(options.strength)) throw new BoldstreamError('TRAIN_INVALID', `strength must be positive, got ${options.strength}`);
    strength = options.strength;
  } else {
    crossValidation = crossValidate(labelled, y, runs, k, method, options.strengths ?? strengthGrid(p, method.defaultGrid));
    strength = crossValidation.chosenStrength;
  }

  const rows = allRows(keep.length);
  const stats = columnStats(labelled, rows);
  const fit = method.fit({ z: standardizeRows(labelled, rows, stats), y, n: keep.length }, p, k, strength);
  return {
    method: method.name,
    scoreKind: method.scoreKind,
    labels,
    featureCount: p,
    weights: fit.weights,
    bias: fit.bias,
    featureMean: stats.mean,
    featureStd: stats.std,
    strength,
    runs: [...new Set(runs)],
    samplesPerLabel: Object.fromEntries(labels.map((l, c) => [l, counts[c]!])),
    crossValidation,
  };
}

export interface BundleContext {
  /** Flat voxel index of each feature, in the column order of the training matrix. */
  readonly voxelIndices: ArrayLike<number>;
  readonly grid: Pick<VoxelGrid, 'dims' | 'affine'>;
  readonly hrfDelaySec: number;
  /** The temporal transform of the training features. */
  readonly features: FeatureTransform;
  readonly baselineLagVolumes: number;
  /** Mask file name recorded in bundle.json; the caller writes the file. Default mask.nii.gz. */
  readonly mask?: string | null;
  readonly createdAt?: Date;
}

/** A trained classifier with what it needs at run time, as a bundle (weights rounded to float32). */
export function bundleFromTraining(trained: TrainedClassifier, context: BundleContext): ModelBundle {
  if (context.voxelIndices.length !== trained.featureCount) {
    throw new BoldstreamError('TRAIN_INVALID', `${context.voxelIndices.length} voxel indices for ${trained.featureCount} features`);
  }
  return {
    method: trained.method,
    scoreKind: trained.scoreKind,
    labels: trained.labels,
    voxelIndices: Int32Array.from(context.voxelIndices),
    grid: { dims: [...context.grid.dims], affine: Float64Array.from(context.grid.affine) },
    mask: context.mask === undefined ? 'mask.nii.gz' : context.mask,
    weights: Float32Array.from(trained.weights),
    bias: Float32Array.from(trained.bias),
    featureMean: Float32Array.from(trained.featureMean),
    featureStd: Float32Array.from(trained.featureStd),
    strength: trained.strength,
    hrfDelaySec: context.hrfDelaySec,
    features: context.features,
    baselineLagVolumes: context.baselineLagVolumes,
    training: {
      runs: trained.runs,
      samplesPerLabel: trained.samplesPerLabel,
      createdAt: (context.createdAt ?? new Date()).toISOString(),
      software: { name: 'boldstream', version },
      crossValidation: trained.crossValidation,
      ...(trained.hrfDelaySearch ? { hrfDelaySearch: trained.hrfDelaySearch.map((d) => ({ ...d })) } : {}),
    },
  };
}
