/**
 * `boldstream serve`: the HTTP + WebSocket server, with the compute backend chosen once at start.
 */
import type { CommandContext } from '../cli.js';
import { chooseBackend } from '../recon/backend.js';
import { startServer } from '../server/start.js';
import { numberOption, stringOption } from './options.js';

export const serveCommand = {
  summary: 'Start the boldstream server (HTTP API, WebSocket records, the page at /).',
  usage: 'boldstream serve [--host HOST] [--port PORT] [--config FILE]',
  options: {
    host: { type: 'string' },
    port: { type: 'string' },
  },
  run: serve,
} as const;

async function serve(ctx: CommandContext): Promise<number> {
  const host = stringOption(ctx.values, 'host');
  const port = numberOption(ctx.values, 'port');
  const running = await startServer({ config: ctx.config, logger: ctx.logger, ...(host ? { host } : {}), ...(port !== undefined ? { port } : {}), backend: await chooseBackend(ctx.config.computeBackend) });
  console.error(`boldstream listening on ${running.url} (viewer: ${running.url}/, backend: ${running.backend})`);
  await running.closed;
  return 0;
}
