/**
 * Live reconstruction, measured: `npx tsx bench/recon.ts [--sizes 64,112,224] [--backends wasm,cpu]
 * [--seconds 4] [--skip-worker]`.
 *
 *   optimiser     one Adam iteration (value + gradient + update) of the inverter, per backend and
 *                 image size, in this process; one that also gives a frame (its own forward pass
 *                 measured, the image read back, PNG); what a separate evaluation would cost
 *   first frame   the instant pixels frame on the main thread (upsample + PNG); the first optimised
 *                 frame from the worker, cold (thread start, tfjs, network) and warm (a new trial
 *                 on a ready worker), default frame policy
 *   memory        the worker after an estimate's iterations: its heap, its external memory (the
 *                 wasm heap, which grows to the largest gradient's activations and never shrinks),
 *                 live tensors
 *
 * The feature space is the shipped MobileNetV2 with four layers (block_1/3/6_expand_relu, out_relu),
 * 1000 decoded units each, and a 32 × 32 grey pixels layer: a typical feature decoder bundle.
 * The worker takes the backend `auto` picks here. Figures depend on the machine and on what else
 * runs on it; the load average is printed with them.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { argument, finish, measure, numberArgument } from './lib/child.js';
import { dist, single, type Row } from './lib/report.js';
import { installGradientSupport } from '../src/recon/grad/install.js';
import type { Estimate, EstimateLayer } from '../src/recon/invert/estimate.js';
import { instantImage } from '../src/recon/invert/first-frame.js';
import { Inverter } from '../src/recon/invert/inverter.js';
import { createPixelsSpace, featuresOfImages, loadBundledNetwork, type FeatureSpace } from '../src/recon/network/index.js';
import { ReconstructionWorker } from '../src/recon/worker/client.js';
import type { EngineEvent } from '../src/recon/worker/engine.js';
import { encodeFramePng } from '../src/recon/worker/png.js';
import type { IdleReply } from '../src/recon/worker/protocol.js';

const LAYERS = ['block_1_expand_relu', 'block_3_expand_relu', 'block_6_expand_relu', 'out_relu'];
const UNITS = 1000;
const sizes = (argument('sizes') ?? '64,112,224').split(',').map(Number);
const backends = (argument('backends') ?? 'wasm,cpu').split(',') as ('wasm' | 'cpu')[];
const seconds = numberArgument('seconds', 4);
const withWorker = !process.argv.includes('--skip-worker');
const progress = (text: string): void => void process.stderr.write(`bench recon: ${text}\n`);
const MB = 1024 * 1024;

/** A textured test picture: smooth colour gradients and a few edges, not noise. */
function picture(size: number): Float32Array {
  return Float32Array.from({ length: size * size * 3 }, (_, i) => {
    const p = Math.floor(i / 3);
    const x = (p % size) / size;
    const y = Math.floor(p / size) / size;
    const c = i % 3;
    return 0.5 + 0.3 * Math.sin(6 * x + 2 * c) * Math.cos(4 * y) + (Math.abs(x - 0.5) < 0.15 && y > 0.3 ? 0.15 : 0);
  });
}

/** What a feature decoder would give for `picture`: 1000 units of each layer, every pixel of a 32² grey grid. */
async function estimateAt(space: FeatureSpace, size: number): Promise<Estimate> {
  const image = picture(size);
  const features = await featuresOfImages(tf, space, [image]);
  const layers: EstimateLayer[] = LAYERS.map((name) => {
    const all = features[name]!;
    const unitIndices = Int32Array.from({ length: Math.min(UNITS, all.length) }, (_, i) => Math.floor((i * all.length) / Math.min(UNITS, all.length)));
    return { name, unitIndices, values: Float32Array.from(unitIndices, (u) => all[u]!) };
  });
  const pixelsSpace = createPixelsSpace(tf, { size: 32, color: 'gray' });
  const pixels = (await featuresOfImages(tf, pixelsSpace, [image]))['pixels']!;
  pixelsSpace.dispose();
  return { trial: 0, tr: 0, space: space.name, layers: [...layers, { name: 'pixels', unitIndices: null, values: pixels }] };
}

