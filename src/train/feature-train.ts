/**
 * `boldstream train` on runs whose events name stimulus images (`stim_file`): voxel → DNN feature
 * decoders (Horikawa & Kamitani 2017; Shen et al. 2019), saved as a feature bundle
 * (docs/feature-decoding.md).
 *
 *   each run ─ runFeatures (the live preprocessing) ─ transformed ROI voxels per TR
 *            ─ events, HRF-shifted ─ one trial-averaged pattern per stimulus event  (feature-samples)
 *   stimuli  ─ pixels space + network ─ true features, random units per layer        (feature-stimuli)
 *   per layer ─ strength by leave-one-run-out CV on a sample of units                (layer-crossval)
 *             ─ per unit: K most correlated voxels, ridge                             (fit-layer)
 *   all layers ─ voxels used, their statistics, the spaces ─ bundle + mask.nii.gz
 *
 * As for the classifiers, `hrfDelaySec: 'auto'` cross-validates every candidate shift, here on the
 * pixels layer (cheap, and the one layer every bundle has).
 */
import path from 'node:path';
import type * as TF from '@tensorflow/tfjs';
import type { PipelineConfig } from '../config.js';
import { writeFeatureBundle, type FeatureBundle, type FeatureLayerModel } from '../decode/features/bundle.js';
import { fitLayer } from '../decode/features/fit-layer.js';
import { crossValidateLayer, strengthGrid, type LayerCrossValidation } from '../decode/features/layer-crossval.js';
import { allRows, columnStats, standardizeRows } from '../decode/matrix.js';
import { BoldstreamError } from '../errors.js';
import { describeBoldRun, readEvents } from '../ingest/bids/index.js';
import { readNiftiFile, writeNiftiFile } from '../ingest/nifti/index.js';
import { maskFromImage } from '../preprocess/mask.js';
import type { FeatureTransform } from '../preprocess/temporal.js';
import { chooseBackend, type BackendPreference } from '../recon/backend.js';
import { version } from '../version.js';
import type { VoxelGrid } from '../volume.js';
import { type LayerFeatures, randomUnits, resolveStimuli, type SpaceRequest, stimuliFolder, stimulusFeatures } from './feature-stimuli.js';
import { type StimulusRun, trialSamples, type TrialSamples } from './feature-samples.js';
import { runFeatures } from './run-features.js';
import { candidateDelays } from './train-runs.js';

export interface FeatureTrainRequest {
  readonly runs: readonly string[];
  readonly mask: string;
  readonly out: string;
  readonly pipeline: PipelineConfig;
  readonly space: SpaceRequest;
  /** Feature transform (default 'psc', as the classifiers). */
  readonly features?: FeatureTransform;
  /** Seconds, or 'auto'; default pipeline.hrfDelaySec. */
  readonly hrfDelaySec?: number | 'auto';
  /** Voxels per unit, K; default 500. */
  readonly voxels?: number;
  /** A fixed ridge strength instead of cross-validation (needed for a single run). */
  readonly strength?: number;
  /** Units per layer the strength is cross-validated on; default 100. */
  readonly cvUnits?: number;
  /** Folder the stim_file paths are relative to; default the dataset's stimuli/. */
  readonly stimuliDir?: string;
  /** The tfjs namespace to compute features with; default chooseBackend(backend). */
  readonly tf?: typeof TF;
  readonly backend?: BackendPreference;
  readonly onRun?: (summary: { run: string; rows: number; skipped: number }) => void;
  readonly onDelay?: (delaySec: number, profileCorrelation: number) => void;
  readonly onLayer?: (summary: { name: string; units: number; strength: number; profileCorrelation: number | null; seconds: number }) => void;
}

const stimulusEvents = (run: StimulusRun): number => run.events.filter((e) => typeof e.stim_file === 'string' && e.stim_file !== '').length;

type MaskImage = { readonly name: string; readonly grid: VoxelGrid; readonly data: Float32Array };

async function readRuns(request: FeatureTrainRequest, transform: FeatureTransform, mask: MaskImage): Promise<StimulusRun[]> {
  const runs: StimulusRun[] = [];
  for (const file of request.runs) {
    const run = await describeBoldRun(file);
    if (!run.events) throw new BoldstreamError('TRAIN_NO_DATA', `${path.basename(file)} has no _events.tsv beside it`);
    const features = await runFeatures(file, mask, request.pipeline, transform);
    const id = run.run !== null ? String(run.run).padStart(2, '0') : path.basename(file);
    runs.push({ id, features, events: await readEvents(run.events) });
    request.onRun?.({ run: path.basename(file), rows: features.rows.length, skipped: features.skipped });
  }
  if (runs.length === 0) throw new BoldstreamError('TRAIN_NO_DATA', 'no runs given');
  if (runs.every((r) => stimulusEvents(r) === 0)) throw new BoldstreamError('TRAIN_NO_DATA', 'no event names a stimulus (stim_file)');
  return runs;
}

/** Rows of a layer's stimulus features, one per sample: samples × units. */
function targetsOf(layer: LayerFeatures, samples: TrialSamples, row: ReadonlyMap<string, number>): Float32Array {
  const u = layer.unitIndices.length;
  const y = new Float32Array(samples.stimuli.length * u);
  samples.stimuli.forEach((s, i) => y.set(layer.values.subarray(row.get(s)! * u, (row.get(s)! + 1) * u), i * u));
  return y;
}

