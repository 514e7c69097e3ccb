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
 * Cost per TR: O(units) to add and rescale, plus the window lookup. Sums are kept only for trials
 * whose window is still open; TRs arrive in time order, so a closed window never receives another.
 */
import type { TimedEvent } from '../events.js';
import { TrialWindows } from '../trial-windows.js';
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

export class TrialFeatureAccumulator {
  private readonly layers: readonly LayerStats[];
  private readonly space: string;
  private readonly windows: TrialWindows;
  /** Per trial index: per-layer sums while its window is open (null before and after), and TRs summed. */
  private readonly sums: (Float64Array[] | null)[] = [];
  private readonly counts: number[] = [];
  /** Indices whose sums are held: the few whose windows were open at the latest TRs. */
  private readonly held = new Set<number>();

  constructor(options: TrialFeatureOptions) {
    this.layers = options.layers;
    this.space = options.space;
    this.windows = new TrialWindows(options.hrfDelaySec);
    for (const e of options.events ?? []) this.addEvent(e);
  }

  /** The accumulator for a bundle's decoders, with the bundle's HRF shift. */
  static forBundle(bundle: FeatureBundle, events?: readonly TimedEvent[]): TrialFeatureAccumulator {
    return new TrialFeatureAccumulator({ hrfDelaySec: bundle.hrfDelaySec, space: bundle.space.name, layers: bundle.layers, ...(events ? { events } : {}) });
  }

  /** Adds an event (live markers arrive while the run goes on) and returns its index. */
  addEvent(event: TimedEvent): number {
    const { index } = this.windows.add(event);
    this.sums.push(null);
    this.counts.push(0);
    return index;
  }

  /** True when a trial's window holds t: only then is a TR worth decoding. */
  holds(t: number): boolean {
    return this.windows.at(t) !== null;
  }

  /**
   * Feeds one TR: `t` seconds since run start, `tr` its index, `decoded` the FeatureDecoder's layers.
   * Returns the trial's refined estimate, or null between trials (or when the TR is not finite).
   */
  update(t: number, tr: number, decoded: readonly Float32Array[]): FeatureTrialState | null {
    if (decoded.length !== this.layers.length) throw new RangeError(`${decoded.length} decoded layers for ${this.layers.length}`);
    const trial = this.windows.at(t);
    // TRs come in time order: a window that has closed never receives another TR, so its sums go.
    for (const i of this.held) {
      if (i !== trial?.index && this.windows.byIndex(i).end <= t) {
        this.sums[i] = null;
        this.held.delete(i);
      }
    }
    if (!trial) return null;
    const sums = (this.sums[trial.index] ??= this.layers.map((l) => new Float64Array(l.featureMean.length)));
    this.held.add(trial.index);
    const finite = decoded.every((d, i) => d.length === sums[i]!.length && d.every(Number.isFinite));
    if (finite) {
      decoded.forEach((d, i) => {
        const sum = sums[i]!;
        for (let u = 0; u < d.length; u++) sum[u]! += d[u]!;
      });
      this.counts[trial.index]!++;
    }
    const n = this.counts[trial.index]!;
    if (n === 0) return null;
    const mean = sums.map((s) => Float32Array.from(s, (v) => v / n));
    const scaled = mean.map((m, i) => rescaleToTraining(m, this.layers[i]!.featureMean, this.layers[i]!.featureStd));
    const { event } = trial;
    return {
      index: trial.index,
      onset: event.onset,
      duration: event.duration,
      n,
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
}
