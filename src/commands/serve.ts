/**
 * `boldstream serve`: the HTTP + WebSocket server, with the compute backend chosen once at start.
 */
import type { CommandContext } from '../cli.js';
import { chooseBackend } from '../recon/backend.js';
import { startServer } from '../server/start.js';
import path from 'node:path';
import { listOption, numberOption, stringOption } from './options.js';

export const serveCommand = {
  summary: 'Start the boldstream server (HTTP API, WebSocket records, the page at /).',
  usage: 'boldstream serve [--host HOST] [--port PORT] [--data-dir DIR]... [--config FILE]',
  options: {
    host: { type: 'string' },
    port: { type: 'string' },
    'data-dir': { type: 'string', multiple: true },
  },
  run: serve,
} as const;

async function serve(ctx: CommandContext): Promise<number> {
  const host = stringOption(ctx.values, 'host');
  const port = numberOption(ctx.values, 'port');
  // More folders clients may name (an export folder to watch), besides the configured data folder.
  const extraDataDirs = listOption(ctx.values, 'data-dir').map((d) => path.resolve(d));
  const running = await startServer({ config: ctx.config, logger: ctx.logger, ...(host ? { host } : {}), ...(port !== undefined ? { port } : {}), extraDataDirs, backend: await chooseBackend(ctx.config.computeBackend) });
  console.error(`boldstream listening on ${running.url} (viewer: ${running.url}/, backend: ${running.backend})`);
  await running.closed;
  return 0;
}
