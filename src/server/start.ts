/**
 * Starting a listening server with the real session factory, and stopping it on SIGINT/SIGTERM:
 * what `serve` and `demo` share.
 */
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { announceDegradation, type BackendChoice } from '../recon/backend.js';
import { PipelineSessionFactory } from '../session/factory.js';
import { buildServer, type BoldstreamServer } from './app.js';

export interface RunningServer {
  readonly server: BoldstreamServer;
  readonly url: string;
  readonly backend: string;
  /** Resolves once the server has closed (signal or `close()`). */
  readonly closed: Promise<void>;
  close(): Promise<void>;
}

export async function startServer(options: {
  config: Config;
  logger: Logger;
  backend: BackendChoice;
  host?: string;
  port?: number;
  extraDataDirs?: readonly string[];
  handleSignals?: boolean;
  /** When the port is taken, listen on a free one instead (the demo). */
  fallbackToFreePort?: boolean;
}): Promise<RunningServer> {
  const { config, logger, backend } = options;
  logger.info({ backend: backend.name, gradientsVerified: backend.gradients.verified }, `compute backend: ${backend.name}`);
  const backendDegraded = announceDegradation(backend, (d) => logger.warn({ kind: d.kind }, d.message));
  const server = await buildServer({
    config,
    logger,
    backend: backend.name,
    backendDegraded,
    factory: new PipelineSessionFactory({ config, logger }),
    heartbeatMs: config.server.heartbeatMs,
    rateLimit: config.server.rateLimit,
    extraDataDirs: [...config.extraDataDirs, ...(options.extraDataDirs ?? [])],
  });
  // Before listening: a client that pushes to a resumed session on reconnecting must find it.
  await server.hub.resumeInterrupted();
  const host = options.host ?? config.server.host;
  const port = options.port ?? config.server.port;
  let address: string;
  try {
    address = await server.app.listen({ host, port });
  } catch (error) {
    // A demo on a machine where the default port is taken should still start; an explicit port should not move.
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || !options.fallbackToFreePort) throw error;
    logger.warn({ port }, `port ${port} is in use; taking a free one`);
    address = await server.app.listen({ host, port: 0 });
  }
  let done!: () => void;
  const closed = new Promise<void>((resolve) => (done = resolve));
  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= server.close().finally(done);
    return closing;
  };
  if (options.handleSignals !== false) {
    const onSignal = (signal: string): void => {
      logger.info({ signal }, 'stopping');
      void close();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
  return { server, url: address.replace('[::1]', 'localhost'), backend: backend.name, closed, close };
}
