/**
 * Records one session as it runs (layout.ts draws the folder): the volumes as received, the trial
 * markers, the output records, and the spec and state in session.json.
 *
 * Appends return at once and are written in the background in call order; a disk problem never
 * reaches the pipeline as an exception but as one RECORDING_FAILED given to `onError` (the session
 * reports it as a warning and keeps running), and again from `close()`.
 */
import { access, mkdir, open as openFile, stat, truncate } from 'node:fs/promises';
import path from 'node:path';
import { BoldstreamError } from '../errors.js';
import type { EventMarker, SessionInfo, SessionSpec } from '../generated/boldstream.js';
import type { SessionRecord } from '../session/types.js';
import type { Volume } from '../volume.js';
import { Appender } from './appender.js';
import { writeFileAtomic } from './atomic.js';
import { recordingJson } from './json.js';
import { SESSION_FORMAT, SESSION_FORMAT_VERSION, VOLUMES_MAGIC, recordingFiles } from './layout.js';
import { readRecordingSession } from './reader.js';
import { framesTail, jsonlTail } from './tails.js';
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

  /**
   * Opens the recording of an interrupted session to append to it (docs/durability.md): each
   * append-only file is first cut back to its last complete entry, so that what is appended next is
   * read back after what came before. session.json keeps its spec; `info` is what it last said.
   */
  static async reopen(dir: string, options: RecorderOptions = {}): Promise<Recorder> {
    const { spec, info } = await readRecordingSession(dir);
    const interval = options.fsyncIntervalMs ?? 1000;
    let recorder: Recorder | undefined;
    const failed = (error: Error) => recorder?.fail(error);
    try {
      const file = (name: string) => path.join(dir, name);
      await cutTornTail(file(recordingFiles.volumes), 'frames');
      await cutTornTail(file(recordingFiles.events), 'jsonl');
      await cutTornTail(file(recordingFiles.records), 'jsonl');
      const files = {
        volumes: await Appender.reopen(file(recordingFiles.volumes), interval, failed),
        events: await Appender.reopen(file(recordingFiles.events), interval, failed),
        records: await Appender.reopen(file(recordingFiles.records), interval, failed),
      };
      // A crash before the first volume leaves volumes.bin without its header.
      if ((await stat(file(recordingFiles.volumes))).size === 0) files.volumes.append(VOLUMES_MAGIC);
      recorder = new Recorder(dir, spec, files, options.onError);
    } catch (cause) {
      throw new BoldstreamError('RECORDING_FAILED', `${dir}: ${(cause as Error).message}`, { cause });
    }
    recorder.infoNow = info;
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

  /** Resolves when every volume appended so far has been handed to the kernel (a push is acknowledged then). */
  volumesWritten(): Promise<void> {
    return this.files.volumes.flush();
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

/** Cuts a file back to its last complete entry (a missing file is made empty). */
async function cutTornTail(file: string, kind: 'frames' | 'jsonl'): Promise<void> {
  const size = await stat(file).then((s) => s.size, () => -1);
  if (size < 0) {
    await (await openFile(file, 'a')).close();
    return;
  }
  const handle = await openFile(file, 'r');
  let end: number;
  try {
    const tail = kind === 'jsonl' ? await jsonlTail(handle, size) : await framesTail(handle, size);
    if ('magicOk' in tail && !tail.magicOk) throw new BoldstreamError('RECORDING_INVALID', `${file} does not start with the volume log header`);
    end = tail.end;
  } finally {
    await handle.close();
  }
  if (end < size) await truncate(file, end);
}

/**
 * Closes the recording of a session that was running when the server died and will not go on:
 * torn tails are cut, and session.json says `failed` with the error given (SESSION_INTERRUPTED).
 */
export async function closeInterrupted(dir: string, error: BoldstreamError): Promise<void> {
  const recorder = await Recorder.reopen(dir);
  await recorder.close({ ...recorder.info, state: 'failed', error: error.toJSON(), endedAt: Date.now() });
}
