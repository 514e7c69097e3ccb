/**
 * Session routes: list, start, inspect, stop, pace a replay, send a trial marker, and read the
 * recorded records.
 *
 *   GET  /sessions                 {sessions: SessionInfo[]}
 *   POST /sessions                 SessionSpec → 201 SessionInfo
 *   GET  /sessions/:id             SessionInfo (a running session, or a recording on disk)
 *   POST /sessions/:id/stop        SessionInfo once the session has ended
 *   POST /sessions/:id/events      EventMarker → 202 {ref: "event", session}
 *   POST /sessions/:id/pause       SessionInfo (a running replay, paused)
 *   POST /sessions/:id/resume      SessionInfo
 *   POST /sessions/:id/speed       SpeedChange {speed} → SessionInfo
 *   GET  /sessions/:id/records     the recorded records, JSON lines
 */
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { BoldstreamError } from '../../errors.js';
import type { EventMarker, SessionInfo, SessionSpec, SpeedChange } from '../../generated/boldstream.js';
import { recordingJson } from '../../record/json.js';
import { openRecording, type Recording } from '../../record/reader.js';
import { validBody } from '../body.js';
import type { Hub } from '../hub.js';
import { assertSafeName } from '../paths.js';
import { wireType } from '../schema.js';

interface IdParams {
  id: string;
}

const sessionSpec = wireType('SessionSpec');
const eventMarker = wireType('EventMarker');
const speedChange = wireType('SpeedChange');
/** Faster than this is what speed 0 (as fast as possible) is for. */
const MAX_SPEED = 1000;

export interface SessionRouteOptions {
  readonly hub: Hub;
  /** Largest session spec, bytes (a spec may carry mask files). */
  readonly bodyLimit: number;
}

/** A session the hub does not hold may still exist as a recording from an earlier run of the server. */
async function recordingOf(hub: Hub, id: string): Promise<Recording | undefined> {
  try {
    return await openRecording(hub.recordingDir(assertSafeName(id, 'session id')));
  } catch (error) {
    if (error instanceof BoldstreamError && error.code === 'INPUT_NOT_FOUND') return undefined;
    throw error;
  }
}

async function* jsonLines(recording: Recording | undefined): AsyncGenerator<string> {
  if (!recording) return;
  for await (const record of recording.records()) yield `${recordingJson(record)}\n`;
}

export async function sessionRoutes(app: FastifyInstance, options: SessionRouteOptions): Promise<void> {
  const { hub } = options;

  app.get('/sessions', async () => ({ sessions: hub.list() }));

  app.post('/sessions', { bodyLimit: options.bodyLimit }, async (request, reply) => {
    const spec = validBody(request, sessionSpec) as unknown as SessionSpec;
    const info = await hub.start(spec);
    return reply.status(201).send(info);
  });

  app.get<{ Params: IdParams }>('/sessions/:id', async (request): Promise<SessionInfo> => {
    const { id } = request.params;
    if (hub.has(id)) return hub.info(id);
    const recording = await recordingOf(hub, id);
    if (!recording) throw new BoldstreamError('SESSION_NOT_FOUND', id);
    return recording.info;
  });

  app.post<{ Params: IdParams }>('/sessions/:id/stop', async (request) => hub.stop(request.params.id));

  app.post<{ Params: IdParams }>('/sessions/:id/pause', async (request) => hub.pace(request.params.id, { paused: true }));
  app.post<{ Params: IdParams }>('/sessions/:id/resume', async (request) => hub.pace(request.params.id, { paused: false }));
  app.post<{ Params: IdParams }>('/sessions/:id/speed', async (request) => {
    const { speed } = validBody(request, speedChange) as unknown as SpeedChange;
    if (speed < 0 || speed > MAX_SPEED) throw new BoldstreamError('HTTP_BAD_REQUEST', `body.speed: expected 0 (as fast as possible) or a multiple of the scanner's pace up to ${MAX_SPEED}, got ${speed}`);
    return hub.pace(request.params.id, { speed });
  });

  app.post<{ Params: IdParams }>('/sessions/:id/events', async (request, reply) => {
    const event = validBody(request, eventMarker) as unknown as EventMarker;
    hub.addEvent(request.params.id, event);
    return reply.status(202).send({ ref: 'event', session: request.params.id });
  });

  app.get<{ Params: IdParams }>('/sessions/:id/records', async (request, reply) => {
    const { id } = request.params;
    const recording = await recordingOf(hub, id);
    if (!recording && !hub.has(id)) throw new BoldstreamError('SESSION_NOT_FOUND', id);
    return reply.type('application/x-ndjson').send(Readable.from(jsonLines(recording)));
  });
}