export async function trainFeatureDecoders(request: FeatureTrainRequest): Promise<FeatureBundle> {
  const transform = request.features ?? 'psc';
  const seed = request.space.seed ?? 1;
  const maskImage = await readNiftiFile(request.mask);
  const mask = { name: 'decoder', grid: maskImage.grid, data: maskImage.frame(0) };
  const runs = await readRuns(request, transform, mask);
  const names = [...new Set(runs.flatMap((r) => r.events.map((e) => e.stim_file).filter((s): s is string => typeof s === 'string' && s !== '')))];
  const images = await resolveStimuli(request.stimuliDir ?? (await stimuliFolder(request.runs[0]!)), names);
  const tf = request.tf ?? (await chooseBackend(request.backend ?? 'auto')).tf;
  const { spec, layers } = await stimulusFeatures(tf, request.space, images);
  const row = new Map(names.map((n, i) => [n, i]));
  const voxels = request.voxels ?? 500;
  const cvUnits = request.cvUnits ?? 100;
  const crossValidate = (samples: TrialSamples, layer: LayerFeatures): LayerCrossValidation => {
    const units = layer.unitIndices.length;
    const data = { x: samples.x, y: targetsOf(layer, samples, row), units, runs: samples.runs, voxels };
    return crossValidateLayer(data, randomUnits(units, cvUnits, seed, `cv:${layer.name}`), strengthGrid(Math.min(voxels, samples.x.cols)));
  };

  const wanted = request.hrfDelaySec ?? request.pipeline.hrfDelaySec;
  let hrfDelaySec = typeof wanted === 'number' ? wanted : 5;
  let search: { delaySec: number; profileCorrelation: number }[] | undefined;
  if (wanted === 'auto') {
    const repetitionTime = runs[0]!.features.repetitionTime;
    if (!repetitionTime) throw new BoldstreamError('TRAIN_NO_DATA', 'repetition time unknown; give --hrf-delay in seconds');
    search = candidateDelays(repetitionTime).map((delaySec) => {
      const profileCorrelation = crossValidate(trialSamples(runs, delaySec), layers[0]!).profileCorrelation;
      request.onDelay?.(delaySec, profileCorrelation);
      return { delaySec, profileCorrelation };
    });
    // Ties (and undefined scores) go to the shift nearer the canonical 5 s peak.
    const score = (s: { profileCorrelation: number }): number => (Number.isNaN(s.profileCorrelation) ? -Infinity : s.profileCorrelation);
    hrfDelaySec = search.reduce((best, s) => (score(s) > score(best) || (score(s) === score(best) && Math.abs(s.delaySec - 5) < Math.abs(best.delaySec - 5)) ? s : best)).delaySec;
  }

  const samples = trialSamples(runs, hrfDelaySec);
  const stats = columnStats(samples.x, allRows(samples.x.rows));
  const design = { z: standardizeRows(samples.x, allRows(samples.x.rows), stats), n: samples.x.rows, v: samples.x.cols };
  const fitted = layers.map((layer) => {
    const started = performance.now();
    const cv = request.strength === undefined ? crossValidate(samples, layer) : null;
    const strength = request.strength ?? cv!.chosenStrength;
    const fit = fitLayer(design, targetsOf(layer, samples, row), layer.unitIndices.length, voxels, strength);
    request.onLayer?.({ name: layer.name, units: fit.units, strength, profileCorrelation: cv ? cv.profileCorrelation : null, seconds: (performance.now() - started) / 1000 });
    return { layer, fit, cv, strength };
  });

  // The bundle keeps only the voxels some unit reads, renumbered in ascending index order.
  const used = new Uint8Array(design.v);
  for (const { fit } of fitted) for (const c of fit.voxels) used[c] = 1;
  const position = new Int32Array(design.v).fill(-1);
  const columns: number[] = [];
  used.forEach((u, c) => u && (position[c] = columns.push(c) - 1));
  const grid = runs[0]!.features.grid;
  const maskIndices = maskFromImage('decoder', mask, grid).indices;
  const bundle: FeatureBundle = {
    space: spec,
    layers: fitted.map(({ layer, fit, cv, strength }): FeatureLayerModel => ({
      name: layer.name,
      space: layer.space,
      shape: layer.shape,
      unitIndices: layer.unitIndices,
      voxelsPerUnit: fit.k,
      voxels: fit.voxels.map((c) => position[c]!),
      weights: fit.weights,
      intercept: fit.intercept,
      featureMean: fit.featureMean,
      featureStd: fit.featureStd,
      strength,
      crossValidation: cv,
    })),
    voxelIndices: Int32Array.from(columns, (c) => maskIndices[c]!),
    voxelMean: Float32Array.from(columns, (c) => stats.mean[c]!),
    voxelStd: Float32Array.from(columns, (c) => stats.std[c]!),
    grid: { dims: grid.dims, affine: grid.affine },
    mask: 'mask.nii.gz',
    hrfDelaySec,
    features: transform,
    baselineLagVolumes: request.pipeline.temporal.baselineLagVolumes,
    training: {
      runs: runs.map((r) => r.id),
      samples: samples.x.rows,
      samplesPerRun: samples.perRun,
      stimuli: names.length,
      seed,
      createdAt: new Date().toISOString(),
      software: { name: 'boldstream', version },
      ...(search ? { hrfDelaySearch: search } : {}),
    },
  };
  await writeFeatureBundle(request.out, bundle);
  await writeNiftiFile(path.join(request.out, 'mask.nii.gz'), { grid, data: mask.data, description: 'feature decoder ROI' });
  return bundle;
}
