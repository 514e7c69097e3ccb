/**
 * What the reconstruct() operator needs of a reconstruction engine: take jobs (newest wins), tell
 * what happens. ReconstructionWorker (client.ts) is the implementation that runs the inverter in a
 * worker thread; tests use a fake on a virtual clock.
 */
import type { Job } from './loop.js';
import type { WorkerReply } from './protocol.js';

export type { Job };

/**
 * Events are the worker's replies; the client adds its own error events (code
 * RECON_WORKER_CRASHED when the thread died and was restarted, RECON_WORKER_FAILED with `fatal`
 * when no more frames will come).
 */
export type EngineEvent = WorkerReply;

export interface ReconstructionEngine {
  /** Hands over the newest estimate; any older one still being worked on is abandoned. */
  submit(job: Job): void;
  /** Calls `listener` with every event from now on; returns the function that stops it. */
  listen(listener: (event: EngineEvent) => void): () => void;
  /** Stops the engine and frees what it holds. */
  close(): Promise<void>;
}
