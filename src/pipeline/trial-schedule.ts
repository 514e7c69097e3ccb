/**
 * The events of a session (a known schedule from events.tsv, and live markers from the stimulus
 * computer) and the accumulator that turns them into trial decisions.
 *
 * A live marker without an onset is placed "now" on the run clock: the run time of the latest TR
 * plus the server time elapsed since that TR arrived. This is what a stimulus computer that knows no
 * scanner time can give, and it is stated in docs/protocol.md.
 */
import type { FeatureBundle } from '../decode/features/bundle.js';
import { TrialFeatureAccumulator } from '../decode/features/trial-features.js';
import { TrialAccumulator } from '../decode/trial.js';
import { checkEvent, type TimedEvent } from '../decode/events.js';
import type { EventMarker } from '../generated/boldstream.js';
import type { LoadedModel } from '../session/loaded-model.js';

export class TrialSchedule {
  private readonly events: TimedEvent[] = [];
  private accumulator: TrialAccumulator | null = null;
  private featureAccumulator: TrialFeatureAccumulator | null = null;
  private lastRunTime = 0;
  private lastArrival: number | null = null;

  constructor(initial: readonly EventMarker[] = []) {
    for (const e of initial) this.add(e);
  }

  /** Places an event on the run clock and returns it as it will be used. */
  add(marker: EventMarker, now = Date.now()): TimedEvent {
    const onset = marker.onset ?? (this.lastArrival === null ? 0 : this.lastRunTime + (now - this.lastArrival) / 1000);
    const event: TimedEvent = { onset, duration: marker.duration, trial_type: marker.trial_type ?? null, stim_file: marker.stim_file ?? null };
    // Refused here, where the sender gets the error, rather than on every TR that would use it.
    checkEvent(event, `event ${this.events.length}${marker.trial_type ? ` (${marker.trial_type})` : ''}`);
    this.events.push(event);
    this.accumulator?.addEvent(event);
    this.featureAccumulator?.addEvent(event);
    return event;
  }

  /** Called for every processed TR, so that "now" for onset-less markers follows the run clock. */
  tick(runTime: number, arrivedAt: number): void {
    this.lastRunTime = runTime;
    this.lastArrival = arrivedAt;
  }

  accumulatorFor(model: LoadedModel): TrialAccumulator {
    this.accumulator ??= new TrialAccumulator({
      labels: model.decoder.labels,
      scoreKind: model.decoder.scoreKind,
      // The shift the decoder was trained with: trials and training must agree on which TRs count.
      hrfDelaySec: model.bundle.hrfDelaySec,
      events: this.events,
    });
    return this.accumulator;
  }

  /** The feature decoders' trials: the same events, hence the same trial indices, with the bundle's HRF shift. */
  featureAccumulatorFor(bundle: FeatureBundle): TrialFeatureAccumulator {
    this.featureAccumulator ??= TrialFeatureAccumulator.forBundle(bundle, this.events);
    return this.featureAccumulator;
  }
}
