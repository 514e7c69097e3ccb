/**
 * The outbox tells a stalled client (no write completes while frames wait) from a slow one (writes
 * complete, late): only the first is handed over to be disconnected at the deadline, and the queue
 * bound holds whatever happens.
 */
import { describe, expect, it } from 'vitest';
import type { WireFrame } from '../../src/server/codec.js';
import { Outbox, type OutboxFailure, type SocketLike } from '../../src/server/outbox.js';

/** A socket that takes frames but completes a write only when told to, like a peer that may stop reading. */
class HeldSocket implements SocketLike {
  bufferedAmount = 0;
  readonly pending: Array<(error?: Error) => void> = [];
  readonly sent: string[] = [];
  send(data: WireFrame, cb: (error?: Error) => void): void {
    this.sent.push(String(data));
    this.bufferedAmount += 100;
    this.pending.push(() => {
      this.bufferedAmount -= 100;
      cb();
    });
  }
  /** The peer reads one frame. */
  complete(): void {
    this.pending.shift()?.();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('outbox: stalled clients', () => {
  it('hands over a client whose socket completes no write for stalledMs while frames wait', async () => {
    const socket = new HeldSocket();
    const failures: OutboxFailure[] = [];
    const outbox = new Outbox(socket, { queueLimit: 100, highWaterBytes: 150, stalledMs: 60, onFail: (r) => failures.push(r) });
    for (let i = 0; i < 5; i++) outbox.push(`record ${i}`);
    expect(socket.sent).toEqual(['record 0', 'record 1']);
    expect(outbox.backlog).toBe(3);
    await sleep(120);
    expect(failures).toEqual(['stalled']);
    expect(outbox.push('record 5')).toBe(false);
  });

  it('keeps a slow client that makes progress within the deadline, and one with nothing waiting', async () => {
    const socket = new HeldSocket();
    const failures: OutboxFailure[] = [];
    const outbox = new Outbox(socket, { queueLimit: 100, highWaterBytes: 150, stalledMs: 300, onFail: (r) => failures.push(r) });
    for (let i = 0; i < 8; i++) outbox.push(`record ${i}`);
    // One frame read every 30 ms: slow, but never 300 ms without progress.
    for (let i = 0; i < 8; i++) {
      await sleep(30);
      socket.complete();
    }
    expect(failures).toEqual([]);
    expect(socket.sent).toEqual(Array.from({ length: 8 }, (_, i) => `record ${i}`));
    // Nothing waits now: a client that is merely idle is never stalled.
    while (socket.pending.length > 0) socket.complete();
    await sleep(400);
    expect(failures).toEqual([]);
  });

  it('counts newest-only frames as waiting too, and never lets the queue pass its bound', async () => {
    const socket = new HeldSocket();
    socket.bufferedAmount = 1_000;
    const failures: OutboxFailure[] = [];
    const outbox = new Outbox(socket, { queueLimit: 3, highWaterBytes: 150, stalledMs: 60, onFail: (r) => failures.push(r) });
    for (let i = 0; i < 20; i++) outbox.pushLatest('frame:s', `frame ${i}`);
    expect(outbox.superseded).toBe(19);
    await sleep(120);
    expect(failures).toEqual(['stalled']);

    const bounded = new Outbox(socket, { queueLimit: 3, highWaterBytes: 150, onFail: (r) => failures.push(r) });
    expect([1, 2, 3].map((i) => bounded.push(`r${i}`))).toEqual([true, true, true]);
    expect(bounded.backlog).toBe(3);
    expect(bounded.push('r4')).toBe(false);
    expect(failures).toEqual(['stalled', 'overflow']);
    expect(bounded.backlog).toBe(0);
  });
});
