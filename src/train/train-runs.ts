/**
 * `boldstream train`: labelled BIDS runs → a model bundle.
 *
 *   each run ─ runFeatures (the live preprocessing) ─ rows of features in the decoder mask
 *            ─ events.tsv trial_type, HRF-shifted (decode/labels.ts) ─ a label or rest per row
 *   all rows ─ trainClassifier (strength by leave-one-run-out CV) ─ bundle + mask.nii.gz
 *
 * The HRF shift can be chosen the same way as the strength: with `hrfDelaySec: 'auto'` every
 * candidate shift is cross-validated over the training runs and the best is kept. Event tables do not
 * all mean the same thing by "onset" (some are already aligned to the BOLD response), and the
 * training runs are the only honest judge of that.
 */
import path from 'node:path';
import type { PipelineConfig } from '../config.js';
import { bundleFromTraining, trainClassifier, type TrainedClassifier } from '../decode/train.js';
import { type ModelBundle, writeBundle } from '../decode/bundle.js';
import { featureMatrix, type FeatureMatrix } from '../decode/matrix.js';
import { volumeLabels } from '../decode/labels.js';
import type { MethodName } from '../decode/methods.js';
import type { TimedEvent } from '../decode/events.js';
import { BoldstreamError } from '../errors.js';
import { describeBoldRun, readEvents } from '../ingest/bids/index.js';
import { readNiftiFile, writeNiftiFile } from '../ingest/nifti/index.js';
import { maskFromImage } from '../preprocess/mask.js';
import type { FeatureTransform } from '../preprocess/temporal.js';
import type { VoxelGrid } from '../volume.js';
import { type RunFeatures, runFeatures } from './run-features.js';

export interface TrainRequest {
  readonly runs: readonly string[];
  readonly mask: string;
  readonly out: string;
  readonly pipeline: PipelineConfig;
  readonly method?: MethodName;
  /** Feature transform (default 'psc', see preprocess/temporal.ts for why). */
  readonly features?: FeatureTransform;
  /** Seconds, or 'auto' to cross-validate the shift; default pipeline.hrfDelaySec. */
  readonly hrfDelaySec?: number | 'auto';
  /** Only these trial types become classes (default: all in the events). */
  readonly trialTypes?: readonly string[];
  /** Progress, one line per run. */
  readonly onRun?: (summary: { run: string; rows: number; skipped: number }) => void;
  /** Each candidate HRF shift and its cross-validated accuracy, when searching. */
  readonly onDelay?: (delaySec: number, meanAccuracy: number) => void;
}

interface LabelledRun {
  readonly id: string;
  readonly features: RunFeatures;
  readonly events: readonly TimedEvent[];
  readonly repetitionTime: number;
}

/** Candidate shifts for 'auto': 0 s up to 8 s (past the BOLD peak) in steps of the TR. */
export function candidateDelays(repetitionTime: number): number[] {
  const out: number[] = [];
  for (let d = 0; d <= 8 + 1e-9; d += repetitionTime) out.push(Math.round(d * 1000) / 1000);
  return out;
}

function labelsAt(runs: readonly LabelledRun[], delaySec: number, trialTypes?: readonly string[]): (string | null)[] {
  return runs.flatMap((r) =>
    volumeLabels(r.events, {
      repetitionTime: r.repetitionTime,
      volumes: r.features.rows.length,
      hrfDelaySec: delaySec,
      acquisitionTimes: r.features.runTimes,
      ...(trialTypes ? { trialTypes } : {}),
    }),
  );
}

export async function trainFromRuns(request: TrainRequest): Promise<ModelBundle> {
  const maskImage = await readNiftiFile(request.mask);
  const mask = { name: 'decoder', grid: maskImage.grid, data: maskImage.frame(0) };
  const transform = request.features ?? 'psc';
  const runs: LabelledRun[] = [];
  for (const file of request.runs) {
    const run = await describeBoldRun(file);
    if (!run.events) throw new BoldstreamError('TRAIN_NO_DATA', `${path.basename(file)} has no _events.tsv beside it`);
    const features = await runFeatures(file, mask, request.pipeline, transform);
    const repetitionTime = run.repetitionTime ?? features.repetitionTime;
    if (!repetitionTime) throw new BoldstreamError('TRAIN_NO_DATA', `${path.basename(file)}: repetition time unknown`);
    const id = run.run !== null ? String(run.run).padStart(2, '0') : path.basename(file);
    runs.push({ id, features, events: await readEvents(run.events), repetitionTime });
    request.onRun?.({ run: path.basename(file), rows: features.rows.length, skipped: features.skipped });
  }
  const grid: VoxelGrid | undefined = runs[0]?.features.grid;
  if (!grid) throw new BoldstreamError('TRAIN_NO_DATA', 'no runs given');
  const matrix = stack(runs);
  const runIds = runs.flatMap((r) => r.features.rows.map(() => r.id));
  const fit = (delaySec: number): TrainedClassifier =>
    trainClassifier({ features: matrix, labels: labelsAt(runs, delaySec, request.trialTypes), runs: runIds }, { method: request.method ?? 'ridge' });

  const wanted = request.hrfDelaySec ?? request.pipeline.hrfDelaySec;
  let hrfDelaySec = typeof wanted === 'number' ? wanted : 0;
  let trained: TrainedClassifier | null = null;
  if (wanted === 'auto') {
    const search: { delaySec: number; meanAccuracy: number }[] = [];
    for (const delaySec of candidateDelays(runs[0]!.repetitionTime)) {
      const candidate = fit(delaySec);
      const meanAccuracy = candidate.crossValidation?.meanAccuracy ?? 0;
      search.push({ delaySec, meanAccuracy });
      request.onDelay?.(delaySec, meanAccuracy);
      // Ties go to the shift nearer the canonical 5 s peak.
      const best = trained?.crossValidation?.meanAccuracy ?? -1;
      if (meanAccuracy > best || (meanAccuracy === best && Math.abs(delaySec - 5) < Math.abs(hrfDelaySec - 5))) {
        trained = candidate;
        hrfDelaySec = delaySec;
      }
    }
    trained = { ...trained!, hrfDelaySearch: search };
  } else trained = fit(hrfDelaySec);

  const voxelIndices = maskFromImage('decoder', mask, grid).indices;
  const bundle = bundleFromTraining(trained, { voxelIndices, grid, hrfDelaySec, features: transform, baselineLagVolumes: request.pipeline.temporal.baselineLagVolumes, mask: 'mask.nii.gz' });
  await writeBundle(request.out, bundle);
  await writeNiftiFile(path.join(request.out, 'mask.nii.gz'), { grid, data: mask.data, description: 'decoder mask' });
  return bundle;
}

function stack(runs: readonly LabelledRun[]): FeatureMatrix {
  const rows = runs.flatMap((r) => r.features.rows);
  const cols = rows[0]?.length ?? 0;
  if (cols === 0) throw new BoldstreamError('TRAIN_NO_DATA', 'the runs gave no usable volume');
  const data = new Float32Array(rows.length * cols);
  rows.forEach((row, r) => data.set(row, r * cols));
  return featureMatrix(data, rows.length, cols);
}
