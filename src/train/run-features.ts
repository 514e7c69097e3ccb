/**
 * Features of one labelled run for training, computed by the same operators that serve live
 * sessions (pipeline/session-pipeline.ts `preprocess`): motion-corrected voxel values of the decoder
 * mask, transformed TR by TR from that voxel's samples so far (no look-ahead), exactly as the decode
 * stage will transform them at run time.
 */
import path from 'node:path';
import { lastValueFrom, map, toArray } from 'rxjs';
import type { PipelineConfig } from '../config.js';
import { BoldstreamError } from '../errors.js';
import { openReplaySource } from '../ingest/sources/replay.js';
import type { MaskImage } from '../pipeline/run-state.js';
import { preprocess } from '../pipeline/session-pipeline.js';
import type { ReferenceHolder } from '../pipeline/set-reference.js';
import type { FeatureTransform } from '../preprocess/temporal.js';
import type { VoxelGrid } from '../volume.js';

export interface RunFeatures {
  readonly run: string;
  /** TR index of each row. */
  readonly trs: number[];
  /** Seconds since run start of each row (the run clock that events are measured on). */
  readonly runTimes: number[];
  /** rows × voxels, in the order of the mask's sorted voxel indices. */
  readonly rows: Float32Array[];
  /** TRs that gave an error record (gaps, unreadable volumes): not used. */
  readonly skipped: number;
  readonly repetitionTime: number | null;
  /** The run's voxel grid (that of its reference volume). */
  readonly grid: VoxelGrid;
}

export async function runFeatures(file: string, mask: MaskImage, pipeline: PipelineConfig, transform: FeatureTransform): Promise<RunFeatures> {
  const source = await openReplaySource(file, { speed: 0 });
  const holder: ReferenceHolder = { current: null };
  const rowsOf = preprocess(source.items(), { inputs: { pipeline, masks: [mask], model: null } }, holder).pipe(
    map((item) => {
      if (item.kind !== 'tr') return null;
      const reference = holder.current!;
      const roi = reference.rois.find((r) => r.name === mask.name);
      if (!roi) throw new BoldstreamError('TRAIN_NO_DATA', `${path.basename(file)}: ${reference.standingWarnings.map((w) => w.message).join('; ')}`);
      return { tr: item.ctx.tr, runTime: item.ctx.runTime, row: reference.normaliser.transform(transform, roi.positions) };
    }),
    toArray(),
  );
  const rows = await lastValueFrom(rowsOf);
  if (!holder.current) throw new BoldstreamError('TRAIN_NO_DATA', `${path.basename(file)}: no usable volume`);
  const good = rows.filter((r) => r !== null);
  return {
    run: file,
    trs: good.map((r) => r.tr),
    runTimes: good.map((r) => r.runTime),
    rows: good.map((r) => r.row),
    skipped: rows.length - good.length,
    repetitionTime: source.description.repetitionTime,
    grid: holder.current.grid,
  };
}
