/**
 * Starts the worker thread on main.ts. Built (dist/), the entry is the compiled main.js beside this
 * file. Run from the TypeScript sources (tsx, vitest), Node cannot load main.ts by itself and a
 * worker does not inherit the loader hooks of its parent, so the thread first registers tsx's
 * hooks, then imports main.ts.
 */
import { Worker } from 'node:worker_threads';

export function spawnReconstructionWorker(): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL('./main.js', here));
  const entry = new URL('./main.ts', here).href;
  // tsx's ESM entry: its CommonJS one cannot register hooks from a worker. Where import.meta.resolve
  // is missing (vitest's module runner), the bare name is resolved from the working directory.
  const tsx = typeof import.meta.resolve === 'function' ? import.meta.resolve('tsx/esm/api') : 'tsx/esm/api';
  const bootstrap = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(bootstrap, { eval: true });
}
