/**
 * The server: a fastify app for HTTP, the WebSocket gateway on the same port, and the session hub
 * behind both.
 *
 *   HTTP  /health  /sessions…  /recordings  /models…  / (viewer)   ─┐
 *   WS    /ws?encoding=…&protocol=1                   ─┼─► Hub ─► SessionFactory ─► Session
 *                                                      ┘
 * buildServer does not listen: the caller chooses host and port (`app.listen`), so tests can use
 * port 0 or `inject` without a socket.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { SessionFactory } from '../session/types.js';
import { version } from '../version.js';
import { installMsgpackParser } from './body.js';
import { installErrorHandling } from './http-errors.js';
import { Hub } from './hub.js';
import { PROTOCOL_VERSION } from './protocol.js';
import type { RateLimitOptions } from './rate-limit.js';
import { modelRoutes } from './routes/models.js';
import { recordingRoutes } from './routes/recordings.js';
import { sessionRoutes } from './routes/sessions.js';
import { defaultWebDir, staticRoutes } from './routes/static.js';
import { stimulusRoutes } from './routes/stimuli.js';
import { attachGateway } from './ws.js';

export interface BuildServerOptions {
  readonly config: Config;
  readonly factory: SessionFactory;
  readonly logger: Logger;
  /** Compute backend in use (recon/backend.ts), reported by /health and `welcome`. */
  readonly backend: string;
  /** Why the backend is not the best one, or cannot be trusted, when that is so (shown by /health). */
  readonly backendDegraded?: { readonly kind: string; readonly message: string } | null;
  /** More folders clients may name paths in, besides config.dataDir. */
  readonly extraDataDirs?: readonly string[];
  /** WebSocket heartbeat, ms (default 30 000). */
  readonly heartbeatMs?: number;
  readonly rateLimit?: RateLimitOptions;
  /** Bytes a socket may buffer before a client's messages wait in its outbox (default 1 MiB). */
  readonly highWaterBytes?: number;
  /** Folder of the web viewer (default: clients/web of this package). */
  readonly webDir?: string;
}

export interface BoldstreamServer {
  readonly app: FastifyInstance;
  readonly hub: Hub;
  /** Closes WebSocket connections, stops every session, then closes the HTTP server. */
  close(): Promise<void>;
}

/** Bodies without files in them (trial markers, stop) are small; specs and bundles may carry files. */
const SMALL_BODY = 64 * 1024;

export async function buildServer(options: BuildServerOptions): Promise<BoldstreamServer> {
  const { config, logger } = options;
  const startedAt = Date.now();
  // Typed with fastify's base logger so that route plugins need not carry pino's full Logger type.
  const app: FastifyInstance = Fastify({ loggerInstance: logger as FastifyBaseLogger, bodyLimit: SMALL_BODY });
  installErrorHandling(app);
  installMsgpackParser(app);

  const dataRoots = [config.dataDir, ...(options.extraDataDirs ?? [])];
  const hub = new Hub({ config, factory: options.factory, logger, dataRoots });
  const gateway = attachGateway({
    server: app.server,
    hub,
    config,
    logger,
    backend: options.backend,
    ...(options.heartbeatMs !== undefined ? { heartbeatMs: options.heartbeatMs } : {}),
    ...(options.rateLimit !== undefined ? { rateLimit: options.rateLimit } : {}),
    ...(options.highWaterBytes !== undefined ? { highWaterBytes: options.highWaterBytes } : {}),
  });
  // preClose: WebSocket peers must be gone before the HTTP server waits for its connections to end.
  app.addHook('preClose', async () => {
    await gateway.close();
    await hub.close();
  });

  app.get('/health', async () => ({
    status: 'ok',
    version,
    protocol: PROTOCOL_VERSION,
    backend: options.backend,
    // A slower fallback still works: the server is up, and says what it lost.
    ...(options.backendDegraded ? { degraded: [{ what: 'compute-backend', ...options.backendDegraded }] } : {}),
    sessions: hub.list().length,
    connections: gateway.connections,
    uptimeS: Math.round((Date.now() - startedAt) / 1000),
  }));
  await app.register(sessionRoutes, { hub, bodyLimit: config.server.maxMessageBytes });
  await app.register(recordingRoutes, { recordingsDir: config.recordingsDir });
  await app.register(stimulusRoutes, { hub, dataRoots });
  await app.register(modelRoutes, { modelsDir: config.modelsDir, bodyLimit: config.server.maxMessageBytes });
  await app.register(staticRoutes, { webDir: options.webDir ?? defaultWebDir });
  await app.ready();

  return { app, hub, close: () => app.close() };
}