/** Iteration times on one backend and size: at least 2 iterations, else as many as fit in `seconds`. */
async function optimiser(backend: 'wasm' | 'cpu', size: number, rows: Row[], rates: string[]): Promise<void> {
  await tf.setBackend(backend);
  installGradientSupport(tf, backend);
  const space = await loadBundledNetwork(tf, 'mobilenet_v2', { inputSize: size, layers: LAYERS });
  const inverter = new Inverter(tf, space);
  inverter.setTarget(await estimateAt(space, size));
  inverter.iterate(1); // first-call costs (kernel set-up, allocations) out of the figures
  const times: number[] = [];
  const until = performance.now() + seconds * 1000;
  while (times.length < 2 || performance.now() < until) {
    const t0 = performance.now();
    inverter.iterate(1);
    times.push(performance.now() - t0);
  }
  const frames: number[] = [];
  for (let k = 0; k < 3; k++) {
    const t0 = performance.now();
    encodeFramePng(inverter.iterateObserved().image, size);
    frames.push(performance.now() - t0);
  }
  const t0 = performance.now();
  inverter.evaluate();
  const evaluateMs = performance.now() - t0;
  inverter.dispose();
  space.dispose();
  const row = dist(`${backend} ${size} px: one iteration`, 'ms', times);
  rows.push(row, dist(`${backend} ${size} px: an iteration with a frame + PNG`, 'ms', frames), single(`${backend} ${size} px: a separate evaluation (not used)`, 'ms', evaluateMs));
  rates.push(`${backend} ${size} px: ${(1000 / row.summary!.median).toFixed(size > 150 && backend === 'cpu' ? 2 : 1)} it/s`);
  progress(`${backend} ${size} px: ${row.summary!.median.toFixed(0)} ms per iteration`);
}

function instant(size: number, estimate: Estimate, rows: Row[]): void {
  const times: number[] = [];
  for (let k = 0; k < 60; k++) {
    const t0 = performance.now();
    encodeFramePng(instantImage(estimate, size), size);
    if (k >= 10) times.push(performance.now() - t0);
  }
  rows.push(dist(`instant frame ${size} px (main thread)`, 'ms', times));
}

/** Resolves with the first event that passes `test`, from now on. */
function next(worker: ReconstructionWorker, test: (e: EngineEvent) => boolean, ms = 600_000): Promise<EngineEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('worker event did not come')), ms);
    const stop = worker.listen((e) => {
      if (e.type === 'error' && e.fatal) reject(new Error(e.message));
      if (!test(e)) return;
      clearTimeout(timer);
      stop();
      resolve(e);
    });
  });
}

async function throughWorker(size: number, estimate: Estimate, rows: Row[], notes: string[]): Promise<void> {
  const t0 = performance.now();
  const worker = new ReconstructionWorker({ space: { kind: 'bundled', name: 'mobilenet_v2', layers: LAYERS, inputSize: size }, imageSize: size, backend: 'auto', policy: { maxIterationsPerEstimate: 20 } });
  const firstFrame = next(worker, (e) => e.type === 'frame');
  worker.submit({ trial: 0, version: 1, estimate });
  const ready = await worker.ready;
  const readyMs = performance.now() - t0;
  await firstFrame;
  const coldMs = performance.now() - t0;
  const idle = (await next(worker, (e) => e.type === 'idle')) as IdleReply;
  const warm: number[] = [];
  for (let trial = 1; trial <= 3; trial++) {
    const t1 = performance.now();
    const frame = next(worker, (e) => e.type === 'frame' && e.trial === trial);
    worker.submit({ trial, version: trial + 1, estimate: { ...estimate, trial } });
    await frame;
    warm.push(performance.now() - t1);
    await next(worker, (e) => e.type === 'idle');
  }
  await worker.close();
  rows.push(
    single(`worker ${size} px: ready (cold start)`, 'ms', readyMs),
    single(`worker ${size} px: first optimised frame, cold`, 'ms', coldMs),
    dist(`worker ${size} px: first optimised frame, new trial`, 'ms', warm),
    single(`worker ${size} px: heap`, 'MB', idle.memory.heapUsedBytes / MB),
    single(`worker ${size} px: external (wasm heap, buffers)`, 'MB', idle.memory.externalBytes / MB),
    single(`worker ${size} px: live tensors`, 'MB', idle.memory.tensorBytes / MB),
  );
  notes.push(`worker ${size} px: backend ${ready?.backend ?? '?'} (init ${ready?.initMs ?? '?'} ms), ${idle.memory.tensors} tensors`);
  progress(`worker ${size} px: first frame ${coldMs.toFixed(0)} ms cold, ${warm[1]!.toFixed(0)} ms warm`);
}

await finish(
  measure('recon', 'Live reconstruction: MobileNetV2, 4 layers × 1000 units + 32² pixels', async (notes) => {
    const rows: Row[] = [];
    const rates: string[] = [];
    for (const backend of backends) for (const size of sizes) await optimiser(backend, size, rows, rates);
    notes.push(`optimiser iterations per second: ${rates.join('; ')}`);
    await tf.setBackend('wasm');
    installGradientSupport(tf, 'wasm');
    for (const size of sizes) {
      const space = await loadBundledNetwork(tf, 'mobilenet_v2', { inputSize: size, layers: LAYERS });
      const estimate = await estimateAt(space, size);
      space.dispose();
      instant(size, estimate, rows);
      if (withWorker) await throughWorker(size, estimate, rows, notes);
    }
    notes.push('first optimised frame: the default policy sends one after 5 iterations or 200 ms, whichever comes first');
    return rows;
  }),
);
