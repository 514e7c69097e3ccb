/**
 * Records one session as it runs (layout.ts draws the folder): the volumes as received, the trial
 * markers, the output records, and the spec and state in session.json.
 *
 * Appends return at once and are written in the background in call order; a disk problem never
 * reaches the pipeline as an exception but as one RECORDING_FAILED given to `onError` (the session
 * reports it as a warning and keeps running), and again from `close()`.
 */
import { access, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { BoldstreamError } from '../errors.js';
import type { EventMarker, SessionInfo, SessionSpec } from '../generated/boldstream.js';
import type { SessionRecord } from '../session/types.js';
import type { Volume } from '../volume.js';
import { Appender } from './appender.js';
import { writeFileAtomic } from './atomic.js';
import { recordingJson } from './json.js';
import { SESSION_FORMAT, SESSION_FORMAT_VERSION, VOLUMES_MAGIC, recordingFiles } from './layout.js';
import { volumeToFrame } from './volume-frame.js';

export interface RecorderOptions {
  /** fsync each file at most this often, in ms (and always on close). */
  readonly fsyncIntervalMs?: number;
  /** Told once, on the first write that fails. */
  readonly onError?: (error: BoldstreamError) => void;
}

export type RecordedSpec = SessionSpec & { id: string };

export function initialInfo(spec: RecordedSpec, startedAt = Date.now()): SessionInfo {
  return {
    id: spec.id,
    state: 'starting',
    source: spec.source,
    records: 0,
    masks: spec.masks.map((m) => m.name),
    startedAt,
    ...(spec.model !== undefined ? { model: spec.model } : {}),
    ...(spec.repetitionTime !== undefined ? { repetitionTime: spec.repetitionTime } : {}),
  };
}

export class Recorder {
  private infoNow: SessionInfo;
  private sessionWrite: Promise<void> = Promise.resolve();
  private failure: BoldstreamError | undefined;
  private closed = false;

  private constructor(
    readonly dir: string,
    private readonly spec: RecordedSpec,
    private readonly files: { volumes: Appender; events: Appender; records: Appender },
    private readonly onError: ((error: BoldstreamError) => void) | undefined,
  ) {
    this.infoNow = initialInfo(spec);
  }

  /** Creates `dir` and its files; SESSION_EXISTS when `dir` already holds a recording. */
  static async create(dir: string, spec: RecordedSpec, options: RecorderOptions = {}): Promise<Recorder> {
    await mkdir(dir, { recursive: true });
    const exists = await access(path.join(dir, recordingFiles.session)).then(() => true, () => false);
    if (exists) throw new BoldstreamError('SESSION_EXISTS', `${dir} already holds a recording`);
    const interval = options.fsyncIntervalMs ?? 1000;
    let recorder: Recorder | undefined;
    const failed = (error: Error) => recorder?.fail(error);
    try {
      const files = {
        volumes: await Appender.create(path.join(dir, recordingFiles.volumes), interval, failed, VOLUMES_MAGIC),
        events: await Appender.create(path.join(dir, recordingFiles.events), interval, failed),
        records: await Appender.create(path.join(dir, recordingFiles.records), interval, failed),
      };
      recorder = new Recorder(dir, spec, files, options.onError);
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code === 'EEXIST' ? 'SESSION_EXISTS' : 'RECORDING_FAILED';
      throw new BoldstreamError(code, `${dir}: ${(cause as Error).message}`, { cause });
    }
    await recorder.update(recorder.infoNow);
    if (recorder.failure) throw recorder.failure;
    return recorder;
  }

  get info(): SessionInfo {
    return this.infoNow;
  }

  /** The first write failure, if any. */
  get error(): BoldstreamError | undefined {
    return this.failure;
  }

  appendVolume(volume: Volume): void {
    const payload = volumeToFrame(volume);
    const frame = Buffer.allocUnsafe(4 + payload.byteLength);
    frame.writeUInt32LE(payload.byteLength, 0);
    frame.set(payload, 4);
    this.files.volumes.append(frame);
  }

  appendEvent(event: EventMarker, receivedAt = Date.now()): void {
    this.files.events.append(`${recordingJson({ ...event, receivedAt })}\n`);
  }

  /** Records in the order the session emits them: the hub's catch-up relies on it. */
  appendRecord(record: SessionRecord): void {
    this.files.records.append(`${recordingJson(record)}\n`);
    this.infoNow = { ...this.infoNow, records: this.infoNow.records + 1 };
  }

  /** Rewrites session.json atomically; calls are applied in order. */
  update(info: SessionInfo): Promise<void> {
    this.infoNow = info;
    const text = `${recordingJson({ format: SESSION_FORMAT, version: SESSION_FORMAT_VERSION, spec: this.spec, info })}\n`;
    const file = path.join(this.dir, recordingFiles.session);
    this.sessionWrite = this.sessionWrite.then(() => writeFileAtomic(file, text)).catch((error: Error) => this.fail(error));
    return this.sessionWrite;
  }

  /** Resolves when every append so far has been handed to the kernel. */
  async flush(): Promise<void> {
    await Promise.all([this.files.volumes.flush(), this.files.events.flush(), this.files.records.flush(), this.sessionWrite]);
  }

  /** Writes the final info (when given), syncs and closes every file; throws the first write failure. */
  async close(info?: SessionInfo): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      if (info) void this.update(info);
      await Promise.all([this.files.volumes.close(), this.files.events.close(), this.files.records.close(), this.sessionWrite]);
    }
    if (this.failure) throw this.failure;
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = new BoldstreamError('RECORDING_FAILED', `${this.dir}: ${error.message}`, { cause: error });
    this.onError?.(this.failure);
  }
}
