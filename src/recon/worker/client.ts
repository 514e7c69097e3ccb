/**
 * The main thread's handle on the reconstruction worker (main.ts draws the design): starts the
 * thread, validates its replies, and keeps the main thread safe from it. A crash (the thread throws
 * or exits without being asked) is reported as RECON_WORKER_CRASHED and logged, and the thread is
 * started again once with the same settings and given the newest estimate; a second crash, or a
 * start-up that fails, is RECON_WORKER_FAILED and ends reconstruction for this engine. Nothing here
 * throws into the caller because of the worker.
 */
import type { Worker } from 'node:worker_threads';
import type { Logger } from '../../log.js';
import type { EngineEvent, Job, ReconstructionEngine } from './engine.js';
import { parseReply, type ErrorReply, type InitRequest, type ReadyReply } from './protocol.js';
import { spawnReconstructionWorker } from './spawn.js';

export type WorkerSettings = Omit<InitRequest, 'type'>;

export interface ReconstructionWorkerOptions {
  readonly log?: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Times the thread is started again after a crash; default 1. */
  readonly restarts?: number;
  /** How long close() waits for the thread to end by itself before terminating it, ms; default 2000. */
  readonly closeTimeoutMs?: number;
}

export type WorkerState = 'starting' | 'ready' | 'failed' | 'closed';

export class ReconstructionWorker implements ReconstructionEngine {
  /** The first `ready` reply, or null when the worker never got ready (failed or closed first). */
  readonly ready: Promise<ReadyReply | null>;
  private resolveReady!: (reply: ReadyReply | null) => void;
  private worker: Worker | null = null;
  private current: WorkerState = 'starting';
  private readonly listeners = new Set<(event: EngineEvent) => void>();
  private latest: Job | null = null;
  private restartsLeft: number;
  private readonly log: Pick<Logger, 'info' | 'warn' | 'error'> | undefined;

  constructor(
    private readonly settings: WorkerSettings,
    private readonly options: ReconstructionWorkerOptions = {},
  ) {
    this.ready = new Promise((resolve) => (this.resolveReady = resolve));
    this.restartsLeft = options.restarts ?? 1;
    this.log = options.log;
    this.start();
  }

  get state(): WorkerState {
    return this.current;
  }

  /** The running thread, for diagnostics (and for tests that need to kill it); null between threads. */
  get thread(): Worker | null {
    return this.worker;
  }

  submit(job: Job): void {
    this.latest = job;
    try {
      this.worker?.postMessage({ type: 'estimate', trial: job.trial, version: job.version, estimate: job.estimate });
    } catch (thrown) {
      // An estimate that cannot be cloned (a caller's bug) must not throw into the per-TR pipeline.
      const message = `estimate of trial ${job.trial} could not be sent: ${thrown instanceof Error ? thrown.message : String(thrown)}`;
      this.log?.warn({ code: 'RECON_ESTIMATE_INVALID' }, message);
      this.emit({ type: 'error', code: 'RECON_ESTIMATE_INVALID', message, fatal: false, trial: job.trial, version: job.version });
    }
  }

  listen(listener: (event: EngineEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.current === 'closed') return;
    this.current = 'closed';
    this.resolveReady(null);
    const worker = this.worker;
    this.worker = null;
    if (!worker) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage({ type: 'stop' });
    const timer = setTimeout(() => void worker.terminate(), this.options.closeTimeoutMs ?? 2000);
    await exited;
    clearTimeout(timer);
  }

  private start(): void {
    const worker = spawnReconstructionWorker();
    this.worker = worker;
    worker.on('message', (raw: unknown) => this.received(worker, raw));
    worker.on('messageerror', (error) => this.log?.warn({ err: error }, 'reconstruction worker: a message could not be deserialised'));
    worker.on('error', (error) => this.crashed(worker, error));
    worker.on('exit', (code) => this.crashed(worker, new Error(`the thread exited with code ${code}`)));
    worker.postMessage({ type: 'init', ...this.settings });
    // After a restart, the trial goes on from its newest estimate (the worker keeps an early one).
    if (this.latest) this.submit(this.latest);
  }

  private received(worker: Worker, raw: unknown): void {
    if (worker !== this.worker) return;
    const parsed = parseReply(raw);
    if (!parsed.ok) {
      this.log?.error({ problem: parsed.problem }, 'reconstruction worker: malformed reply ignored');
      return;
    }
    const reply = parsed.value;
    if (reply.type === 'ready') {
      this.current = 'ready';
      this.resolveReady(reply);
      this.log?.info({ backend: reply.backend, initMs: reply.initMs, space: reply.space.name, imageSize: reply.imageSize }, 'reconstruction worker ready');
    }
    if (reply.type === 'error' && reply.fatal) {
      this.fail(reply.code, reply.message);
      return;
    }
    if (reply.type === 'error') this.log?.warn({ code: reply.code, trial: reply.trial }, reply.message);
    this.emit(reply);
  }

  private crashed(worker: Worker, cause: Error): void {
    if (worker !== this.worker || this.current === 'closed' || this.current === 'failed') return;
    this.worker = null;
    void worker.terminate();
    if (this.restartsLeft <= 0) {
      this.fail('RECON_WORKER_FAILED', `crashed again after its restart: ${cause.message}`, cause);
      return;
    }
    this.restartsLeft -= 1;
    const error: ErrorReply = { type: 'error', code: 'RECON_WORKER_CRASHED', message: `reconstruction worker crashed (${cause.message}); starting it again`, fatal: false };
    this.log?.error({ code: error.code, err: cause }, error.message);
    this.emit(error);
    this.current = 'starting';
    this.start();
  }

  private fail(code: ErrorReply['code'], message: string, cause?: Error): void {
    this.current = 'failed';
    this.resolveReady(null);
    const worker = this.worker;
    this.worker = null;
    if (worker) void worker.terminate();
    this.log?.error({ code, ...(cause ? { err: cause } : {}) }, message);
    this.emit({ type: 'error', code, message, fatal: true });
  }

  private emit(event: EngineEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (thrown) {
        // A listener's bug must not stop the others, nor reach the worker's event handlers.
        this.log?.error({ err: thrown }, 'reconstruction worker: a listener threw');
      }
    }
  }
}
