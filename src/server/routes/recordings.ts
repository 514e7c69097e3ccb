/**
 * Recordings from this and earlier runs of the server, for the viewer's session picker.
 *
 *   GET /recordings     {recordings: SessionInfo[]}, newest first, at most 200
 *
 * Each recording's records are read with GET /sessions/:id/records, and a recording replays as a new
 * session with `source: {kind: "recording", path: <id>}`.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { SessionInfo } from '../../generated/boldstream.js';
import { readRecordingSession } from '../../record/index.js';
import { safeNamePattern } from '../paths.js';

const MAX_LISTED = 200;

export async function listRecordings(recordingsDir: string): Promise<SessionInfo[]> {
  const entries = await readdir(recordingsDir, { withFileTypes: true }).catch(() => []);
  const infos = await Promise.all(
    entries
      .filter((e) => e.isDirectory() && safeNamePattern.test(e.name))
      // A folder that is not a recording (or one being created) is simply not listed.
      .map((e) => readRecordingSession(path.join(recordingsDir, e.name)).then((r) => r.info, () => null)),
  );
  return infos
    .filter((info): info is SessionInfo => info !== null)
    .sort((a, b) => b.startedAt - a.startedAt)
    .slice(0, MAX_LISTED);
}

export async function recordingRoutes(app: FastifyInstance, options: { recordingsDir: string }): Promise<void> {
  app.get('/recordings', async () => ({ recordings: await listRecordings(options.recordingsDir) }));
}
