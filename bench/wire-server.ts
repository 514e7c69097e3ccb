/**
 * The benchmark server, in a process of its own as in production: the real `startServer` (fastify,
 * WebSocket gateway, hub, session factory, recording on) on 127.0.0.1, port 0. It tells its parent
 * the URL and its RSS at three points (bare process, modules loaded, listening), samples its RSS
 * every 10 ms while it runs, and on "stop" closes, removes its temp folder, reports the peaks and exits.
 *
 * Modules are imported dynamically so that the RSS of the bare process can be read first.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { ServerReport, ServerStopped } from './lib/server-process.js';

const mb = (bytes: number): number => bytes / (1024 * 1024);
const bareMb = mb(process.memoryUsage.rss());
const [{ createLogger }, { chooseBackend }, { startServer }, { benchConfig, benchTemp }] = await Promise.all([
  import('../src/log.js'),
  import('../src/recon/backend.js'),
  import('../src/server/start.js'),
  import('./lib/session.js'),
]);
const root = await benchTemp('server');
const config = benchConfig({ recordingsDir: path.join(root, 'recordings'), modelsDir: path.join(root, 'models'), dataDir: root });
// The reconstruction backend plays no part in decoding; the plain JS one is what loads everywhere.
const backend = await chooseBackend('cpu');
const loadedMb = mb(process.memoryUsage.rss());
const running = await startServer({ config, logger: createLogger(config), backend, host: '127.0.0.1', port: 0, handleSignals: false });

let peak = { rssMb: mb(process.memoryUsage.rss()), arrayBuffersMb: mb(process.memoryUsage().arrayBuffers) };
const sampler = setInterval(() => {
  const rssMb = mb(process.memoryUsage.rss());
  if (rssMb > peak.rssMb) peak = { rssMb, arrayBuffersMb: mb(process.memoryUsage().arrayBuffers) };
}, 10);
let closing: Promise<void> | null = null;
const shutdown = (): Promise<void> => {
  clearInterval(sampler);
  closing ??= running
    .close()
    .catch(() => undefined)
    .then(() => rm(root, { recursive: true, force: true }));
  return closing;
};
process.on('message', (message) => {
  if (message !== 'stop') return;
  const stopped: ServerStopped = { type: 'stopped', sampledPeakMb: peak.rssMb, arrayBuffersAtPeakMb: peak.arrayBuffersMb, maxRssMb: process.resourceUsage().maxRSS / 1024 };
  // Reported once the recordings are gone, so that the parent may exit as soon as it has the figures.
  void shutdown().finally(() => process.send?.(stopped, () => process.exit(0)));
});
process.on('disconnect', () => void shutdown().finally(() => process.exit(0)));
const report: ServerReport = { type: 'listening', url: running.url, bareMb, loadedMb, listeningMb: mb(process.memoryUsage.rss()) };
process.send?.(report);
