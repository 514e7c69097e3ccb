/**
 * Training labels per TR from a run's events, with the HRF shift (events.ts explains the window
 * and the rule for overlapping events).
 *
 * A TR whose acquisition time lies in no counted event's window gets null: rest, or the rise and
 * fall of the response between blocks, which would blur the classes if it were trained on.
 */
import { BoldstreamError } from '../errors.js';
import { type TimedEvent, checkEvent, inWindow } from './events.js';

export interface LabelOptions {
  /** Seconds between volumes; TR i is taken at i · repetitionTime unless acquisitionTimes says otherwise. */
  readonly repetitionTime: number;
  readonly volumes: number;
  readonly hrfDelaySec: number;
  /** Seconds since run start per volume, when the scanner's clock is known (gaps, jitter). */
  readonly acquisitionTimes?: readonly number[];
  /**
   * Trial types that become labels; default every type in the events. Events of other types are
   * ignored entirely, so they neither label TRs nor hide an overlapping counted event.
   */
  readonly trialTypes?: readonly string[];
}

/** One label or null per volume, in volume order. */
export function volumeLabels(events: readonly TimedEvent[], options: LabelOptions): (string | null)[] {
  const { repetitionTime, volumes, hrfDelaySec, acquisitionTimes, trialTypes } = options;
  if (!(repetitionTime > 0) || !Number.isInteger(volumes) || volumes < 0 || !(hrfDelaySec >= 0)) {
    throw new BoldstreamError('EVENTS_INVALID', `cannot place events with TR ${repetitionTime} s, ${volumes} volumes, HRF delay ${hrfDelaySec} s`);
  }
  if (acquisitionTimes && acquisitionTimes.length !== volumes) {
    throw new BoldstreamError('EVENTS_INVALID', `${acquisitionTimes.length} acquisition times for ${volumes} volumes`);
  }
  events.forEach((e, i) => checkEvent(e, `event ${i}`));
  const wanted = trialTypes ? new Set(trialTypes) : null;
  const counted = events.filter((e): e is TimedEvent & { trial_type: string } => typeof e.trial_type === 'string' && (!wanted || wanted.has(e.trial_type)));

  const labels = new Array<string | null>(volumes).fill(null);
  for (let v = 0; v < volumes; v++) {
    const t = acquisitionTimes ? acquisitionTimes[v]! : v * repetitionTime;
    let best: (typeof counted)[number] | null = null;
    for (const e of counted) {
      // ">=": among equal onsets the event listed last wins, as in TrialAccumulator.
      if (inWindow(t, e.onset, e.duration, hrfDelaySec) && (best === null || e.onset >= best.onset)) best = e;
    }
    labels[v] = best ? best.trial_type : null;
  }
  return labels;
}

/** How many volumes each label got; a quick check that a design was read as intended. */
export function labelCounts(labels: readonly (string | null)[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const l of labels) if (l !== null) counts[l] = (counts[l] ?? 0) + 1;
  return counts;
}
