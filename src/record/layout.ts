/**
 * What a session recording looks like on disk, one folder per session under config.recordingsDir:
 *
 *   <recordingsDir>/<session id>/
 *     session.json    spec + info, rewritten whole (tmp file + rename) on every state change
 *     volumes.bin     the volumes as received: MAGIC, then frames of [uint32 LE length][msgpack]
 *     events.jsonl    trial markers, one JSON object per line, with the server time they arrived
 *     records.jsonl   the output records, exactly as sent to clients, in TR order
 *     masks/<name>.nii.gz  the ROI masks the session used (inputs.ts), so a recording replays alone
 *     model/          the model bundle the session decoded with, if any
 *     feature-model/  the feature bundle the session reconstructed with, if any (bundle.json + arrays.bin)
 *
 * Everything but session.json is append-only, so a crash can only tear the last entry of a file;
 * the reader (reader.ts) stops before a torn tail and says so.
 */
import path from 'node:path';
import { BoldstreamError } from '../errors.js';

export const recordingFiles = {
  session: 'session.json',
  volumes: 'volumes.bin',
  events: 'events.jsonl',
  records: 'records.jsonl',
  masks: 'masks',
  model: 'model',
  featureModel: 'feature-model',
} as const;

/** Eight bytes at the head of volumes.bin: the format and its version. */
export const VOLUMES_MAGIC = Buffer.from('BSVOLS1\n', 'latin1');

/** session.json names its format so that a reader can refuse a folder that is something else. */
export const SESSION_FORMAT = 'boldstream-recording';
export const SESSION_FORMAT_VERSION = 1;

/** The folder of one session's recording; the id must be a plain name (never a path). */
export function recordingDir(recordingsDir: string, sessionId: string): string {
  const root = path.resolve(recordingsDir);
  const dir = path.resolve(root, sessionId);
  if (path.dirname(dir) !== root || !/^[A-Za-z0-9._-]{1,64}$/.test(sessionId) || /^\.{1,2}$/.test(sessionId)) {
    throw new BoldstreamError('PATH_OUTSIDE_DATA', `session id ${JSON.stringify(sessionId)} is not a plain name`);
  }
  return dir;
}
