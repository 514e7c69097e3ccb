/**
 * `boldstream train`: labelled BIDS runs → a model bundle.
 *
 *   each run ─ runFeatures (the live preprocessing) ─ rows of z-scores in the decoder mask
 *            ─ events.tsv trial_type, HRF-shifted (decode/labels.ts) ─ a label or rest per row
 *   all rows ─ trainClassifier (strength by leave-one-run-out CV) ─ bundle + mask.nii.gz
 */
import path from 'node:path';
import type { PipelineConfig } from '../config.js';
import { bundleFromTraining, trainClassifier } from '../decode/train.js';
import { type ModelBundle, writeBundle } from '../decode/bundle.js';
import { featureMatrix } from '../decode/matrix.js';
import { volumeLabels } from '../decode/labels.js';
import type { MethodName } from '../decode/methods.js';
import { BoldstreamError } from '../errors.js';
import { describeBoldRun, readEvents } from '../ingest/bids/index.js';
import { readNiftiFile, writeNiftiFile } from '../ingest/nifti/index.js';
import { maskFromImage } from '../preprocess/mask.js';
import { runFeatures } from './run-features.js';
import type { VoxelGrid } from '../volume.js';
import type { FeatureTransform } from '../preprocess/temporal.js';

export interface TrainRequest {
  readonly runs: readonly string[];
  readonly mask: string;
  readonly out: string;
  readonly pipeline: PipelineConfig;
  readonly method?: MethodName;
  /** Feature transform (default 'psc', see preprocess/temporal.ts for why). */
  readonly features?: FeatureTransform;
  /** Only these trial types become classes (default: all in the events). */
  readonly trialTypes?: readonly string[];
  /** Progress, one line per run. */
  readonly onRun?: (summary: { run: string; rows: number; labelled: number; skipped: number }) => void;
}

export async function trainFromRuns(request: TrainRequest): Promise<ModelBundle> {
  const maskImage = await readNiftiFile(request.mask);
  const mask = { name: 'decoder', grid: maskImage.grid, data: maskImage.frame(0) };
  const hrfDelaySec = request.pipeline.hrfDelaySec;
  const transform = request.features ?? 'psc';
  const rows: Float32Array[] = [];
  const labels: (string | null)[] = [];
  const runIds: string[] = [];
  let grid: VoxelGrid | null = null;
  for (const file of request.runs) {
    const run = await describeBoldRun(file);
    if (!run.events) throw new BoldstreamError('TRAIN_NO_DATA', `${path.basename(file)} has no _events.tsv beside it`);
    const features = await runFeatures(file, mask, request.pipeline, transform);
    const tr = run.repetitionTime ?? features.repetitionTime;
    if (!tr) throw new BoldstreamError('TRAIN_NO_DATA', `${path.basename(file)}: repetition time unknown`);
    const events = await readEvents(run.events);
    const runLabels = volumeLabels(events, {
      repetitionTime: tr,
      volumes: features.rows.length,
      hrfDelaySec,
      acquisitionTimes: features.runTimes,
      ...(request.trialTypes ? { trialTypes: request.trialTypes } : {}),
    });
    const id = run.run !== null ? String(run.run).padStart(2, '0') : path.basename(file);
    rows.push(...features.rows);
    labels.push(...runLabels);
    runIds.push(...features.rows.map(() => id));
    grid ??= features.grid;
    request.onRun?.({ run: path.basename(file), rows: features.rows.length, labelled: runLabels.filter((l) => l !== null).length, skipped: features.skipped });
  }
  if (rows.length === 0 || grid === null) throw new BoldstreamError('TRAIN_NO_DATA', 'no runs given');
  const cols = rows[0]!.length;
  const data = new Float32Array(rows.length * cols);
  rows.forEach((row, r) => data.set(row, r * cols));
  const trained = trainClassifier({ features: featureMatrix(data, rows.length, cols), labels, runs: runIds }, { method: request.method ?? 'ridge' });
  const voxelIndices = maskFromImage('decoder', mask, grid).indices;
  const bundle = bundleFromTraining(trained, { voxelIndices, grid, hrfDelaySec, features: transform, baselineLagVolumes: request.pipeline.temporal.baselineLagVolumes, mask: 'mask.nii.gz' });
  await writeBundle(request.out, bundle);
  await writeNiftiFile(path.join(request.out, 'mask.nii.gz'), { grid, data: mask.data, description: 'decoder mask' });
  return bundle;
}
