/**
 * Catch-up for a subscriber that asks for records from `fromTr`: first what the recording has on
 * disk, then what the hub still holds in memory (the recorder may not have written the newest
 * records yet), then what arrived live while this ran. Records are in strictly increasing TR order
 * (the record contract), so "send only TRs above the last one sent" joins the three without
 * duplicates; the memory snapshot is taken before the first await so that nothing falls between.
 */
import type { Logger } from 'pino';
import { asBoldstreamError } from '../errors.js';
import type { TrRecord } from '../generated/boldstream.js';
import { openRecording } from '../record/reader.js';
import type { HubSubscriber } from './client.js';
import { Outgoing } from './outgoing.js';

/** One message waiting for a subscriber; `tr` is set for records (statuses have none). */
export interface Queued {
  readonly tr?: number;
  readonly out: Outgoing;
}

/** A subscriber's progress in one session. While `pending` is set, live messages wait in it. */
export interface Delivery {
  lastTr: number;
  pending: Queued[] | null;
}

export interface CatchUpJob {
  readonly sessionId: string;
  readonly recordingDir: string;
  readonly history: readonly Queued[];
  readonly subscriber: HubSubscriber;
  readonly delivery: Delivery;
  /** Pause for the subscriber's outbox above this backlog (catch-up must not overflow it by itself). */
  readonly pauseAbove: number;
  /** False once the subscriber has unsubscribed or gone; catch-up then stops quietly. */
  readonly stillWanted: () => boolean;
  readonly logger: Logger;
}

async function offer(job: CatchUpJob, item: Queued): Promise<boolean> {
  const { delivery, subscriber } = job;
  if (item.tr !== undefined) {
    if (item.tr <= delivery.lastTr) return true;
    delivery.lastTr = item.tr;
  }
  if (!subscriber.send(item.out)) return false;
  if (subscriber.backlog > job.pauseAbove) await subscriber.drained();
  return job.stillWanted();
}

export async function catchUp(job: CatchUpJob): Promise<void> {
  const { delivery, sessionId } = job;
  const snapshot = job.history.slice();
  try {
    const recording = await openRecording(job.recordingDir).catch(() => undefined);
    if (recording) {
      for await (const record of recording.records()) {
        if (!job.stillWanted()) return;
        if (record.tr <= delivery.lastTr) continue;
        const out = new Outgoing({ type: 'record', session: sessionId, record: record as TrRecord });
        if (!(await offer(job, { tr: record.tr, out }))) return;
      }
    }
    for (const item of snapshot) if (!(await offer(job, item))) return;
    // Live messages that arrived meanwhile; more may arrive while we pause, hence the loop.
    while (delivery.pending && delivery.pending.length > 0) {
      const batch = delivery.pending;
      delivery.pending = [];
      for (const item of batch) if (!(await offer(job, item))) return;
    }
    delivery.pending = null;
  } catch (error) {
    job.logger.warn({ err: error, session: sessionId }, 'catch-up failed');
    job.subscriber.close(asBoldstreamError(error));
  }
}
