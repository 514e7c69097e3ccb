/**
 * The WebSocket gateway: `ws` in noServer mode on the HTTP server's `upgrade` event, path /ws.
 * Payloads are capped by ws itself (maxPayload = config.server.maxMessageBytes, so an oversize
 * message is refused from its frame header, before it is buffered), and a heartbeat ends
 * connections whose peer has gone without closing (a laptop lid shut in the control room).
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Config } from '../config.js';
import { serveConnection } from './connection.js';
import type { Hub } from './hub.js';
import { WS_PATH } from './protocol.js';
import { defaultRateLimit, type RateLimitOptions } from './rate-limit.js';

export interface GatewayOptions {
  readonly server: Server;
  readonly hub: Hub;
  readonly config: Config;
  readonly logger: Logger;
  readonly backend: string;
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
  const wss = new WebSocketServer({ noServer: true, maxPayload: config.server.maxMessageBytes, perMessageDeflate: false });
  const alive = new WeakMap<WebSocket, boolean>();
  const context = {
    hub: options.hub,
    config,
    logger: logger.child({ part: 'ws' }),
    backend: options.backend,
    rateLimit: options.rateLimit ?? defaultRateLimit,
    highWaterBytes: options.highWaterBytes ?? 1024 * 1024,
  };
  wss.on('error', (error) => logger.error({ err: error }, 'WebSocket server error'));
  wss.on('connection', (socket: WebSocket, request: IncomingMessage) => {
    alive.set(socket, true);
    socket.on('pong', () => alive.set(socket, true));
    serveConnection(socket, request, context);
  });

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', (error) => logger.debug({ err: error }, 'upgrade socket error'));
    const pathname = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (pathname !== WS_PATH) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
  };
  server.on('upgrade', onUpgrade);

  const heartbeat = setInterval(() => {
    for (const socket of wss.clients) {
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
      return wss.clients.size;
    },
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(heartbeat);
        server.off('upgrade', onUpgrade);
        for (const socket of wss.clients) socket.close(1001, 'server shutting down');
        wss.close(() => resolve());
        // A peer that never answers the close handshake must not hold up shutdown.
        setTimeout(() => {
          for (const socket of wss.clients) socket.terminate();
        }, 1000).unref();
      }),
  };
}
