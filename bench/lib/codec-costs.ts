/**
 * Where a pushed volume's time goes outside the pipeline: the same functions the client and the
 * server call, timed one by one on an rt-cloud volume in this process. Their sum beside the measured
 * (client − server total) gap tells codec from socket.
 */
import type { TrRecord } from '../../src/generated/boldstream.js';
import { volumeFromPush } from '../../src/ingest/sources/push.js';
import { volumeToFrame } from '../../src/record/volume-frame.js';
import { decodeClientMessage, decodeServerMessage, encodeClientMessage, encodeServerMessage } from '../../src/server/codec.js';
import type { Volume } from '../../src/volume.js';
import { toPush } from './data.js';
import { dist, type Row } from './report.js';

export function codecRows(volume: Omit<Volume, 'receivedAt'>, record: TrRecord, samples: number): Row[] {
  const push = toPush('bench', 1, volume);
  const frame = encodeClientMessage({ type: 'volume', ...push }, 'msgpack');
  const recordFrame = encodeServerMessage({ type: 'record', session: 'bench', record }, 'msgpack');
  const steps: [string, () => unknown][] = [
    ['client: encode volume message (msgpack)', () => encodeClientMessage({ type: 'volume', ...push }, 'msgpack')],
    ['server: decode + validate volume message', () => decodeClientMessage(frame as Uint8Array, 'msgpack')],
    ['server: push → Volume (volumeFromPush)', () => volumeFromPush(push, Date.now(), 'push:bench')],
    ['server: recorder frame of the volume', () => volumeToFrame({ ...volume, receivedAt: Date.now() })],
    ['server: encode record message', () => encodeServerMessage({ type: 'record', session: 'bench', record }, 'msgpack')],
    ['client: decode record message', () => decodeServerMessage(recordFrame as Uint8Array, 'msgpack')],
  ];
  return steps.map(([label, step]) => {
    const times: number[] = [];
    for (let i = 0; i < samples + 5; i++) {
      const t0 = performance.now();
      step();
      if (i >= 5) times.push(performance.now() - t0);
    }
    return dist(`  ${label}`, 'ms', times);
  });
}
