/**
 * Replay pacing: items are released at their run time divided by `speed` (speed 1 = the scanner's
 * own pace; 0 = as fast as possible). Each volume is stamped `receivedAt` when it is released, as a
 * live export would be, so replays and live runs go through the same code from here on.
 */
import { Observable } from 'rxjs';
import { BoldstreamError } from '../../errors.js';
import type { SourceItem } from './source.js';

export interface TimedItem {
  /** Seconds from the start of the run when the scanner produced it. */
  readonly at: number;
  /** Builds the item at release time (so `receivedAt` is the release time). */
  readonly make: (receivedAt: number) => SourceItem;
}

/** How many items a max-speed replay releases before yielding to the event loop (sockets, timers). */
const MAX_SPEED_BATCH = 1;

export function paced(items: AsyncIterable<TimedItem> | Iterable<TimedItem>, speed: number): Observable<SourceItem> {
  return new Observable<SourceItem>((subscriber) => {
    let stopped = false;
    let timer: NodeJS.Timeout | null = null;
    const sleep = (ms: number): Promise<void> => new Promise((resolve) => (timer = setTimeout(resolve, ms)));
    const yieldNow = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
    (async () => {
      const startWall = performance.now();
      let first: number | null = null;
      let released = 0;
      for await (const timed of items) {
        if (stopped) return;
        first ??= timed.at;
        if (speed > 0) {
          const due = startWall + ((timed.at - first) / speed) * 1000;
          const wait = due - performance.now();
          if (wait > 0) await sleep(wait);
        } else if (++released % MAX_SPEED_BATCH === 0) {
          await yieldNow();
        }
        if (stopped) return;
        subscriber.next(timed.make(Date.now()));
      }
      subscriber.complete();
    })().catch((error: unknown) => subscriber.error(error));
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
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
