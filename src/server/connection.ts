/**
 * One WebSocket connection, from welcome to close. The socket boundary is a wall:
 *   error handler first ─► negotiate (URL) ─► welcome ─► per message: rate limit ─► decode and
 *   validate ─► the caller's role allows it ─► act (in arrival order) ─► ack
 * Anything wrong with a message ends this connection only, with an `error` message and the
 * catalogue's close code; the process and the other connections carry on.
 */
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import type { RawData, WebSocket } from 'ws';
import type { Config } from '../config.js';
import { BoldstreamError, asBoldstreamError } from '../errors.js';
import type { ClientMessage, ServerMessage } from '../generated/boldstream.js';
import { version } from '../version.js';
import { may, messagePermission, type AccessControl, type Caller } from './auth.js';
import { Client, closeReason } from './client.js';
import { decodeClientMessage, encodeServerMessage, type Encoding } from './codec.js';
import type { Hub } from './hub.js';
import { PROTOCOL_VERSION, checkProtocol, negotiate, requestedEncoding } from './protocol.js';
import { TokenBucket, type RateLimitOptions } from './rate-limit.js';

export interface ConnectionContext {
  readonly hub: Hub;
  readonly config: Config;
  readonly logger: Logger;
  /** Compute backend in use, told in `welcome`. */
  readonly backend: string;
  readonly access: AccessControl;
  readonly rateLimit: RateLimitOptions;
  /** Bytes a socket may buffer before a client's messages wait in its outbox. */
  readonly highWaterBytes: number;
}

/** Messages received but not yet handled (a slow `start` holds the ones behind it). */
const MAX_WAITING = 256;

const ack = (ref: string, session?: string, tr?: number): ServerMessage => ({
  type: 'ack',
  ref,
  ...(session !== undefined ? { session } : {}),
  ...(tr !== undefined ? { tr } : {}),
});

function toFrame(data: RawData, isBinary: boolean): Uint8Array | string {
  const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
  return isBinary ? buffer : buffer.toString('utf8');
}

/** Before a Client exists (negotiation failed): answer in the encoding asked for if we speak it, else JSON. */
function refuse(socket: WebSocket, error: BoldstreamError, url: URL): void {
  const encoding = requestedEncoding(url) ?? 'json';
  socket.send(encodeServerMessage({ type: 'error', ...error.toJSON() }, encoding));
  socket.close(error.wsClose, closeReason(error));
}

async function act(message: ClientMessage, client: Client, hub: Hub): Promise<ServerMessage | undefined> {
  switch (message.type) {
    case 'hello':
      checkProtocol(message.protocol);
      return ack('hello');
    case 'subscribe':
      // The ack goes first so that a client knows catch-up records follow it.
      client.send(ack('subscribe', message.session, message.fromTr));
      hub.subscribe(client, message.session, message.fromTr);
      return undefined;
    case 'unsubscribe':
      hub.unsubscribe(client, message.session);
      return ack('unsubscribe', message.session);
    case 'start': {
      const info = await hub.start(message.spec);
      return ack(message.ref ?? 'start', info.id);
    }
    case 'end':
      await hub.stop(message.session);
      return ack('end', message.session);
    case 'volume': {
      const { type: _type, ...push } = message;
      // Acknowledged once recorded, so a client re-sends after a crash only what was never acknowledged.
      // The volume is in the pipeline already; only this connection's next message waits for the write
      // (to the page cache, well under a TR), which keeps acks in the order received.
      await hub.pushVolume(push.session, push);
      return ack('volume', push.session, push.index);
    }
    case 'event':
      hub.addEvent(message.session, message.event);
      return ack('event', message.session);
  }
}

/** `caller` is who the upgrade's token made this connection (ws.ts): every message is held to its role. */
export function serveConnection(socket: WebSocket, request: IncomingMessage, caller: Caller, context: ConnectionContext): void {
  const { hub, config, logger } = context;
  const url = new URL(request.url ?? '/', 'http://localhost');
  const log = logger.child({ peer: request.socket.remoteAddress, role: caller });
  socket.on('error', (error: Error & { code?: string }) => {
    // ws has already closed the connection (1009 for an oversize message, 1002/1007 for bad frames).
    const code = error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? 'WS_MESSAGE_TOO_LARGE' : 'WS_BAD_MESSAGE';
    log.warn({ code, reason: error.message }, 'connection closed by the WebSocket layer');
  });
  let encoding: Encoding;
  try {
    encoding = negotiate(url).encoding;
  } catch (error) {
    refuse(socket, asBoldstreamError(error), url);
    return;
  }
  const client = new Client(socket, encoding, {
    queueLimit: config.server.clientQueueLimit,
    highWaterBytes: context.highWaterBytes,
    stalledMs: config.server.stalledClientMs,
    onClose: (gone, error) => {
      hub.detach(gone);
      if (error) log.info({ code: error.code, client: gone.id }, 'connection closed');
    },
  });
  socket.on('close', () => client.gone());
  // The session list is for callers that may read; a scanner's client learns only the protocol.
  client.send({ type: 'welcome', protocol: PROTOCOL_VERSION, server: version, backend: context.backend, sessions: may(caller, 'read') ? hub.list() : [] });

  const bucket = new TokenBucket(context.rateLimit);
  let chain = Promise.resolve();
  let waiting = 0;
  const fail = (error: unknown): void => {
    const coded = asBoldstreamError(error);
    if (coded.code === 'INTERNAL') log.error({ err: error }, 'message handling failed');
    client.close(coded);
  };
  socket.on('message', (data: RawData, isBinary: boolean) => {
    if (client.closed) return;
    if (!bucket.take() || waiting >= MAX_WAITING) {
      client.close(new BoldstreamError('WS_RATE_LIMITED', `more than ${context.rateLimit.perSecond} messages per second`));
      return;
    }
    waiting++;
    const frame = toFrame(data, isBinary);
    chain = chain
      .then(async () => {
        if (client.closed) return;
        const message = decodeClientMessage(frame, client.encoding);
        const need = messagePermission[message.type];
        if (need !== null) context.access.authorize(caller, need, `a ${message.type} message`);
        const reply = await act(message, client, hub);
        if (reply && !client.closed) client.send(reply);
      })
      .catch(fail)
      .finally(() => {
        waiting--;
      });
  });
}
