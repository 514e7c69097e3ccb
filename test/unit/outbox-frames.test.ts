import { describe, expect, it } from 'vitest';
import type { WireFrame } from '../../src/server/codec.js';
import { Outbox, type SocketLike } from '../../src/server/outbox.js';

/** A socket whose buffer is full until `open()`: what a slow client looks like from the server. */
class SlowSocket implements SocketLike {
  bufferedAmount = 10_000_000;
  readonly sent: string[] = [];
  send(data: WireFrame, cb: (error?: Error) => void): void {
    this.sent.push(String(data));
    cb();
  }
  open(outbox: Outbox): void {
    this.bufferedAmount = 0;
    outbox.push('nudge');
  }
}

describe('outbox: newest-only frames', () => {
  it('a slow client gets every record but only the newest frame of each key, and is not dropped for frames', () => {
    const socket = new SlowSocket();
    let failed: string | null = null;
    const outbox = new Outbox(socket, { queueLimit: 4, highWaterBytes: 1000, onFail: (r) => (failed = r) });
    outbox.push('record 0');
    for (let i = 0; i < 50; i++) outbox.pushLatest('frame:s1', `frame s1 #${i}`);
    outbox.pushLatest('frame:s2', 'frame s2 #0');
    outbox.push('record 1');
    expect(failed).toBeNull();
    socket.open(outbox);
    expect(socket.sent).toEqual(['record 0', 'record 1', 'nudge', 'frame s1 #49', 'frame s2 #0']);
    expect(outbox.superseded).toBe(49);
  });

  it('a client that keeps up gets every frame', () => {
    const socket = new SlowSocket();
    socket.bufferedAmount = 0;
    const outbox = new Outbox(socket, { queueLimit: 4, highWaterBytes: 1000, onFail: () => undefined });
    for (let i = 0; i < 3; i++) outbox.pushLatest('frame:s1', `frame #${i}`);
    expect(socket.sent).toEqual(['frame #0', 'frame #1', 'frame #2']);
  });
});
