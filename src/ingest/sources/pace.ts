/**
 * Replay pacing: items are released at their run time divided by `speed` (speed 1 = the scanner's
 * own pace; 0 = as fast as possible). Each volume is stamped `receivedAt` when it is released, as a
 * live export would be, so replays and live runs go through the same code from here on.
 *
 * The pace may change while the replay runs (pace-control.ts): a pause holds the next item back, and
 * on every change the timeline is rebased at the run time reached so far, so that a resumed replay
 * goes on from where it stopped instead of bursting out what would have come during the pause.
 */
import { Observable } from 'rxjs';
import { BoldstreamError } from '../../errors.js';
import { PaceControl, type PaceState } from './pace-control.js';
import type { SourceItem } from './source.js';

export interface TimedItem {
  /** Seconds from the start of the run when the scanner produced it. */
  readonly at: number;
  /** Builds the item at release time (so `receivedAt` is the release time). */
  readonly make: (receivedAt: number) => SourceItem;
}

export function paced(items: AsyncIterable<TimedItem> | Iterable<TimedItem>, pace: number | PaceControl): Observable<SourceItem> {
  const control = typeof pace === 'number' ? new PaceControl(pace) : pace;
  return new Observable<SourceItem>((subscriber) => {
    let stopped = false;
    let timer: NodeJS.Timeout | null = null;
    let wake: (() => void) | null = null;
    // The timeline: run time `anchorRun` (s) was reached at wall time `anchorWall` (ms).
    let anchorWall = performance.now();
    let anchorRun: number | null = null;
    let lastReleased: number | null = null;
    let waitingFor: number | null = null;

    /** Run time reached at wall time `now` under `state`, never past the item being waited for. */
    const position = (state: PaceState, now: number): number | null => {
      if (anchorRun === null) return null;
      if (state.paused) return anchorRun;
      if (state.speed === 0) return lastReleased ?? anchorRun;
      const reached = anchorRun + ((now - anchorWall) / 1000) * state.speed;
      return Math.max(lastReleased ?? -Infinity, Math.min(reached, waitingFor ?? reached));
    };
    const unlisten = control.onChange((before) => {
      const now = performance.now();
      anchorRun = position(before, now);
      anchorWall = now;
      wake?.();
    });
    /** Sleeps `ms` (or until the next change when null); any change of pace ends the sleep early. */
    const rest = (ms: number | null): Promise<void> =>
      new Promise((resolve) => {
        wake = () => {
          wake = null;
          if (timer) clearTimeout(timer);
          timer = null;
          resolve();
        };
        if (ms !== null) timer = setTimeout(wake, ms);
      });
    const yieldNow = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

    (async () => {
      for await (const timed of items) {
        anchorRun ??= timed.at;
        waitingFor = timed.at;
        let yielded = false;
        for (;;) {
          if (stopped) return;
          const { paused, speed } = control.state;
          if (paused) {
            await rest(null);
            continue;
          }
          if (speed > 0) {
            const wait = anchorWall + ((timed.at - anchorRun) / speed) * 1000 - performance.now();
            if (wait > 0) {
              await rest(wait);
              continue;
            }
          } else if (!yielded) {
            // As fast as possible still lets sockets and timers in between volumes.
            yielded = true;
            await yieldNow();
            continue;
          }
          break;
        }
        lastReleased = timed.at;
        subscriber.next(timed.make(Date.now()));
      }
      subscriber.complete();
    })().catch((error: unknown) => subscriber.error(error));
    return () => {
      stopped = true;
      unlisten();
      wake?.();
    };
  });
}

/** `--speed` as people type it: a positive multiple of the TR, or `max`. */
export function parseSpeed(text: string | number | undefined, fallback = 1): number {
  if (text === undefined) return fallback;
  if (text === 'max' || text === 0 || text === '0') return 0;
  const value = typeof text === 'number' ? text : Number(text);
  if (!Number.isFinite(value) || value < 0) throw new BoldstreamError('CLI_USAGE', `speed is a multiple of the scanner's pace (1, 10, 0.5) or max (0 also means max), not "${String(text)}"`);
  return value;
}
