/**
 * Trial-averaged voxel patterns for feature decoders (Horikawa & Kamitani 2017): one sample per
 * event that names a stimulus, the mean of the TRs in its HRF-shifted window
 * [onset + delay, onset + duration + delay), with the window rule of decode/events.ts (a TR in
 * several windows goes to the latest onset, then to the event listed last). Events without a
 * `stim_file` have no true features to learn from and are left out entirely; an event whose window
 * holds no usable TR (a gap, the end of the run) gives no sample.
 *
 * Averaging the TRs of a trial is what the run-time TrialFeatureAccumulator does with decoded
 * features; decoding is linear, so training and run time see the same kind of sample.
 */
import { BoldstreamError } from '../errors.js';
import { featureMatrix, type FeatureMatrix } from '../decode/matrix.js';
import { inWindow, type TimedEvent } from '../decode/events.js';
import type { RunFeatures } from './run-features.js';

export interface StimulusRun {
  /** Run name for cross-validation folds and the bundle ("01", or the file name). */
  readonly id: string;
  readonly features: RunFeatures;
  readonly events: readonly TimedEvent[];
}

export interface TrialSamples {
  /** samples × voxels, the mask's voxels in ascending index order. */
  readonly x: FeatureMatrix;
  /** Run of each sample. */
  readonly runs: string[];
  /** `stim_file` of each sample, as written in the events table. */
  readonly stimuli: string[];
  readonly perRun: Record<string, number>;
}

export function trialSamples(runs: readonly StimulusRun[], hrfDelaySec: number): TrialSamples {
  const rows: Float64Array[] = [];
  const sampleRuns: string[] = [];
  const stimuli: string[] = [];
  const perRun: Record<string, number> = {};
  const cols = runs[0]?.features.rows[0]?.length ?? 0;
  for (const run of runs) {
    const events = run.events.filter((e): e is TimedEvent & { stim_file: string } => typeof e.stim_file === 'string' && e.stim_file !== '');
    const sums = events.map(() => new Float64Array(cols));
    const counts = new Int32Array(events.length);
    run.features.runTimes.forEach((t, r) => {
      let best = -1;
      events.forEach((e, i) => {
        if (inWindow(t, e.onset, e.duration, hrfDelaySec) && (best < 0 || e.onset >= events[best]!.onset)) best = i;
      });
      if (best < 0) return;
      const row = run.features.rows[r]!;
      if (row.length !== cols) throw new BoldstreamError('TRAIN_INVALID', `run ${run.id}: ${row.length} voxels, the first run had ${cols}`);
      const sum = sums[best]!;
      for (let c = 0; c < cols; c++) sum[c]! += row[c]!;
      counts[best]!++;
    });
    perRun[run.id] = 0;
    events.forEach((e, i) => {
      if (counts[i] === 0) return;
      rows.push(sums[i]!.map((s) => s / counts[i]!));
      sampleRuns.push(run.id);
      stimuli.push(e.stim_file);
      perRun[run.id]!++;
    });
  }
  if (rows.length === 0 || cols === 0) throw new BoldstreamError('TRAIN_NO_DATA', 'no event with a stim_file has a TR in its HRF-shifted window');
  const data = new Float64Array(rows.length * cols);
  rows.forEach((row, i) => data.set(row, i * cols));
  return { x: featureMatrix(data, rows.length, cols), runs: sampleRuns, stimuli, perRun };
}
