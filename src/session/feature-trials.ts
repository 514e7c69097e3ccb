/**
 * A session's feature decoding, off the record path (docs/reconstruction.md):
 *
 *   pipeline: featureVoxels stage ─ take(tr) ─► queue ─ setImmediate, one TR per turn ─┐
 *                                                                                      ▼
 *      FeatureDecoder.decode (~5 ms at the default bundle) ─ TrialFeatureAccumulator.update
 *                                                                                      │
 *   estimates$ ◄── the trial's refined estimate, every TR inside a trial's window ─────┘
 *
 * The pipeline hands each TR over before its record is emitted; decoding waits for a later turn of
 * the event loop, so the record leaves first and a volume that arrives meanwhile (push, watch) is
 * not held up either. The queue is FIFO and the accumulator sees TRs in order, so the estimates are
 * those an in-line decoder would give.
 */
import { Subject } from 'rxjs';
import { asBoldstreamError, type ErrorBody } from '../errors.js';
import type { TrialFeatureAccumulator } from '../decode/features/trial-features.js';
import type { FeatureTr } from '../pipeline/feature-voxels.js';
import type { Estimate } from '../recon/invert/estimate.js';
import type { LoadedFeatureModel } from './loaded-feature-model.js';

export interface DecodeTiming {
  /** TRs decoded (those inside a trial's window). */
  readonly count: number;
  readonly meanMs: number;
  readonly maxMs: number;
}

export interface FeatureTrialsOptions {
  /** Runs decoding later; default setImmediate (after pending I/O, so records and incoming volumes go first). */
  readonly defer?: (run: () => void) => void;
  readonly onError?: (error: ErrorBody) => void;
}

export class FeatureTrials {
  readonly estimates$ = new Subject<Estimate>();
  /** Each trial's stim_file, for its frames (trial index → path relative to the stimuli folder). */
  readonly stimFiles = new Map<number, string>();
  private readonly queue: FeatureTr[] = [];
  private scheduled = false;
  private ending: (() => void) | null = null;
  private stopped = false;
  private decoded = 0;
  private totalMs = 0;
  private maxMs = 0;
  private readonly defer: (run: () => void) => void;

  constructor(
    private readonly model: LoadedFeatureModel,
    private readonly trials: TrialFeatureAccumulator,
    private readonly options: FeatureTrialsOptions = {},
  ) {
    this.defer = options.defer ?? ((run) => void setImmediate(run));
  }

  /** One TR's transformed voxels (the pipeline's hand-off). */
  take(tr: FeatureTr): void {
    if (this.stopped || this.ending) return;
    this.queue.push(tr);
    this.schedule();
  }

  /** Decodes what is queued, then completes `estimates$`; resolves once it has. */
  finish(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      this.ending = () => {
        this.estimates$.complete();
        resolve();
      };
      if (this.queue.length === 0 && !this.scheduled) this.ending();
    });
  }

  /** Drops what is queued and completes `estimates$` now (a session cut short). */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.queue.length = 0;
    this.estimates$.complete();
  }

  timing(): DecodeTiming {
    return { count: this.decoded, meanMs: this.decoded ? this.totalMs / this.decoded : 0, maxMs: this.maxMs };
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.defer(() => this.next());
  }

  /** One TR per turn: a backlog (an unpaced replay) never blocks the event loop for long. */
  private next(): void {
    this.scheduled = false;
    const tr = this.queue.shift();
    if (tr && !this.stopped) this.decode(tr);
    if (this.queue.length > 0) this.schedule();
    else if (this.ending && !this.stopped) this.ending();
  }

  private decode(tr: FeatureTr): void {
    // Between trials a decoded TR would be thrown away: the decoder's ~5 ms are spent only inside a
    // window. Markers placed later than their window's start miss those TRs here, as in-line they would.
    if (!this.trials.holds(tr.runTime)) return;
    try {
      const started = performance.now();
      const decoded = this.model.decoder.decode(tr.values);
      const state = this.trials.update(tr.runTime, tr.tr, decoded.layers);
      const ms = performance.now() - started;
      this.decoded += 1;
      this.totalMs += ms;
      this.maxMs = Math.max(this.maxMs, ms);
      if (!state) return;
      if (state.stim_file) this.stimFiles.set(state.index, state.stim_file);
      this.estimates$.next(state.estimate);
    } catch (thrown) {
      // A TR that cannot be decoded costs that TR's refinement, never the session.
      this.options.onError?.(asBoldstreamError(thrown).toJSON());
    }
  }
}
