/**
 * One simulated run, volume by volume:
 *
 *   still_t  = mean · (1 + signal_t)              the real mean image; visual voxels respond (drive.ts)
 *   moved_t  = still_t sampled at the record matrix of pose t       (warp.ts; skipped for a still head)
 *   volume_t = moved_t · (1 + gain_k · drift_t) + noise_t           (noise.ts)
 *
 * and rounded to int16 (clipped at 0, as magnitude images are) when the input was integer.
 */
import type { RigidParams } from '../../preprocess/motion/rigid.js';
import { stream } from '../stimuli/streams.js';
import type { Baseline } from './baseline.js';
import type { RunPlan } from './design.js';
import { motionPath, poseMatrix } from './motion.js';
import { driftCurve, driftGain, RunNoise } from './noise.js';
import { regionSignal, trialRegressor } from './timecourse.js';
import { warpVolume } from './warp.js';

export interface SubjectModel {
  readonly seed: number;
  readonly baseline: Baseline;
  readonly repetitionTime: number;
  /** Visual voxels (ascending indices) and their responses to stimulus s: responses[s][v]. */
  readonly region: Uint32Array;
  readonly responses: readonly Float64Array[];
  /** Index into `responses` of each stimulus file. */
  readonly stimulusIndex: ReadonlyMap<string, number>;
  readonly sharedMaps: readonly Float32Array[];
  readonly noiseScale: number;
  readonly motionScale: number;
}

export interface SimulatedRun {
  readonly data: Int16Array | Float32Array;
  readonly poses: readonly RigidParams[];
}

export function simulateRun(model: SubjectModel, plan: RunPlan): SimulatedRun {
  const { baseline, region } = model;
  const n = baseline.mean.length;
  const T = plan.volumes;
  const name = `${plan.task}-${plan.run}`;
  // Separate streams: a twin with another motion or signal level draws exactly the same noise.
  const poses = motionPath(stream(model.seed, 'motion', name), T, model.motionScale);
  const drift = driftCurve(stream(model.seed, 'drift', name), T);
  const noise = new RunNoise(baseline.noiseSd, model.sharedMaps, model.noiseScale, stream(model.seed, 'noise', name));
  const regressors = plan.trials.map((trial) => trialRegressor(trial.onset, trial.duration, T, model.repetitionTime));
  const stimulusOf = plan.trials.map((trial) => model.stimulusIndex.get(trial.stimulus.file)!);
  const signal = regionSignal(regressors, stimulusOf, model.responses, T, region.length);
  const [nx, ny, nz] = baseline.grid.dims;
  const gain = driftGain(nz);
  const data = baseline.integer ? new Int16Array(n * T) : new Float32Array(n * T);
  const still = new Float32Array(n), moved = new Float32Array(n);
  for (let t = 0; t < T; t++) {
    still.set(baseline.mean);
    const change = signal[t]!;
    for (let r = 0; r < region.length; r++) still[region[r]!]! *= 1 + change[r]!;
    const pose = poses[t]!;
    const isStill = pose.trans_x === 0 && pose.trans_y === 0 && pose.trans_z === 0 && pose.rot_x === 0 && pose.rot_y === 0 && pose.rot_z === 0;
    if (isStill) moved.set(still);
    else warpVolume(still, baseline.grid, poseMatrix(pose, baseline.grid), moved);
    for (let k = 0, v = 0; k < nz; k++) {
      const factor = 1 + gain[k]! * drift[t]!;
      for (let end = v + nx * ny; v < end; v++) moved[v]! *= factor;
    }
    noise.addTo(moved);
    const out = data.subarray(t * n, (t + 1) * n);
    if (data instanceof Int16Array) for (let v = 0; v < n; v++) out[v] = Math.min(32767, Math.max(0, Math.round(moved[v]!)));
    else out.set(moved);
  }
  return { data, poses };
}
