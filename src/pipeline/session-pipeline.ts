/**
 * One session's pipeline, wired from one operator per stage (docs/architecture.md):
 *
 *   source items ─ sequenceVolumes   order by header identity, drop duplicates and dummies, mark gaps
 *               ─ runClock           seconds since the run started (scanner clock or index × TR)
 *               ─ (watchArrival)     live sources: lateness, clock skew, pace vs TR → session status
 *               ─ setReference       first usable volume → reference, masks, normaliser; grid check
 *               ─ correctMotion      rigid 6-DOF to the reference, FD
 *               ─ extractVoxels      realign only the voxels some mask needs
 *               ─ normalise          running detrend + z-score per voxel
 *               ─ roiSignal          mean z per ROI (the neurofeedback value)
 *               ─ decode             linear decoder → class scores
 *               ─ accumulateTrial    evidence over the current trial's HRF-shifted TRs
 *               ─ (featureVoxels)    feature model: the TR's transformed voxels, handed off the record
 *                                    path (decoded and reconstructed after the record has left)
 *               ─ (toRecord)         the contract's record
 *
 * Every stage is synchronous and per TR, so a TR's record leaves before the next TR starts and the
 * latency of one volume is the sum of its stages. Training runs the same operators up to normalise,
 * so that a decoder sees at run time exactly the features it was trained on.
 */
import { type Observable, type SchedulerLike, asyncScheduler, identity } from 'rxjs';
import type { Warning } from '../errors.js';
import type { SourceItem } from '../ingest/sources/source.js';
import type { SessionRecord } from '../session/types.js';
import type { PipelineItem } from './context.js';
import { correctMotion } from './correct-motion.js';
import { accumulateTrial, type TrialSchedule } from './accumulate-trial.js';
import { decode } from './decode.js';
import { extractVoxels } from './extract-voxels.js';
import { type FeatureTr, featureVoxels } from './feature-voxels.js';
import { normalise } from './normalise.js';
import { roiSignal } from './roi-signal.js';
import { type RunClock, runClock } from './run-clock.js';
import type { RunInputs } from './run-state.js';
import { type ReferenceHolder, setReference } from './set-reference.js';
import { sequenceVolumes } from './sequence-volumes.js';
import { toRecord } from './to-record.js';
import { type ArrivalNews, watchArrival } from './watch-arrival.js';

export interface PipelineOptions {
  readonly inputs: RunInputs;
  /** Seconds; overrides what the volumes' headers say. */
  readonly repetitionTime?: number | null;
  readonly onNotice?: (warning: Warning) => void;
  /** Live sources only: arrival lag, clock skew and pace against the TR clock (K20, K26, K27; watch-arrival.ts). */
  readonly onArrival?: (news: ArrivalNews) => void;
  /** With a feature model: each TR's input to the feature decoders, given before its record is emitted. */
  readonly onFeatures?: (tr: FeatureTr) => void;
  readonly scheduler?: SchedulerLike;
}

/** Source items → processed TR contexts (z-scores and ROI values), before decoding. */
export function preprocess(items: Observable<SourceItem>, options: PipelineOptions, holder: ReferenceHolder = { current: null }): Observable<PipelineItem> {
  const { pipeline } = options.inputs;
  const clock: RunClock = { start: null, repetitionTime: options.repetitionTime ?? null };
  return items.pipe(
    sequenceVolumes(
      { window: pipeline.reorderWindow, waitMs: pipeline.reorderWaitMs, maxGap: pipeline.maxGapVolumes, dummyScans: pipeline.dummyScans, ...(options.onNotice ? { onNotice: options.onNotice } : {}) },
      options.scheduler ?? asyncScheduler,
    ),
    runClock(clock),
    // Watches arrival against the clock just set; a replay has no arrival of its own to watch.
    options.onArrival ? watchArrival(clock, options.onArrival) : identity,
    setReference(options.inputs, holder),
    correctMotion(holder, pipeline.motion.headRadiusMm),
    extractVoxels(holder),
    normalise(holder),
    roiSignal(holder),
  );
}

/** The whole session pipeline: source items → records, in TR order. */
export function sessionPipeline(items: Observable<SourceItem>, options: PipelineOptions, trials: TrialSchedule): Observable<SessionRecord> {
  const holder: ReferenceHolder = { current: null };
  const model = options.inputs.model;
  const featureModel = options.inputs.featureModel;
  const handOff = featureModel && options.onFeatures ? featureVoxels(holder, featureModel.bundle.features, options.onFeatures) : identity;
  return preprocess(items, options, holder).pipe(decode(holder, model), accumulateTrial(trials, model), handOff, toRecord());
}
