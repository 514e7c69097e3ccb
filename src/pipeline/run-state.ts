/**
 * The state one session's pipeline keeps between TRs: the reference volume and everything derived
 * from it (registration set-up, masks as voxel lists, the running normaliser, decoder positions).
 *
 * It is built from the first usable volume (the first after the dummy scans, docs/architecture.md), because
 * only then is the run's grid known. A mask or model that does not fit that grid is dropped with a
 * warning on every record rather than stopping the session: motion and the other ROIs still matter
 * to the people at the scanner.
 */
import { type Warning, asBoldstreamError, warning } from '../errors.js';
import type { PipelineConfig } from '../config.js';
import { sameGrid } from '../geometry/mat4.js';
import { MotionCorrector } from '../preprocess/motion/index.js';
import { autoBrainMask, type Mask, maskFromImage, unionOf } from '../preprocess/mask.js';
import { RunningNormaliser } from '../preprocess/temporal.js';
import type { LoadedFeatureModel } from '../session/loaded-feature-model.js';
import type { LoadedModel } from '../session/loaded-model.js';
import type { Volume, VoxelGrid } from '../volume.js';

export interface MaskImage {
  readonly name: string;
  readonly grid: VoxelGrid;
  readonly data: Float32Array;
  /** The reader's header warnings (K21: a mask's forms disagree); the session tells them at its start. */
  readonly warnings?: readonly Warning[];
}

export interface RunInputs {
  readonly pipeline: PipelineConfig;
  readonly masks: readonly MaskImage[];
  readonly model: LoadedModel | null;
  /** Feature decoders for reconstruction (docs/reconstruction.md); their voxels join the union. */
  readonly featureModel?: LoadedFeatureModel | null;
}

/** Where the feature decoders' voxels are read from, transformed as their bundle says. */
export interface FeatureVoxels {
  /** The session's normaliser, or one of the features' own (see buildReference). */
  readonly normaliser: RunningNormaliser;
  /** The decoders' voxels in that normaliser, in the bundle's order. */
  readonly positions: Uint32Array;
  /** With a normaliser of their own: the voxels' positions in `Reference.voxels`, which feed it each TR. */
  readonly feed: Uint32Array | null;
}

export interface Reference {
  readonly tr: number;
  readonly grid: VoxelGrid;
  readonly corrector: MotionCorrector;
  /** Every voxel any consumer needs, sorted: the only voxels that are realigned and z-scored. */
  readonly voxels: Uint32Array;
  readonly rois: readonly { readonly name: string; readonly positions: Uint32Array }[];
  /** Positions in `voxels` of the model's features, in the model's feature order. */
  readonly modelPositions: Uint32Array | null;
  readonly normaliser: RunningNormaliser;
  /** The feature decoders' voxels, when a feature model fits the run's grid. */
  readonly features: FeatureVoxels | null;
  /** Warnings repeated on every record (a mask or model that could not be used). */
  readonly standingWarnings: readonly Warning[];
}

export function buildReference(volume: Volume, tr: number, inputs: RunInputs): Reference {
  const { grid } = volume;
  const standingWarnings: Warning[] = [];
  const brain = autoBrainMask(volume.data, grid, inputs.pipeline.autoMaskFraction);
  const brainMask = new Uint8Array(volume.data.length);
  for (const v of brain.indices) brainMask[v] = 1;
  const corrector = new MotionCorrector({ grid, data: volume.data }, inputs.pipeline.motion, brainMask);

  const rois: Mask[] = [];
  for (const image of inputs.masks) {
    try {
      rois.push(maskFromImage(image.name, image, grid));
    } catch (thrown) {
      const e = asBoldstreamError(thrown);
      standingWarnings.push({ code: e.code, message: e.message });
    }
  }
  let modelIndices: Uint32Array | null = null;
  const model = inputs.model;
  if (model) {
    if (sameGrid({ dims: model.grid.dims, affine: model.grid.affine }, grid, 0.05)) modelIndices = model.voxelIndices;
    else standingWarnings.push(warning('MODEL_GRID_MISMATCH', `${model.name}: trained on ${model.grid.dims.join('x')}, run is ${grid.dims.join('x')}`));
  }
  let featureIndices: Uint32Array | null = null;
  const featureModel = inputs.featureModel ?? null;
  if (featureModel) {
    if (sameGrid({ dims: featureModel.grid.dims, affine: featureModel.grid.affine }, grid, 0.05)) featureIndices = featureModel.voxelIndices;
    else standingWarnings.push(warning('MODEL_GRID_MISMATCH', `${featureModel.name} (feature decoders): trained on ${featureModel.grid.dims.join('x')}, run is ${grid.dims.join('x')}`));
  }
  // Only the voxels someone reads are realigned and z-scored: the ROIs, the model's and the feature
  // decoders'. Without any ROI the brain mask stands in (its mean z is reported as "brain"), so that a
  // bare run still gives a signal.
  const roiLists = rois.length > 0 ? rois : [brain];
  const lists = [...roiLists.map((m) => m.indices), ...(modelIndices ? [modelIndices] : []), ...(featureIndices ? [featureIndices] : [])];
  const { union, positions } = unionOf(lists);
  const roiPositions = roiLists.map((m, i) => ({ name: m.name, positions: positions[i]! }));
  // A decoder's psc baseline lag is part of its feature definition, so it overrides the config's: the
  // classifier's, else the feature decoders'. The lag only changes the psc transform, not the z-scores.
  const modelLag = model && modelIndices ? model.bundle.baselineLagVolumes : null;
  const featureLag = featureModel && featureIndices ? featureModel.bundle.baselineLagVolumes : null;
  const normaliser = new RunningNormaliser(union.length, { ...inputs.pipeline.temporal, baselineLag: modelLag ?? featureLag ?? inputs.pipeline.temporal.baselineLagVolumes });
  let features: FeatureVoxels | null = null;
  if (featureIndices) {
    const at = positions[roiLists.length + (modelIndices ? 1 : 0)]!;
    // Both kinds of decoder with different lags: the feature voxels get a normaliser of their own, fed
    // the same realigned values, so that each decoder sees exactly the features it was trained on.
    const own = modelLag !== null && featureLag !== null && modelLag !== featureLag;
    features = own
      ? { normaliser: new RunningNormaliser(at.length, { ...inputs.pipeline.temporal, baselineLag: featureLag }), positions: Uint32Array.from(at, (_, i) => i), feed: at }
      : { normaliser, positions: at, feed: null };
  }
  return {
    tr,
    grid,
    corrector,
    voxels: union,
    rois: roiPositions,
    modelPositions: modelIndices ? positions[roiLists.length]! : null,
    normaliser,
    features,
    standingWarnings,
  };
}
