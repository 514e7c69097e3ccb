/**
 * Trial accumulation: evidence for the current trial grows with every TR of its HRF-shifted window,
 * and a refined decision is emitted on each one.
 *
 *   ridge scores (decision values)     evidence = mean over the trial's TRs so far
 *   logistic scores (log-probabilities) evidence = sum over the trial's TRs so far, i.e. the log of
 *                                        the product of per-TR probabilities (naive Bayes over TRs)
 *
 * Events may be added at any time (live markers arrive while the run goes on); TRs already passed
 * are not revisited, so an event that arrives after its window opened collects only later TRs.
 * A TR belongs to at most one trial; where windows overlap the latest onset wins (events.ts).
 * Each update costs O(classes) plus a binary search over the events: no look-ahead, no re-summing.
 */
import { BoldstreamError } from '../errors.js';
import { type TimedEvent, TIME_TOLERANCE, checkEvent } from './events.js';
import { argmax } from './metrics.js';
import type { ScoreKind } from './methods.js';

export interface TrialState {
  /** 0-based index of the event in the order it was added (never renumbered). */
  readonly index: number;
  readonly onset: number;
  readonly duration: number;
  /** TRs accumulated so far, this one included. */
  readonly n: number;
  readonly label: string;
  /** Accumulated evidence per label. */
  readonly scores: Record<string, number>;
  /** The event's own trial_type, when known. */
  readonly truth?: string;
  readonly stim_file?: string;
}

export interface TrialOptions {
  /** Labels in the decoder's order; ties in evidence go to the first. */
  readonly labels: readonly string[];
  readonly scoreKind: ScoreKind;
  readonly hrfDelaySec: number;
  readonly events?: readonly TimedEvent[];
}

interface Tracked {
  readonly event: TimedEvent;
  readonly index: number;
  readonly start: number;
  readonly end: number;
  readonly sum: Float64Array;
  n: number;
}

export class TrialAccumulator {
  private readonly labels: readonly string[];
  private readonly sumEvidence: boolean;
  private readonly hrfDelaySec: number;
  private readonly tracked: Tracked[] = [];
  /** Events by window start (then index), and the latest window end among each prefix of them. */
  private readonly byStart: Tracked[] = [];
  private readonly prefixEnd: number[] = [];

  constructor(options: TrialOptions) {
    if (!(options.hrfDelaySec >= 0)) throw new BoldstreamError('EVENTS_INVALID', `HRF delay ${options.hrfDelaySec} s`);
    this.labels = [...options.labels];
    this.sumEvidence = options.scoreKind === 'log-probability';
    this.hrfDelaySec = options.hrfDelaySec;
    for (const e of options.events ?? []) this.addEvent(e);
  }

  get eventCount(): number {
    return this.tracked.length;
  }

  /** Adds an event and returns its index. Rare next to TRs, so O(events) here is fine. */
  addEvent(event: TimedEvent): number {
    checkEvent(event, `event ${this.tracked.length}`);
    const start = event.onset + this.hrfDelaySec - TIME_TOLERANCE;
    const t: Tracked = { event: { ...event }, index: this.tracked.length, start, end: start + event.duration, sum: new Float64Array(this.labels.length), n: 0 };
    this.tracked.push(t);
    let at = this.byStart.length;
    while (at > 0 && this.byStart[at - 1]!.start > start) at--;
    this.byStart.splice(at, 0, t);
    this.prefixEnd.length = 0;
    let latest = -Infinity;
    for (const e of this.byStart) this.prefixEnd.push((latest = Math.max(latest, e.end)));
    return t.index;
  }

  /**
   * Feeds one TR: t is its acquisition time in seconds since run start, scores the decoder's per-label
   * scores (by name, or an array in label order). Returns the trial the TR belongs to, with its
   * evidence so far, or null between trials. Non-finite scores are not accumulated.
   */
  update(t: number, scores: Readonly<Record<string, number>> | ArrayLike<number>): TrialState | null {
    const trial = this.active(t);
    if (!trial) return null;
    const k = this.labels.length;
    const values = new Float64Array(k);
    for (let c = 0; c < k; c++) {
      const v = isArrayLike(scores) ? scores[c] : scores[this.labels[c]!];
      if (v === undefined) throw new RangeError(`no score for label "${this.labels[c]}"`);
      values[c] = v;
    }
    if (values.every(Number.isFinite)) {
      for (let c = 0; c < k; c++) trial.sum[c]! += values[c]!;
      trial.n++;
    }
    if (trial.n === 0) return null;
    const evidence = this.sumEvidence ? Float64Array.from(trial.sum) : trial.sum.map((s) => s / trial.n);
    const out: Record<string, number> = {};
    this.labels.forEach((label, c) => (out[label] = evidence[c]!));
    const { event } = trial;
    return {
      index: trial.index,
      onset: event.onset,
      duration: event.duration,
      n: trial.n,
      label: this.labels[argmax(evidence)]!,
      scores: out,
      ...(event.trial_type ? { truth: event.trial_type } : {}),
      ...(event.stim_file ? { stim_file: event.stim_file } : {}),
    };
  }

  /** The event whose window holds t, latest onset first; null if none. */
  private active(t: number): Tracked | null {
    if (!Number.isFinite(t)) return null;
    // Last event whose window has started by t (windows start at `start`, tolerance included).
    let lo = 0;
    let hi = this.byStart.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.byStart[mid]!.start <= t) lo = mid + 1;
      else hi = mid;
    }
    // Walk back to the first one still open; stop as soon as no earlier window reaches past t.
    for (let i = lo - 1; i >= 0 && this.prefixEnd[i]! > t; i--) {
      const e = this.byStart[i]!;
      if (t < e.end) return e;
    }
    return null;
  }
}

function isArrayLike(x: Readonly<Record<string, number>> | ArrayLike<number>): x is ArrayLike<number> {
  return ArrayBuffer.isView(x) || Array.isArray(x);
}
