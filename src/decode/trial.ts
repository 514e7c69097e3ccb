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
 * Which trial a TR belongs to is trial-windows.ts. Each update costs O(classes) plus that lookup: no
 * look-ahead, no re-summing.
 */
import type { TimedEvent } from './events.js';
import { argmax } from './metrics.js';
import type { ScoreKind } from './methods.js';
import { TrialWindows } from './trial-windows.js';

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

export class TrialAccumulator {
  private readonly labels: readonly string[];
  private readonly sumEvidence: boolean;
  private readonly windows: TrialWindows;
  /** Per trial index: summed scores and how many TRs they hold. */
  private readonly sums: Float64Array[] = [];
  private readonly counts: number[] = [];

  constructor(options: TrialOptions) {
    this.labels = [...options.labels];
    this.sumEvidence = options.scoreKind === 'log-probability';
    this.windows = new TrialWindows(options.hrfDelaySec);
    for (const e of options.events ?? []) this.addEvent(e);
  }

  get eventCount(): number {
    return this.windows.count;
  }

  /** Adds an event and returns its index. */
  addEvent(event: TimedEvent): number {
    const { index } = this.windows.add(event);
    this.sums.push(new Float64Array(this.labels.length));
    this.counts.push(0);
    return index;
  }

  /**
   * Feeds one TR: t is its acquisition time in seconds since run start, scores the decoder's per-label
   * scores (by name, or an array in label order). Returns the trial the TR belongs to, with its
   * evidence so far, or null between trials. Non-finite scores are not accumulated.
   */
  update(t: number, scores: Readonly<Record<string, number>> | ArrayLike<number>): TrialState | null {
    const trial = this.windows.at(t);
    if (!trial) return null;
    const sum = this.sums[trial.index]!;
    const k = this.labels.length;
    const values = new Float64Array(k);
    for (let c = 0; c < k; c++) {
      const v = isArrayLike(scores) ? scores[c] : scores[this.labels[c]!];
      if (v === undefined) throw new RangeError(`no score for label "${this.labels[c]}"`);
      values[c] = v;
    }
    if (values.every(Number.isFinite)) {
      for (let c = 0; c < k; c++) sum[c]! += values[c]!;
      this.counts[trial.index]!++;
    }
    const n = this.counts[trial.index]!;
    if (n === 0) return null;
    const evidence = this.sumEvidence ? Float64Array.from(sum) : sum.map((s) => s / n);
    const out: Record<string, number> = {};
    this.labels.forEach((label, c) => (out[label] = evidence[c]!));
    const { event } = trial;
    return {
      index: trial.index,
      onset: event.onset,
      duration: event.duration,
      n,
      label: this.labels[argmax(evidence)]!,
      scores: out,
      ...(event.trial_type ? { truth: event.trial_type } : {}),
      ...(event.stim_file ? { stim_file: event.stim_file } : {}),
    };
  }
}

function isArrayLike(x: Readonly<Record<string, number>> | ArrayLike<number>): x is ArrayLike<number> {
  return ArrayBuffer.isView(x) || Array.isArray(x);
}
