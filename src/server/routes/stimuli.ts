/**
 * The true stimulus of a trial, for the viewer to show beside the reconstruction.
 *
 *   GET /sessions/:id/stimuli/<stim_file>    the image (stimuli.ts says where it is looked for)
 *
 * For a session replaying a recording, the recording's own source is where the stimuli are.
 */
import { readFile } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { BoldstreamError } from '../../errors.js';
import { readRecordingSession } from '../../record/index.js';
import type { Hub } from '../hub.js';
import { assertSafeName } from '../paths.js';
import { findStimulus } from '../stimuli.js';

export interface StimulusRouteOptions {
  readonly hub: Hub;
  readonly dataRoots: readonly string[];
}

const MAX_RECORDING_HOPS = 16;

/** The source path a session (or a recording of an earlier run) read from, followed through recordings. */
async function sourcePath(hub: Hub, id: string): Promise<string | undefined> {
  const recorded = async (dir: string) => (await readRecordingSession(dir).catch(() => null))?.spec.source;
  let source = hub.has(id) ? hub.info(id).source : await recorded(hub.recordingDir(assertSafeName(id, 'session id')));
  if (!source) throw new BoldstreamError('SESSION_NOT_FOUND', id);
  // A replayed recording: its spec names the run it was made from, which may itself be a recording (a
  // replay of a replay of …). Followed to the first source that is not a recording; the bound only
  // guards against session.json files edited by hand into a loop.
  for (let hop = 0; hop < MAX_RECORDING_HOPS && source?.kind === 'recording' && source.path; hop++) source = await recorded(source.path);
  return source?.kind === 'recording' ? undefined : source?.path;
}

export async function stimulusRoutes(app: FastifyInstance, options: StimulusRouteOptions): Promise<void> {
  app.get<{ Params: { id: string; '*': string } }>('/sessions/:id/stimuli/*', async (request, reply) => {
    const { file, type } = await findStimulus(await sourcePath(options.hub, request.params.id), request.params['*'], options.dataRoots);
    return reply.type(type).header('cache-control', 'max-age=3600').send(await readFile(file));
  });
}
