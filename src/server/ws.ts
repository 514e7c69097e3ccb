/**
 * The WebSocket gateway: `ws` in noServer mode on the HTTP(S) server's `upgrade` event, path /ws.
 *
 *   upgrade ─► path /ws (else 404) ─► Origin (else 403) ─► token (else 401) ─► connection (role kept)
 *
 * A refused upgrade is a plain HTTP reply with the usual `{error: {code, message}}` body, so that a
 * client learns why before any WebSocket exists. Payloads are capped by ws itself, from the frame
 * header before the message is buffered: config.server.maxMessageBytes for callers that may push
 * volumes or start sessions, 64 KiB for viewers, who only ever send small control messages. A
 * heartbeat ends connections whose peer has gone without closing (a laptop lid shut in the control room).
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Config } from '../config.js';
import { asBoldstreamError, type BoldstreamError } from '../errors.js';
import { bearerToken, may, type AccessControl, type Caller } from './auth.js';
import { serveConnection } from './connection.js';
import type { Hub } from './hub.js';
import { checkOrigin, type OriginPolicy } from './origin.js';
import { WS_PATH } from './protocol.js';
import { defaultRateLimit, type RateLimitOptions } from './rate-limit.js';

/** Largest message from a caller that may only read (subscribe, unsubscribe, hello). */
const READER_MAX_PAYLOAD = 64 * 1024;

const statusText: Readonly<Record<number, string>> = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found' };

/** Answers an upgrade with a plain HTTP error instead of a WebSocket. */
function refuseUpgrade(socket: Duplex, error: BoldstreamError): void {
  const body = JSON.stringify({ error: error.toJSON() });
  const headers = [
    `HTTP/1.1 ${error.status} ${statusText[error.status] ?? 'Error'}`,
    'Connection: close',
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...(error.status === 401 ? ['WWW-Authenticate: Bearer realm="boldstream"'] : []),
  ];
  socket.end(`${headers.join('\r\n')}\r\n\r\n${body}`);
}

export interface GatewayOptions {
  /** The HTTP or HTTPS server (an https.Server is typed as the http.Server it extends). */
  readonly server: Server;
  readonly hub: Hub;
  readonly config: Config;
  readonly logger: Logger;
  readonly backend: string;
  readonly access: AccessControl;
  readonly origins: OriginPolicy;
  /** Ping every this many ms; a connection that has not answered the previous ping is ended. */
  readonly heartbeatMs?: number;
  readonly rateLimit?: RateLimitOptions;
  /** Bytes a socket may buffer before a client's messages wait in its outbox. */
  readonly highWaterBytes?: number;
}

export interface Gateway {
  readonly connections: number;
  close(): Promise<void>;
}

export function attachGateway(options: GatewayOptions): Gateway {
  const { server, logger, config } = options;
  const { access } = options;
  const settings = { noServer: true, perMessageDeflate: false } as const;
  // Two servers that differ only in the size cap ws enforces before our code sees a byte.
  const writers = new WebSocketServer({ ...settings, maxPayload: config.server.maxMessageBytes });
  const readers = new WebSocketServer({ ...settings, maxPayload: Math.min(READER_MAX_PAYLOAD, config.server.maxMessageBytes) });
  const servers = [writers, readers];
  const allClients = (): WebSocket[] => servers.flatMap((wss) => [...wss.clients]);
  const alive = new WeakMap<WebSocket, boolean>();
  const callers = new WeakMap<IncomingMessage, Caller>();
  const context = {
    hub: options.hub,
    config,
    logger: logger.child({ part: 'ws' }),
    backend: options.backend,
    access,
    rateLimit: options.rateLimit ?? defaultRateLimit,
    highWaterBytes: options.highWaterBytes ?? 1024 * 1024,
  };
  for (const wss of servers) {
    wss.on('error', (error) => logger.error({ err: error }, 'WebSocket server error'));
    wss.on('connection', (socket: WebSocket, request: IncomingMessage) => {
      alive.set(socket, true);
      socket.on('pong', () => alive.set(socket, true));
      serveConnection(socket, request, callers.get(request) ?? 'open', context);
    });
  }

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', (error) => logger.debug({ err: error }, 'upgrade socket error'));
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname !== WS_PATH) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    let caller: Caller;
    try {
      checkOrigin(request.headers, options.origins);
      // Browsers cannot set headers on a WebSocket: the page passes its token in the URL.
      caller = access.authenticate(bearerToken(request.headers) ?? url.searchParams.get('token') ?? undefined);
    } catch (error) {
      const refused = asBoldstreamError(error);
      logger.info({ code: refused.code, peer: request.socket.remoteAddress }, 'WebSocket upgrade refused');
      refuseUpgrade(socket, refused);
      return;
    }
    callers.set(request, caller);
    const wss = may(caller, 'control') || may(caller, 'push') ? writers : readers;
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
  };
  server.on('upgrade', onUpgrade);

  const heartbeat = setInterval(() => {
    for (const socket of allClients()) {
      if (alive.get(socket) === false) {
        socket.terminate();
        continue;
      }
      alive.set(socket, false);
      socket.ping();
    }
  }, options.heartbeatMs ?? 30_000);
  heartbeat.unref();

  return {
    get connections() {
      return writers.clients.size + readers.clients.size;
    },
    close: async () => {
      clearInterval(heartbeat);
      server.off('upgrade', onUpgrade);
      for (const socket of allClients()) socket.close(1001, 'server shutting down');
      // A peer that never answers the close handshake must not hold up shutdown.
      setTimeout(() => {
        for (const socket of allClients()) socket.terminate();
      }, 1000).unref();
      await Promise.all(servers.map((wss) => new Promise<void>((resolve) => wss.close(() => resolve()))));
    },
  };
}
