/**
 * Experimental events (BIDS events.tsv rows as ingest/bids/events.ts reads them, or live markers)
 * and the HRF-shifted window in which an event's brain response is sampled.
 *
 * The BOLD response peaks some seconds after the stimulus, so an event with onset o and duration d
 * is seen in the TRs acquired during [o + delay, o + d + delay). One rule for overlapping windows is
 * shared by training labels (labels.ts) and run-time trials (trial.ts): the event with the latest
 * onset wins, and among equal onsets the one listed (or added) last. Training and decoding therefore
 * never disagree about which event a TR belongs to.
 */
import { BoldstreamError } from '../errors.js';

/** What decoding needs of an event; a BIDS EventRow is one. */
export interface TimedEvent {
  /** Seconds from the start of the run. */
  readonly onset: number;
  /** Seconds; 0 gives an empty window (BIDS impulse events are never sampled). */
  readonly duration: number;
  readonly trial_type?: string | null;
  readonly stim_file?: string | null;
}

/**
 * Window boundaries are compared with this slack (seconds) so that decimal onsets such as 0.1 + 2.4
 * land on the side their authors meant, not the side binary rounding puts them.
 */
export const TIME_TOLERANCE = 1e-6;

/** True when time t falls in the event's HRF-shifted window [onset + delay, onset + duration + delay). */
export function inWindow(t: number, onset: number, duration: number, hrfDelaySec: number): boolean {
  return t >= onset + hrfDelaySec - TIME_TOLERANCE && t < onset + duration + hrfDelaySec - TIME_TOLERANCE;
}

/** Refuses an event that cannot be placed in time: EVENTS_INVALID naming the event. */
export function checkEvent(event: TimedEvent, where: string): void {
  if (!Number.isFinite(event.onset)) throw new BoldstreamError('EVENTS_INVALID', `${where}: onset ${event.onset} is not a number`);
  if (!Number.isFinite(event.duration) || event.duration < 0) {
    throw new BoldstreamError('EVENTS_INVALID', `${where}: duration ${event.duration} is not a non-negative number`);
  }
}
