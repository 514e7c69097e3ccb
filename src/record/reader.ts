/**
 * Reads a session recording back (layout.ts draws the folder). Each file is read up to its last
 * complete entry: a torn tail left by a crash mid-write is skipped and listed in `damage` with
 * RECORDING_TRUNCATED, so a replay of a crashed session gets everything that was whole.
 */
import { open, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { BoldstreamError, warning, type Warning } from '../errors.js';
import type { EventMarker, SessionInfo } from '../generated/boldstream.js';
import type { SessionRecord } from '../session/types.js';
import type { Volume } from '../volume.js';
import { SESSION_FORMAT, VOLUMES_MAGIC, recordingFiles } from './layout.js';
import type { RecordedSpec } from './recorder.js';
import { framesTail, jsonlTail, type Tail } from './tails.js';
import { volumeFromFrame } from './volume-frame.js';

export type RecordedVolume = Volume;
export type RecordedEvent = EventMarker & { receivedAt: number };

export interface RecordingDamage {
  readonly file: string;
  /** Where the torn entry starts, in bytes. */
  readonly offset: number;
  readonly bytes: number;
  readonly warning: Warning;
}

export interface Recording {
  readonly dir: string;
  readonly spec: RecordedSpec;
  readonly info: SessionInfo;
  /** Torn tails found on opening; the readers below stop before them. Empty for a clean recording. */
  readonly damage: readonly RecordingDamage[];
  volumes(): AsyncIterable<RecordedVolume>;
  events(): AsyncIterable<RecordedEvent>;
  records(): AsyncIterable<SessionRecord>;
}

const invalid = (dir: string, detail: string, cause?: unknown) => new BoldstreamError('RECORDING_INVALID', `${dir}: ${detail}`, { cause });

async function readSession(dir: string): Promise<{ spec: RecordedSpec; info: SessionInfo }> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path.join(dir, recordingFiles.session), 'utf8'));
  } catch (cause) {
    throw invalid(dir, `${recordingFiles.session} is missing or unreadable`, cause);
  }
  const doc = parsed as { format?: unknown; spec?: RecordedSpec; info?: SessionInfo };
  if (doc.format !== SESSION_FORMAT || typeof doc.spec !== 'object' || typeof doc.info !== 'object') {
    throw invalid(dir, `${recordingFiles.session} is not a ${SESSION_FORMAT} file`);
  }
  // Mask files travel as base64 in JSON, as on the JSON wire.
  const masks = (doc.spec.masks ?? []).map((m) => (typeof m.nifti === 'string' ? { ...m, nifti: new Uint8Array(Buffer.from(m.nifti, 'base64')) } : m));
  return { spec: { ...doc.spec, masks }, info: doc.info };
}

async function tailOf(file: string, kind: 'frames' | 'jsonl'): Promise<Tail> {
  const size = await stat(file).then((s) => s.size, () => -1);
  if (size < 0) return { end: 0, torn: 0 };
  const handle = await open(file, 'r');
  try {
    if (kind === 'jsonl') return await jsonlTail(handle, size);
    const tail = await framesTail(handle, size);
    if (!tail.magicOk) throw new BoldstreamError('RECORDING_INVALID', `${file} does not start with the volume log header`);
    return tail;
  } finally {
    await handle.close();
  }
}

async function* frames(file: string, end: number): AsyncGenerator<RecordedVolume> {
  if (end === 0) return;
  const handle = await open(file, 'r');
  try {
    const prefix = Buffer.alloc(4);
    for (let pos = VOLUMES_MAGIC.length, n = 0; pos < end; n++) {
      await handle.read(prefix, 0, 4, pos);
      const payload = Buffer.alloc(prefix.readUInt32LE(0));
      await handle.read(payload, 0, payload.length, pos + 4);
      yield volumeFromFrame(payload, `${file} frame ${n}`);
      pos += 4 + payload.length;
    }
  } finally {
    await handle.close();
  }
}

async function* lines<T>(file: string, end: number): AsyncGenerator<T> {
  if (end === 0) return;
  const handle = await open(file, 'r');
  try {
    let carry = Buffer.alloc(0);
    let lineNo = 0;
    for await (const chunk of handle.createReadStream({ start: 0, end: end - 1, autoClose: false })) {
      let data = Buffer.concat([carry, chunk as Buffer]);
      for (let nl = data.indexOf(0x0a); nl >= 0; nl = data.indexOf(0x0a)) {
        const text = data.subarray(0, nl).toString('utf8');
        data = data.subarray(nl + 1);
        lineNo++;
        if (text.trim() === '') continue;
        try {
          yield JSON.parse(text) as T;
        } catch (cause) {
          throw new BoldstreamError('RECORDING_INVALID', `${file} line ${lineNo} is not JSON`, { cause });
        }
      }
      carry = data;
    }
  } finally {
    await handle.close();
  }
}

/** What session.json says of a recording (spec and last info), without looking at its other files. */
export async function readRecordingSession(dir: string): Promise<{ spec: RecordedSpec; info: SessionInfo }> {
  return readSession(dir);
}

/** INPUT_NOT_FOUND when `dir` does not exist; RECORDING_INVALID when it is not a recording. */
export async function openRecording(dir: string): Promise<Recording> {
  const folder = await stat(dir).catch(() => undefined);
  if (!folder?.isDirectory()) throw new BoldstreamError('INPUT_NOT_FOUND', dir);
  const { spec, info } = await readSession(dir);
  const file = (name: string) => path.join(dir, name);
  const tails = {
    volumes: await tailOf(file(recordingFiles.volumes), 'frames'),
    events: await tailOf(file(recordingFiles.events), 'jsonl'),
    records: await tailOf(file(recordingFiles.records), 'jsonl'),
  };
  const damage: RecordingDamage[] = [];
  for (const [key, tail] of Object.entries(tails)) {
    if (tail.torn === 0) continue;
    const name = recordingFiles[key as keyof typeof tails];
    damage.push({ file: name, offset: tail.end, bytes: tail.torn, warning: warning('RECORDING_TRUNCATED', `${name}: ${tail.torn} bytes after offset ${tail.end} skipped`) });
  }
  return {
    dir,
    spec,
    info,
    damage,
    volumes: () => frames(file(recordingFiles.volumes), tails.volumes.end),
    events: () => lines<RecordedEvent>(file(recordingFiles.events), tails.events.end),
    records: () => lines<SessionRecord>(file(recordingFiles.records), tails.records.end),
  };
}
