/**
 * The server: a fastify app for HTTP (HTTPS with server.tls), the WebSocket gateway on the same
 * port, and the session hub behind both. Access (tokens, roles, origins) is checked in one place for
 * each: an onRequest hook with the route table below, and the gateway's upgrade and per-message checks.
 *
 *   HTTP  /health  /metrics  /sessions…  /recordings  /models…  / (viewer)   ─┐
 *   WS    /ws?encoding=…&protocol=1                   ─┼─► Hub ─► SessionFactory ─► Session
 *                                                      ┘
 * buildServer does not listen: the caller chooses host and port (`app.listen`), so tests can use
 * port 0 or `inject` without a socket.
 */
import { readFile } from 'node:fs/promises';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { BoldstreamError } from '../errors.js';
import type { SessionFactory } from '../session/types.js';
import { version } from '../version.js';
import { AccessControl } from './auth.js';
import { installMsgpackParser } from './body.js';
import { installHttpAccess, QueryTokens, unruledRoutes, type RouteRules } from './http-access.js';
import { installErrorHandling } from './http-errors.js';
import { degradations, diskWatcher } from './health.js';
import { Hub } from './hub.js';
import { Metrics } from './metrics.js';
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
  readonly metrics: Metrics;
  /** Every route fastify registered (HEAD ones included), for the access tests. */
  readonly routes: readonly RouteEntry[];
  /** No tokens configured: every client may do anything. */
  readonly open: boolean;
  /** Closes WebSocket connections, stops every session, then closes the HTTP server. */
  close(): Promise<void>;
}

export interface RouteEntry {
  readonly method: string;
  readonly url: string;
}

/** Bodies without files in them (trial markers, stop) are small; specs and bundles may carry files. */
const SMALL_BODY = 64 * 1024;

/**
 * Who may use each route (docs/http-api.md, "Access"): `read` is a viewer's, `control` an
 * experimenter's. Every route needs a rule here; one without is refused to every token, and
 * test/integration/access.test.ts fails for it. The viewer page and its files are public so that a
 * browser can load it; every call it makes for data carries a token.
 */
export const routeRules: RouteRules = {
  'GET /health': 'public',
  // A viewer's: counts of sessions and error codes say what the room is doing. config.metrics.public
  // makes it public for a scraper on a trusted network (rulesFor below).
  'GET /metrics': 'read',
  'GET /': 'public',
  'GET /:file': 'public',
  'GET /vendor/:file': 'public',
  'GET /sessions': 'read',
  'GET /sessions/:id': 'read',
  'GET /sessions/:id/records': 'read',
  'GET /sessions/:id/stimuli/*': 'read',
  'GET /recordings': 'read',
  'GET /models': 'read',
  'POST /sessions': 'control',
  'POST /sessions/:id/stop': 'control',
  'POST /sessions/:id/pause': 'control',
  'POST /sessions/:id/resume': 'control',
  'POST /sessions/:id/speed': 'control',
  'POST /sessions/:id/events': 'control',
  'POST /models/:name': 'control',
};

/** The route table with the config's choices applied. */
export function rulesFor(config: Config): RouteRules {
  return config.metrics.public ? { ...routeRules, 'GET /metrics': 'public' } : routeRules;
}

/** The PEM key and certificate named by config.server.tls, read once at start. */
async function tlsFiles(tls: NonNullable<Config['server']['tls']>): Promise<{ key: Buffer; cert: Buffer }> {
  const read = (what: 'key' | 'cert') =>
    readFile(tls[what]).catch((cause: Error) => {
      throw new BoldstreamError('CONFIG_INVALID', `server.tls.${what}: cannot read ${tls[what]}: ${cause.message}`, { cause });
    });
  return { key: await read('key'), cert: await read('cert') };
}

export async function buildServer(options: BuildServerOptions): Promise<BoldstreamServer> {
  const { config, logger } = options;
  const startedAt = Date.now();
  const access = await AccessControl.load(config.access);
  const origins = { allowed: config.server.allowedOrigins, secure: config.server.tls !== undefined };
  const queryTokens = new QueryTokens();
  const https = config.server.tls ? await tlsFiles(config.server.tls) : null;
  // Typed with fastify's base logger so that route plugins need not carry pino's full Logger type; an
  // https server is typed as the http one it extends for everything the routes and the gateway use.
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: SMALL_BODY,
    rewriteUrl: queryTokens.rewriteUrl,
    ...(https ? { https } : {}),
  }) as unknown as FastifyInstance;
  const routes: RouteEntry[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url });
  });
  installErrorHandling(app);
  installMsgpackParser(app);
  const rules = rulesFor(config);
  installHttpAccess(app, { access, rules, origins }, queryTokens);
  if (access.open) {
    logger.warn(
      { access: 'open' },
      'no access tokens are configured (access.tokens, access.tokensFile): anyone who can reach this server may start sessions, push volumes and read records. Configure tokens before listening beyond this machine (docs/http-api.md, "Access")',
    );
  }

  const dataRoots = [config.dataDir, ...(options.extraDataDirs ?? [])];
  const metrics = new Metrics();
  const hub = new Hub({ config, factory: options.factory, logger, dataRoots, metrics });
  const gateway = attachGateway({
    server: app.server,
    hub,
    config,
    logger,
    backend: options.backend,
    access,
    origins,
    ...(options.heartbeatMs !== undefined ? { heartbeatMs: options.heartbeatMs } : {}),
    ...(options.rateLimit !== undefined ? { rateLimit: options.rateLimit } : {}),
    ...(options.highWaterBytes !== undefined ? { highWaterBytes: options.highWaterBytes } : {}),
  });
  metrics.bind({ backlogs: () => hub.backlogs(), connections: () => gateway.connections, sessionStates: () => hub.list().map((s) => s.state) });
  const disk = diskWatcher(config.recordingsDir);
  // preClose: WebSocket peers must be gone before the HTTP server waits for its connections to end.
  app.addHook('preClose', async () => {
    await gateway.close();
    await hub.close();
  });

  app.get('/health', async () => {
    // Degraded is still up (200, status ok): a slower fallback, a late source or a filling disk is
    // said here for a monitor to alert on, while the server goes on serving (docs/http-api.md).
    const degraded = degradations({ backend: options.backendDegraded, stalled: hub.stalled(), disk: await disk(), minFreeDiskMb: config.health.minFreeDiskMb });
    return {
      status: 'ok',
      version,
      protocol: PROTOCOL_VERSION,
      access: access.open ? 'open' : 'token',
      backend: options.backend,
      ...(degraded.length > 0 ? { degraded } : {}),
      sessions: hub.list().length,
      connections: gateway.connections,
      uptimeS: Math.round((Date.now() - startedAt) / 1000),
    };
  });
  app.get('/metrics', async (_request, reply) => reply.type(metrics.contentType).send(await metrics.text()));
  await app.register(sessionRoutes, { hub, bodyLimit: config.server.maxMessageBytes });
  await app.register(recordingRoutes, { recordingsDir: config.recordingsDir });
  await app.register(stimulusRoutes, { hub, dataRoots });
  await app.register(modelRoutes, { modelsDir: config.modelsDir, bodyLimit: config.server.maxMessageBytes });
  await app.register(staticRoutes, { webDir: options.webDir ?? defaultWebDir });
  await app.ready();
  for (const key of unruledRoutes(routes, rules)) logger.error({ route: key }, `route ${key} has no access rule in src/server/app.ts; no token may use it`);

  return { app, hub, metrics, routes, open: access.open, close: () => app.close() };
}
