/**
 * The events of a run as HRF-shifted windows, and which one a TR belongs to. A TR at time t belongs
 * to the event whose [onset + delay, onset + duration + delay) holds t (events.ts tolerance
 * included), the latest onset winning and, among equal onsets, the event added last.
 *
 * One rule for the classifiers' trials (trial.ts) and the feature decoders' (features/
 * trial-features.ts), so that both number and bound a trial alike. Events may be added while the
 * run goes on (live markers); adding is O(events), which is rare next to TRs. A lookup is a binary
 * search over window starts and a walk back that stops as soon as no earlier window reaches past t.
 */
import { BoldstreamError } from '../errors.js';
import { checkEvent, TIME_TOLERANCE, type TimedEvent } from './events.js';

export interface TrialWindow {
  readonly event: TimedEvent;
  /** 0-based, in the order the events were added (never renumbered). */
  readonly index: number;
  readonly start: number;
  readonly end: number;
}

export class TrialWindows {
  private readonly windows: TrialWindow[] = [];
  /** Windows by start (then by index), and the latest end among each prefix of them. */
  private readonly byStart: TrialWindow[] = [];
  private readonly prefixEnd: number[] = [];

  constructor(readonly hrfDelaySec: number) {
    if (!(hrfDelaySec >= 0)) throw new BoldstreamError('EVENTS_INVALID', `HRF delay ${hrfDelaySec} s`);
  }

  get count(): number {
    return this.windows.length;
  }

  add(event: TimedEvent): TrialWindow {
    checkEvent(event, `event ${this.windows.length}`);
    const start = event.onset + this.hrfDelaySec - TIME_TOLERANCE;
    const window: TrialWindow = { event: { ...event }, index: this.windows.length, start, end: start + event.duration };
    this.windows.push(window);
    let at = this.byStart.length;
    while (at > 0 && this.byStart[at - 1]!.start > start) at--;
    this.byStart.splice(at, 0, window);
    this.prefixEnd.length = 0;
    let latest = -Infinity;
    for (const w of this.byStart) this.prefixEnd.push((latest = Math.max(latest, w.end)));
    return window;
  }

  byIndex(index: number): TrialWindow {
    return this.windows[index]!;
  }

  /** The window that holds t; null between trials or when t is not finite. */
  at(t: number): TrialWindow | null {
    if (!Number.isFinite(t)) return null;
    // Last window that has started by t.
    let lo = 0;
    let hi = this.byStart.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.byStart[mid]!.start <= t) lo = mid + 1;
      else hi = mid;
    }
    // Walk back to the first one still open; stop as soon as no earlier window reaches past t.
    for (let i = lo - 1; i >= 0 && this.prefixEnd[i]! > t; i--) {
      const w = this.byStart[i]!;
      if (t < w.end) return w;
    }
    return null;
  }
}
