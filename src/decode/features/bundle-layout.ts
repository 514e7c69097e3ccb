/**
 * A feature bundle in memory, and how it is laid out on disk: bundle.json with every array's
 * offset, shape and dtype, and the arrays back to back in arrays.bin (bundle-wide voxel statistics
 * first, then each layer's unitIndices, voxels, weights, intercept, featureMean, featureStd).
 */
import type { Mat4 } from '../../geometry/mat4.js';
import type { FeatureTransform } from '../../preprocess/temporal.js';
import { BUNDLE_FORMAT, BUNDLE_FORMAT_VERSION } from '../bundle-format.js';
import type { LayerCrossValidation } from './layer-crossval.js';
import { ARRAYS_FILE, FEATURE_BUNDLE_KIND, LAYER_ARRAYS, type ArrayRef, type FeatureBundleJson, type LayerJson } from './bundle-format.js';

/** Where the layers' features come from, enough to build the same feature spaces again. */
export type FeatureSpaceSpec = FeatureBundleJson['featureSpace'];

export interface FeatureLayerModel {
  readonly name: string;
  readonly space: 'pixels' | 'network';
  /** One image's activation at the space's input size, (height, width, channels). */
  readonly shape: readonly number[];
  /** Decoded units: indices into the flattened activation (row-major), ascending. */
  readonly unitIndices: Int32Array;
  readonly voxelsPerUnit: number;
  /** units × K positions into the bundle's `voxelIndices`, ascending per unit. */
  readonly voxels: Int32Array;
  /** units × K weights on standardised voxel values, in the order of `voxels`. */
  readonly weights: Float32Array;
  readonly intercept: Float32Array;
  /** Training features of each decoded unit: mean and population standard deviation (0: never varied). */
  readonly featureMean: Float32Array;
  readonly featureStd: Float32Array;
  readonly strength: number;
  readonly crossValidation: LayerCrossValidation | null;
}

export interface FeatureTrainingMetadata {
  readonly runs: readonly string[];
  /** Trial-averaged samples trained on, and per run. */
  readonly samples: number;
  readonly samplesPerRun: Readonly<Record<string, number>>;
  /** Distinct stimulus images. */
  readonly stimuli: number;
  /** Seed of the random unit subsets. */
  readonly seed: number;
  readonly createdAt: string;
  readonly software: { readonly name: string; readonly version: string };
  /** With --hrf-delay auto: every candidate shift and the first layer's cross-validated profile correlation. */
  readonly hrfDelaySearch?: readonly { readonly delaySec: number; readonly profileCorrelation: number }[];
}

export interface FeatureBundle {
  readonly space: FeatureSpaceSpec;
  readonly layers: readonly FeatureLayerModel[];
  /** Flat voxel indices (i + j·nx + k·nx·ny) that the decoders read, in the order the pipeline hands them over. */
  readonly voxelIndices: Int32Array;
  /** Mean and population standard deviation of each voxel over the training samples (1 when constant). */
  readonly voxelMean: Float32Array;
  readonly voxelStd: Float32Array;
  readonly grid: { readonly dims: readonly [number, number, number]; readonly affine: Mat4 };
  readonly mask: string | null;
  readonly hrfDelaySec: number;
  readonly features: FeatureTransform;
  readonly baselineLagVolumes: number;
  readonly training: FeatureTrainingMetadata;
}


/** Every array by its place in bundle.json ('voxelMean', 'layers.<name>.weights', …). */
export function arraysOf(bundle: FeatureBundle): Map<string, Float32Array | Int32Array> {
  const out = new Map<string, Float32Array | Int32Array>([
    ['voxelMean', bundle.voxelMean],
    ['voxelStd', bundle.voxelStd],
  ]);
  for (const l of bundle.layers) for (const name of LAYER_ARRAYS) out.set(`layers.${l.name}.${name}`, l[name]);
  return out;
}

const nullable = (v: number): number | null => (Number.isFinite(v) ? v : null);

export function describeFeatureBundle(bundle: FeatureBundle): FeatureBundleJson {
  let at = 0;
  const place = (length: number, shape: number[], dtype: ArrayRef['dtype']): ArrayRef => {
    const ref = { offset: at, shape, dtype };
    at += 4 * length;
    return ref;
  };
  const p = bundle.voxelIndices.length;
  const voxelMean = place(p, [p], 'float32');
  const voxelStd = place(p, [p], 'float32');
  const layers: LayerJson[] = bundle.layers.map((l) => {
    const u = l.unitIndices.length;
    const k = l.voxelsPerUnit;
    const cv = l.crossValidation;
    return {
      name: l.name,
      space: l.space,
      shape: [...l.shape],
      units: u,
      voxelsPerUnit: k,
      strength: l.strength,
      unitIndices: place(u, [u], 'int32'),
      voxels: place(u * k, [u, k], 'int32'),
      weights: place(u * k, [u, k], 'float32'),
      intercept: place(u, [u], 'float32'),
      featureMean: place(u, [u], 'float32'),
      featureStd: place(u, [u], 'float32'),
      crossValidation: cv && { ...cv, strengths: [...cv.strengths], meanProfileByStrength: cv.meanProfileByStrength.map(nullable), profileCorrelation: nullable(cv.profileCorrelation), folds: cv.folds.map((f) => ({ ...f })) },
    };
  });
  const t = bundle.training;
  return {
    format: BUNDLE_FORMAT,
    formatVersion: BUNDLE_FORMAT_VERSION,
    kind: FEATURE_BUNDLE_KIND,
    featureSpace: bundle.space,
    voxelCount: p,
    voxelIndices: Array.from(bundle.voxelIndices),
    grid: { dims: [...bundle.grid.dims], affine: [0, 1, 2, 3].map((r) => Array.from(bundle.grid.affine.subarray(r * 4, r * 4 + 4))) },
    mask: bundle.mask,
    data: { file: ARRAYS_FILE, byteOrder: 'little', byteLength: at },
    voxelMean,
    voxelStd,
    layers,
    hrfDelaySec: bundle.hrfDelaySec,
    features: bundle.features,
    baselineLagVolumes: bundle.baselineLagVolumes,
    training: {
      runs: [...t.runs],
      samples: t.samples,
      samplesPerRun: { ...t.samplesPerRun },
      stimuli: t.stimuli,
      seed: t.seed,
      createdAt: t.createdAt,
      software: { ...t.software },
      ...(t.hrfDelaySearch ? { hrfDelaySearch: t.hrfDelaySearch.map((d) => ({ delaySec: d.delaySec, profileCorrelation: nullable(d.profileCorrelation) })) } : {}),
    },
  };
}
