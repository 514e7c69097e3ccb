/**
 * The reconstruction worker: the entry of the worker_threads Worker that client.ts starts.
 *
 *   main thread                                │ worker thread (this file)
 *                                              │
 *   estimates ─► reconstruct() operator        │
 *                 │ instant frame (pixels      │
 *                 │ layer, upsampled, PNG) ──► frames out at once
 *                 ▼                            │
 *   ReconstructionWorker (client.ts)           │
 *     postMessage ──── init ───────────────────┼─► chooseBackend(preference): tfjs + wasm load here,
 *                                              │   gradient kernels registered; loadSpace(spec);
 *                 ◄─── ready {backend, initMs} ┼── new Inverter(space)
 *     postMessage ──── estimate {trial, ────────┼─► ReconstructionLoop.submit: newest only
 *                       version, estimate}     │     ┌──────────────────────────────────────────┐
 *                                              │     │ setTarget (new trial: pixels frame;      │
 *                                              │     │            same trial: warm start)       │
 *                                              │     │ iterate(1) ─► frame due? evaluate, PNG   │
 *                 ◄─── frame {png transferred} ┼─────┤ yield (setImmediate): a newer estimate   │
 *                                              │     │   cuts in here; else next iteration      │
 *                 ◄─── idle {memory} ──────────┼─────┤ after maxIterationsPerEstimate: idle     │
 *                                              │     └──────────────────────────────────────────┘
 *                 ◄─── error {code, fatal} ────┼── a bad estimate (skipped) or a failed start (fatal)
 *     'error' / 'exit' without stop: crash ──► │   logged, the worker started again once, the
 *                                              │   newest estimate sent again
 *     postMessage ──── stop ───────────────────┼─► loop ends, tensors freed, thread exits
 *
 * Everything tfjs does happens in this thread: per-TR records on the main thread never wait for
 * an optimiser step (a MobileNetV2 step at 224 px takes 0.2–1 s on wasm).
 */
import { parentPort, type MessagePort } from 'node:worker_threads';
import type * as TF from '@tensorflow/tfjs';
import { asBoldstreamError } from '../../errors.js';
import { chooseBackend } from '../backend.js';
import { Inverter } from '../invert/inverter.js';
import type { FeatureSpace } from '../network/types.js';
import { ReconstructionLoop, type Job, type LoopOutput } from './loop.js';
import { encodeFramePng } from './png.js';
import { DEFAULT_FRAME_POLICY, parseRequest, type InitRequest, type WorkerMemory, type WorkerReply } from './protocol.js';
import { loadSpace, summarise } from './space.js';

function parent(): MessagePort {
  if (!parentPort) throw new Error('recon/worker/main.ts runs as a worker thread (client.ts starts it)');
  return parentPort;
}
const port = parent();

interface Running {
  readonly tf: typeof TF;
  readonly space: FeatureSpace;
  readonly inverter: Inverter;
  readonly loop: ReconstructionLoop;
}

let running: Running | null = null;
let starting = false;
/** An estimate that came before the worker was ready: only the newest is kept. */
let early: Job | null = null;

const post = (reply: WorkerReply, transfer: ArrayBuffer[] = []): void => port.postMessage(reply, transfer);

function memoryOf(tf: typeof TF): WorkerMemory {
  const usage = process.memoryUsage();
  const tensors = tf.memory();
  return { heapUsedBytes: usage.heapUsed, externalBytes: usage.external, tensorBytes: tensors.numBytes, tensors: tensors.numTensors, rssBytes: usage.rss };
}

function outputFor(tf: typeof TF, size: number): LoopOutput {
  return {
    frame: (job, step) => {
      const png = encodeFramePng(step.image, size);
      const { trial, version } = job;
      post({ type: 'frame', trial, version, tr: job.estimate.tr, iteration: step.iteration, loss: step.loss, featureCorrelation: step.featureCorrelation, width: size, height: size, png }, [png.buffer as ArrayBuffer]);
    },
    idle: (job, iteration) => post({ type: 'idle', trial: job.trial, version: job.version, iteration, memory: memoryOf(tf) }),
    error: (code, message, job) => post({ type: 'error', code, message, fatal: false, trial: job.trial, version: job.version }),
  };
}

async function start(init: InitRequest): Promise<void> {
  starting = true;
  try {
    const choice = await chooseBackend(init.backend);
    const space = await loadSpace(choice.tf, init.space);
    const inverter = new Inverter(choice.tf, space, { ...init.inverter, ...(init.imageSize ? { imageSize: init.imageSize } : {}) });
    const policy = { ...DEFAULT_FRAME_POLICY, ...init.policy };
    const loop = new ReconstructionLoop(inverter, outputFor(choice.tf, inverter.size), { policy });
    running = { tf: choice.tf, space, inverter, loop };
    post({ type: 'ready', backend: choice.name, initMs: choice.initMs, gradientsVerified: choice.gradients.verified, space: summarise(space), imageSize: inverter.size });
    if (early) loop.submit(early);
    early = null;
  } catch (thrown) {
    // A network that cannot load keeps its own code (FEATURE_NETWORK_*); anything else means no backend.
    const error = asBoldstreamError(thrown, 'RECON_WORKER_FAILED');
    post({ type: 'error', code: error.code, message: error.message, fatal: true });
  } finally {
    starting = false;
  }
}

async function stop(): Promise<void> {
  if (running) {
    await running.loop.stop();
    running.inverter.dispose();
    running.space.dispose();
  }
  port.close();
}

port.on('message', (raw: unknown) => {
  const parsed = parseRequest(raw);
  if (!parsed.ok) {
    // Without a valid init the worker never starts, so that one is fatal; a bad estimate is skipped.
    const init = typeof raw === 'object' && raw !== null && (raw as { type?: unknown }).type === 'init';
    post({ type: 'error', code: init ? 'RECON_WORKER_FAILED' : 'RECON_ESTIMATE_INVALID', message: `message ignored: ${parsed.problem}`, fatal: init && !running });
    return;
  }
  const request = parsed.value;
  switch (request.type) {
    case 'init':
      if (running || starting) post({ type: 'error', code: 'INTERNAL', message: 'init received twice; the first one stands', fatal: false });
      else void start(request);
      return;
    case 'estimate': {
      const job: Job = { trial: request.trial, version: request.version, estimate: request.estimate };
      if (running) running.loop.submit(job);
      else early = job;
      return;
    }
    case 'stop':
      void stop();
      return;
  }
});
