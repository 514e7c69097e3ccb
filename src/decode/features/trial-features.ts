/**
 * Trial accumulation of decoded features: while an event's HRF-shifted window is open, each TR's
 * decoded units join the trial's running sum, and the refined estimate — the mean so far, rescaled
 * to the training spread (rescale.ts) — is returned with every TR, for reconstruction to chase.
 *
 * The window rule is that of the classifiers (decode/events.ts, decode/trial.ts): a TR at time t
 * belongs to the event whose [onset + delay, onset + duration + delay) holds t, the latest onset
 * winning and, among equal onsets, the event added last. Training averaged the same TRs into one
 * sample per event (train/feature-samples.ts), and decoding is linear, so the estimate after a
 * trial's last TR is the decoder's prediction for that trial's training-style sample.
 *
 * Cost per TR: O(units) to add and rescale, plus a scan of the events (a few hundred at most,
 * nothing beside the decoding's units × K). Sums are kept only for trials whose window is still
 * open; TRs arrive in time order, so a closed window never receives another.
 */
import { BoldstreamError } from '../../errors.js';
import { type TimedEvent, TIME_TOLERANCE, checkEvent } from '../events.js';
import type { FeatureBundle, FeatureLayerModel } from './bundle.js';
import { rescaleToTraining } from './rescale.js';

/** One layer of an estimate; the shape reconstruction takes (recon/invert/estimate.ts). */
export interface FeatureEstimateLayer {
  readonly name: string;
  /** Decoded units of the layer's flattened activation; null for the pixels layer (every unit, in order). */
  readonly unitIndices: Int32Array | null;
  readonly values: Float32Array;
}

export interface FeatureEstimate {
  readonly trial: number;
  /** The newest TR in the estimate. */
  readonly tr: number;
  /** The feature space's name (the network's, or the pixels space's when there is no network). */
  readonly space: string;
  readonly layers: readonly FeatureEstimateLayer[];
}

export interface FeatureTrialState {
  readonly index: number;
  readonly onset: number;
  readonly duration: number;
  /** TRs averaged so far, this one included. */
  readonly n: number;
  readonly truth?: string;
  readonly stim_file?: string;
  /** Rescaled to the training spread: what reconstruction inverts. */
  readonly estimate: FeatureEstimate;
  /** Per layer, the plain mean of the decoded TRs (before rescaling): what the metrics score. */
  readonly mean: readonly Float32Array[];
  /** Per layer, the factor the deviations from the training mean were multiplied by. */
  readonly gains: readonly number[];
}

type LayerStats = Pick<FeatureLayerModel, 'name' | 'space' | 'unitIndices' | 'featureMean' | 'featureStd'>;

export interface TrialFeatureOptions {
  readonly hrfDelaySec: number;
  readonly space: string;
  readonly layers: readonly LayerStats[];
  readonly events?: readonly TimedEvent[];
}

interface Tracked {
  readonly event: TimedEvent;
  readonly index: number;
  readonly start: number;
  readonly end: number;
  sums: Float64Array[] | null;
  n: number;
}

export class TrialFeatureAccumulator {
  private readonly layers: readonly LayerStats[];
  private readonly hrfDelaySec: number;
  private readonly space: string;
  private readonly tracked: Tracked[] = [];

  constructor(options: TrialFeatureOptions) {
    if (!(options.hrfDelaySec >= 0)) throw new BoldstreamError('EVENTS_INVALID', `HRF delay ${options.hrfDelaySec} s`);
    this.layers = options.layers;
    this.hrfDelaySec = options.hrfDelaySec;
    this.space = options.space;
    for (const e of options.events ?? []) this.addEvent(e);
  }

  /** The accumulator for a bundle's decoders, with the bundle's HRF shift. */
  static forBundle(bundle: FeatureBundle, events?: readonly TimedEvent[]): TrialFeatureAccumulator {
    return new TrialFeatureAccumulator({ hrfDelaySec: bundle.hrfDelaySec, space: bundle.space.name, layers: bundle.layers, ...(events ? { events } : {}) });
  }

  /** Adds an event (live markers arrive while the run goes on) and returns its index. */
  addEvent(event: TimedEvent): number {
    checkEvent(event, `event ${this.tracked.length}`);
    const start = event.onset + this.hrfDelaySec - TIME_TOLERANCE;
    this.tracked.push({ event: { ...event }, index: this.tracked.length, start, end: start + event.duration, sums: null, n: 0 });
    return this.tracked.length - 1;
  }

  /**
   * Feeds one TR: `t` seconds since run start, `tr` its index, `decoded` the FeatureDecoder's layers.
   * Returns the trial's refined estimate, or null between trials (or when the TR is not finite).
   */
  update(t: number, tr: number, decoded: readonly Float32Array[]): FeatureTrialState | null {
    if (decoded.length !== this.layers.length) throw new RangeError(`${decoded.length} decoded layers for ${this.layers.length}`);
    const trial = this.active(t);
    for (const e of this.tracked) if (e.sums && e !== trial && e.end <= t) e.sums = null;
    if (!trial) return null;
    trial.sums ??= this.layers.map((l) => new Float64Array(l.featureMean.length));
    const finite = decoded.every((d, i) => d.length === trial.sums![i]!.length && d.every(Number.isFinite));
    if (finite) {
      decoded.forEach((d, i) => {
        const sum = trial.sums![i]!;
        for (let u = 0; u < d.length; u++) sum[u]! += d[u]!;
      });
      trial.n++;
    }
    if (trial.n === 0) return null;
    const mean = trial.sums.map((s) => Float32Array.from(s, (v) => v / trial.n));
    const scaled = mean.map((m, i) => rescaleToTraining(m, this.layers[i]!.featureMean, this.layers[i]!.featureStd));
    const { event } = trial;
    return {
      index: trial.index,
      onset: event.onset,
      duration: event.duration,
      n: trial.n,
      ...(event.trial_type ? { truth: event.trial_type } : {}),
      ...(event.stim_file ? { stim_file: event.stim_file } : {}),
      estimate: {
        trial: trial.index,
        tr,
        space: this.space,
        layers: this.layers.map((l, i) => ({ name: l.name, unitIndices: l.space === 'pixels' ? null : l.unitIndices, values: scaled[i]!.values })),
      },
      mean,
      gains: scaled.map((s) => s.gain),
    };
  }

  /** The event whose window holds t: latest onset first, then the one added last. */
  private active(t: number): Tracked | null {
    if (!Number.isFinite(t)) return null;
    let best: Tracked | null = null;
    for (const e of this.tracked) if (t >= e.start && t < e.end && (best === null || e.event.onset >= best.event.onset)) best = e;
    return best;
  }
}
