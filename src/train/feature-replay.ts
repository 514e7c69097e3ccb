/**
 * Feature decoding of a recorded run, TR by TR, exactly as a live session would do it: the run goes
 * through the live preprocessing (run-features.ts) for the bundle's voxels, each TR through the
 * FeatureDecoder, and the TRs of each trial into the TrialFeatureAccumulator. The last estimate of
 * each trial is kept. Used to evaluate feature bundles on held-out runs (tests, benches, evaluation).
 */
import type { PipelineConfig } from '../config.js';
import type { FeatureBundle } from '../decode/features/bundle.js';
import { FeatureDecoder } from '../decode/features/decoder.js';
import { type FeatureTrialState, TrialFeatureAccumulator } from '../decode/features/trial-features.js';
import type { TimedEvent } from '../decode/events.js';
import { BoldstreamError } from '../errors.js';
import { sameGrid } from '../geometry/mat4.js';
import { readNiftiHeaderFile } from '../ingest/nifti/index.js';
import { runFeatures } from './run-features.js';

export interface ReplayedTrials {
  /** The final state of every trial that received a TR, in trial order. */
  readonly trials: FeatureTrialState[];
  /** Per-TR decoding time, ms (the decoder alone, not the preprocessing). */
  readonly decodeMs: number[];
  /** Per-TR accumulation and rescaling time, ms. */
  readonly accumulateMs: number[];
}

export async function replayFeatureTrials(bundle: FeatureBundle, file: string, events: readonly TimedEvent[], pipeline: PipelineConfig): Promise<ReplayedTrials> {
  const { grid } = await readNiftiHeaderFile(file);
  if (!sameGrid(bundle.grid, grid)) throw new BoldstreamError('MODEL_GRID_MISMATCH', `${file}: grid ${grid.dims.join('x')} is not the feature bundle's ${bundle.grid.dims.join('x')}`);
  const data = new Float32Array(grid.dims[0] * grid.dims[1] * grid.dims[2]);
  for (const v of bundle.voxelIndices) data[v] = 1;
  // The bundle's voxels as a mask: runFeatures hands them over in ascending index order, the
  // decoder wants the bundle's order (ascending too when boldstream trained it).
  const run = await runFeatures(file, { name: 'decoder', grid, data }, pipeline, bundle.features);
  const ascending = Int32Array.from(bundle.voxelIndices).sort();
  const column = Int32Array.from(bundle.voxelIndices, (v) => binarySearch(ascending, v));
  const decoder = new FeatureDecoder(bundle);
  const accumulator = TrialFeatureAccumulator.forBundle(bundle, events);
  const last = new Map<number, FeatureTrialState>();
  const decodeMs: number[] = [];
  const accumulateMs: number[] = [];
  run.rows.forEach((row, r) => {
    const t0 = performance.now();
    const decoded = decoder.decode(Float32Array.from(column, (c) => row[c]!));
    const t1 = performance.now();
    const state = accumulator.update(run.runTimes[r]!, run.trs[r]!, decoded.layers);
    accumulateMs.push(performance.now() - t1);
    decodeMs.push(t1 - t0);
    if (state) last.set(state.index, state);
  });
  return { trials: [...last.values()].sort((a, b) => a.index - b.index), decodeMs, accumulateMs };
}

function binarySearch(sorted: Int32Array, value: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
