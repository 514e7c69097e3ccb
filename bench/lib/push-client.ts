/**
 * A scanner-side client session against a running server: subscribes, starts a push session with the
 * amygdala ROI, pushes rt-cloud volumes (looped in order, TR indices counting on) and notes when each
 * push left, was acknowledged, and came back as a record.
 *
 * TR 0 (reference set-up) is always awaited before the rest. Then either a fixed pace (`paceMs`: a
 * push every paceMs, whatever the server is doing, as a scanner would) or closed loop (`paceMs` null:
 * the next push as soon as the previous record is back).
 */
import { readFile } from 'node:fs/promises';
import { BoldstreamClient } from '../../src/client/client.js';
import type { TrRecord } from '../../src/generated/boldstream.js';
import { isErrorRecord } from '../../src/session/types.js';
import { rtcloud, rtcloudVolumes, toPush } from './data.js';

export interface PushRun {
  /** performance.now() just before each push, by TR. */
  readonly sent: Map<number, number>;
  /** The same instant as epoch ms, to compare with the record's `receivedAt` (server clock, same machine). */
  readonly sentEpoch: Map<number, number>;
  readonly acked: Map<number, number>;
  readonly arrived: Map<number, { readonly at: number; readonly record: TrRecord }>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

export async function pushSession(url: string, id: string, count: number, paceMs: number | null): Promise<PushRun> {
  const volumes = await rtcloudVolumes();
  const mask = new Uint8Array(await readFile(rtcloud.amygdala()));
  const run: PushRun = { sent: new Map(), sentEpoch: new Map(), acked: new Map(), arrived: new Map() };
  const waiters = new Map<number, () => void>();
  const recordOf = (tr: number): Promise<void> => new Promise((resolve) => (run.arrived.has(tr) ? resolve() : waiters.set(tr, resolve)));
  let ended!: () => void;
  const finished = new Promise<void>((resolve) => (ended = resolve));
  let failure: Error | null = null;
  const client = await BoldstreamClient.connect(url, {
    onRecord: (_session, record) => {
      const at = performance.now();
      if (isErrorRecord(record)) failure ??= new Error(`TR ${record.tr}: ${record.error.code} ${record.error.message}`);
      else run.arrived.set(record.tr, { at, record });
      waiters.get(record.tr)?.();
    },
    onStatus: (info) => (info.id === id && (info.state === 'ended' || info.state === 'failed') ? ended() : undefined),
  });
  const push = (tr: number): Promise<void> => {
    const message = toPush(id, tr, volumes[tr % volumes.length]!);
    const now = performance.now();
    run.sent.set(tr, now);
    run.sentEpoch.set(tr, performance.timeOrigin + now);
    return client.push(message).then(() => void run.acked.set(tr, performance.now()));
  };
  try {
    await client.subscribe(id);
    await client.start({ id, source: { kind: 'push' }, masks: [{ name: 'amygdala', nifti: mask }], events: [], repetitionTime: rtcloud.repetitionTime });
    await Promise.all([push(0), recordOf(0)]);
    const pushes: Promise<void>[] = [];
    const start = performance.now();
    for (let tr = 1; tr < count && !failure; tr++) {
      if (paceMs === null) await Promise.all([push(tr), recordOf(tr)]);
      else {
        await sleep(start + (tr - 1) * paceMs - performance.now());
        pushes.push(push(tr));
      }
    }
    await Promise.all(pushes);
    await client.end(id);
    await finished;
  } finally {
    client.close();
  }
  if (failure) throw failure;
  return run;
}
