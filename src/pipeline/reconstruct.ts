/**
 * Reconstruction: decoded-feature estimates in, image frames out (docs/reconstruction.md).
 *
 *   estimate (trial, tr) ──► first of its trial? ──► instant frame, here, at once (iteration 0)
 *            │
 *            └─► engine.submit(newest)        worker: warm-started optimiser, frames every few iterations
 *                                   │
 *   frames ◄── only those of the newest estimate (switchMap: an older one's work is obsolete)
 *
 * The instant frame (the decoded pixels layer, upsampled; ~1–5 ms with its PNG) is the only work
 * done on this thread, so the first frame of a trial is out within milliseconds of its first
 * estimate whatever the worker is doing, and per-TR records never wait for an optimiser step. When
 * the engine has failed for good, every estimate gets an instant frame instead.
 *
 * `holdTrials` is for estimates that come faster than any scanner (a replay at --speed max, where a
 * whole run's TRs arrive within seconds): a new trial's estimates wait, newest only, until the current
 * trial has had its minimum of iterations, so that every trial gets optimiser work instead of being
 * cut after none by the next one. Live sessions do not hold: there the TR clock is the budget.
 */
import { asyncScheduler, Observable, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import { asBoldstreamError, type ErrorBody } from '../errors.js';
import { validateEstimate, type Estimate } from '../recon/invert/estimate.js';
import { instantImage, instantScores } from '../recon/invert/first-frame.js';
import type { EngineEvent, ReconstructionEngine } from '../recon/worker/engine.js';
import { encodeFramePng } from '../recon/worker/png.js';
import type { Frame } from '../generated/boldstream.js';

/** A frame: proto `Frame` without `session` (the hub adds it) and `stim_file` (the trial's events know it). */
export type FrameOut = Readonly<Omit<Frame, 'session' | 'stim_file'>>;

export interface ReconstructOptions {
  /** The engine, or a factory: an engine made by the factory is closed when the stream ends. */
  readonly engine: ReconstructionEngine | (() => ReconstructionEngine);
  /** Side of the frames, px: the worker's image size, so that instant and optimised frames match. */
  readonly imageSize: number;
  /** After the estimates complete, how long the newest one may still be worked on (until idle), ms; default 60 000; 0: complete at once. */
  readonly drainMs?: number;
  /** Errors that do not end the stream: a bad estimate, a worker crash or failure. Default: ignored (the worker client logs). */
  readonly onError?: (error: ErrorBody & { readonly fatal: boolean }) => void;
  /** Clock for elapsedMs and the drain deadline; default asyncScheduler. */
  readonly scheduler?: SchedulerLike;
  /** Hold each new trial back until the current one has had its work (unpaced replays; see above). */
  readonly holdTrials?: TrialHold;
}

export interface TrialHold {
  /** The current trial is released once a frame of it reports this many iterations, or its work is spent (idle)... */
  readonly minIterations: number;
  /** ...or this long after it started, ms: a stalled engine must not hold a replay for ever. */
  readonly maxWaitMs: number;
}

interface Current {
  readonly trial: number;
  readonly version: number;
  readonly tr: number;
  readonly space: string;
  readonly startedAt: number;
  idle: boolean;
  /** The highest iteration the engine reported for this trial's newest estimate. */
  iterations: number;
  /** The hold's deadline for this trial passed. */
  timedOut: boolean;
}

export function reconstruct(options: ReconstructOptions): OperatorFunction<Estimate, FrameOut> {
  const scheduler = options.scheduler ?? asyncScheduler;
  const drainMs = options.drainMs ?? 60_000;
  return (source) =>
    new Observable<FrameOut>((subscriber) => {
      const owned = typeof options.engine === 'function';
      const engine = typeof options.engine === 'function' ? options.engine() : options.engine;
      let current: Current | null = null;
      let version = 0;
      let failed = false;
      let draining = false;
      let deadline: Subscription | null = null;
      const hold = options.holdTrials ?? null;
      /** Estimates of later trials held back (with `hold`): the newest of each trial, in trial order. */
      const waiting: Estimate[] = [];
      let holdTimer: Subscription | null = null;

      /** The current trial has had its work, so the next one may start (always, without a hold). */
      const released = (): boolean => !hold || current === null || failed || current.idle || current.timedOut || current.iterations >= hold.minIterations;
      const finishIfDone = (): void => {
        if (!draining || waiting.length > 0) return;
        if (current === null || failed || (hold ? released() : current.idle)) subscriber.complete();
      };
      const armDeadline = (): void => {
        deadline?.unsubscribe();
        deadline = drainMs > 0 ? scheduler.schedule(() => subscriber.complete(), drainMs) : null;
        if (drainMs <= 0) subscriber.complete();
      };
      const report = (error: ErrorBody, fatal: boolean): void => options.onError?.({ ...error, fatal });

      const onEvent = (event: EngineEvent): void => {
        if (event.type === 'frame') {
          if (!current || event.trial !== current.trial || event.version !== current.version) return;
          const { trial, tr, iteration, loss, featureCorrelation, width, height, png } = event;
          current.iterations = Math.max(current.iterations, iteration);
          subscriber.next({ trial, tr, iteration, loss, featureCorrelation, width, height, png, space: current.space, elapsedMs: scheduler.now() - current.startedAt });
        } else if (event.type === 'idle') {
          if (current && event.trial === current.trial && event.version === current.version) current.idle = true;
        } else if (event.type === 'error') {
          if (event.fatal) failed = true;
          report({ code: event.code, message: event.message }, event.fatal);
        }
        releaseWaiting();
        finishIfDone();
      };

      const start = (estimate: Estimate): void => {
        const newTrial = current?.trial !== estimate.trial;
        const startedAt = newTrial || !current ? scheduler.now() : current.startedAt;
        current = { trial: estimate.trial, version: ++version, tr: estimate.tr, space: estimate.space, startedAt, idle: false, iterations: newTrial || !current ? 0 : current.iterations, timedOut: false };
        if (newTrial && hold) {
          const trial = current;
          holdTimer?.unsubscribe();
          holdTimer = scheduler.schedule(() => {
            trial.timedOut = true;
            releaseWaiting();
            finishIfDone();
          }, hold.maxWaitMs);
          // A trial taken from the queue after the estimates ended gets a drain deadline of its own.
          if (draining) armDeadline();
        }
        if (newTrial || failed) subscriber.next(instantFrame(estimate, options.imageSize, scheduler.now() - startedAt));
        if (failed) current.idle = true;
        else engine.submit({ trial: estimate.trial, version, estimate });
      };
      const releaseWaiting = (): void => {
        while (waiting.length > 0 && released()) start(waiting.shift()!);
      };
      const stopListening = engine.listen(onEvent);

      const onEstimate = (estimate: Estimate): void => {
        try {
          validateEstimate(estimate);
        } catch (thrown) {
          report(asBoldstreamError(thrown).toJSON(), false);
          return;
        }
        // A refinement of the trial being worked on is taken at once; a later trial waits its turn.
        if (hold && current?.trial !== estimate.trial && (waiting.length > 0 || !released())) {
          if (waiting.at(-1)?.trial === estimate.trial) waiting[waiting.length - 1] = estimate;
          else waiting.push(estimate);
          return;
        }
        start(estimate);
      };

      const subscription = source.subscribe({
        next: onEstimate,
        error: (error: unknown) => subscriber.error(error),
        complete: () => {
          draining = true;
          armDeadline();
          finishIfDone();
        },
      });

      return () => {
        subscription.unsubscribe();
        deadline?.unsubscribe();
        holdTimer?.unsubscribe();
        stopListening();
        if (owned) engine.close().catch(() => undefined);
      };
    });
}

function instantFrame(estimate: Estimate, size: number, elapsedMs: number): FrameOut {
  const image = instantImage(estimate, size);
  return { trial: estimate.trial, tr: estimate.tr, iteration: 0, ...instantScores(estimate), width: size, height: size, png: encodeFramePng(image, size), space: estimate.space, elapsedMs };
}
