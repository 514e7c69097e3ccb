/**
 * A client's bounded outgoing queue in front of its socket.
 *
 * Frames go straight to the socket while its own buffer (ws `bufferedAmount`) is below a high-water
 * mark; beyond it they wait here, and they move on as the socket reports frames written. Nothing is
 * ever dropped for a client that stays connected: when more than `queueLimit` frames wait, the client
 * is too slow to follow the session, and the owner is told to disconnect it (the pipeline never waits
 * for a client).
 *
 * Reconstruction frames are different: each one supersedes the last of its kind, so they wait in a
 * one-per-key slot (`pushLatest`) instead of the queue. A client that falls behind gets the newest
 * frame when its socket has room, never a backlog of stale ones, and never a disconnect for them.
 *
 * A stalled client is told apart from a slow one: while anything waits here, some write must complete
 * every `stalledMs`; a peer that has stopped reading (a frozen browser tab, a wedged network) lets none
 * complete and is handed to the owner to disconnect at that deadline, long before its queue would fill
 * at a few records per TR.
 */
import type { WireFrame } from './codec.js';

/** The part of a ws WebSocket the outbox needs (tests pass a fake that stops reading). */
export interface SocketLike {
  readonly bufferedAmount: number;
  send(data: WireFrame, cb: (error?: Error) => void): void;
}

export interface OutboxOptions {
  /** Frames that may wait beyond the socket buffer (config.server.clientQueueLimit). */
  readonly queueLimit: number;
  /** Bytes the socket may hold before frames wait here. */
  readonly highWaterBytes: number;
  /** Longest time, ms, frames may wait with no write completing before the client counts as stalled (default: never). */
  readonly stalledMs?: number;
  /** Called once when the queue overflows, the client stalls or the socket fails a write; the owner closes the connection. */
  readonly onFail: (reason: OutboxFailure) => void;
}

export type OutboxFailure = 'overflow' | 'stalled' | 'socket';

/** When the socket is full for a reason we did not cause (no write of ours pending), look again after this. */
const RETRY_MS = 20;

export class Outbox {
  private queue: WireFrame[] = [];
  /** The newest frame waiting per key (e.g. per session), sent after the queue when the socket has room. */
  private latest = new Map<string, WireFrame>();
  /** Frames replaced before they could be sent. */
  superseded = 0;
  private inFlight = 0;
  private closed = false;
  private retry: NodeJS.Timeout | undefined;
  private waiters: Array<() => void> = [];
  private pumping = false;
  private again = false;
  /** When a write last completed, or frames began to wait (ms, performance clock). */
  private progressAt = 0;
  private watchdog: NodeJS.Timeout | undefined;

  constructor(
    private readonly socket: SocketLike,
    private readonly options: OutboxOptions,
  ) {}

  /** Frames waiting beyond the socket buffer. */
  get backlog(): number {
    return this.queue.length;
  }

  /** Queues a frame; false when the outbox is closed or has just overflowed. */
  push(frame: WireFrame): boolean {
    if (this.closed) return false;
    this.queue.push(frame);
    if (this.queue.length > this.options.queueLimit) {
      this.close();
      this.options.onFail('overflow');
      return false;
    }
    this.pump();
    return true;
  }

  /** Queues a frame that replaces any frame of the same key still waiting; false when closed. */
  pushLatest(key: string, frame: WireFrame): boolean {
    if (this.closed) return false;
    if (this.latest.has(key)) this.superseded++;
    this.latest.set(key, frame);
    this.pump();
    return true;
  }

  /** Resolves once the backlog is down to a quarter of the limit, or the outbox is closed (catch-up paces itself on it). */
  drained(): Promise<void> {
    if (this.closed || this.queue.length <= this.lowWater()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  close(): void {
    this.closed = true;
    this.queue = [];
    this.latest.clear();
    if (this.retry) clearTimeout(this.retry);
    if (this.watchdog) clearTimeout(this.watchdog);
    this.wake();
  }

  private lowWater(): number {
    return Math.floor(this.options.queueLimit / 4);
  }

  private pump(): void {
    // A socket may call back synchronously (tests do); the flag keeps that from nesting pumps.
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    do {
      this.again = false;
      this.drain();
    } while (this.again);
    this.pumping = false;
    if (!this.closed && (this.queue.length > 0 || this.latest.size > 0) && this.inFlight === 0 && !this.retry) {
      this.retry = setTimeout(() => {
        this.retry = undefined;
        this.pump();
      }, RETRY_MS);
      this.retry.unref();
    }
    if (this.queue.length <= this.lowWater()) this.wake();
    if (!this.closed && this.waiting() && !this.watchdog) this.watch();
  }

  private waiting(): boolean {
    return this.queue.length > 0 || this.latest.size > 0;
  }

  /** Armed while frames wait; fires at the stall deadline unless a write completes first. */
  private watch(): void {
    const { stalledMs } = this.options;
    if (stalledMs === undefined) return;
    this.progressAt = performance.now();
    const check = (): void => {
      this.watchdog = undefined;
      if (this.closed || !this.waiting()) return;
      const idle = performance.now() - this.progressAt;
      if (idle >= stalledMs) {
        this.close();
        this.options.onFail('stalled');
        return;
      }
      this.watchdog = setTimeout(check, stalledMs - idle);
      this.watchdog.unref();
    };
    this.watchdog = setTimeout(check, stalledMs);
    this.watchdog.unref();
  }

  private drain(): void {
    while (!this.closed && (this.queue.length > 0 || this.latest.size > 0) && this.socket.bufferedAmount < this.options.highWaterBytes) {
      // Records first (every one must arrive, in order); then the newest frame of each key.
      let frame: WireFrame;
      if (this.queue.length > 0) frame = this.queue.shift()!;
      else {
        const [key, newest] = this.latest.entries().next().value!;
        this.latest.delete(key);
        frame = newest;
      }
      this.inFlight++;
      try {
        this.socket.send(frame, (error) => this.sent(error));
      } catch {
        this.sent(new Error('socket refused the frame'));
      }
    }
  }

  private sent(error: Error | undefined): void {
    this.inFlight--;
    if (this.closed) return;
    if (error) {
      this.close();
      this.options.onFail('socket');
      return;
    }
    this.progressAt = performance.now();
    this.pump();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}
