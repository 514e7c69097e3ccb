/**
 * The reconstruction worker for real (a worker_threads thread running tfjs on wasm, the pixels
 * space): it starts and says so, sends frames that get better, drops an older estimate's work for
 * a newer one, survives one crash (restart, newest estimate resent), reports a second one and a
 * failed start as fatal without throwing, and answers malformed messages with an error.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/recon/network/image.js';
import type { Estimate } from '../../src/recon/invert/estimate.js';
import { ReconstructionWorker, type WorkerSettings } from '../../src/recon/worker/client.js';
import type { EngineEvent } from '../../src/recon/worker/engine.js';
import { parseRequest, type ErrorReply, type FrameReply } from '../../src/recon/worker/protocol.js';

const GRID = 16;
const SIZE = 48;

/** A bright square on a dark field (trial 0) or a bright bar (trial 1), as decoded 16 × 16 grey pixels. */
function estimate(trial: number, tr = 0): Estimate {
  const values = Float32Array.from({ length: GRID * GRID }, (_, i) => {
    const x = i % GRID;
    const y = Math.floor(i / GRID);
    const inside = trial === 0 ? x > 4 && x < 11 && y > 4 && y < 11 : y > 6 && y < 9;
    return inside ? 0.85 : 0.15;
  });
  return { trial, tr, space: `pixels-${GRID}-gray`, layers: [{ name: 'pixels', unitIndices: null, values }] };
}

const settings = (policy: WorkerSettings['policy'] = {}): WorkerSettings => ({ space: { kind: 'pixels', size: GRID, color: 'gray' }, imageSize: SIZE, backend: 'wasm', policy });

const open: ReconstructionWorker[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((w) => w.close()));
});

function start(s: WorkerSettings): { worker: ReconstructionWorker; events: EngineEvent[]; until: (test: (e: EngineEvent) => boolean, ms?: number) => Promise<EngineEvent> } {
  const worker = new ReconstructionWorker(s);
  open.push(worker);
  const events: EngineEvent[] = [];
  const waiting = new Set<() => void>();
  worker.listen((e) => {
    events.push(e);
    for (const check of waiting) check();
  });
  // Each wait looks from just after the event the previous wait found, so that an event emitted
  // while the test was awaiting something else (a crash during terminate()) is not missed.
  let cursor = 0;
  const until = (test: (e: EngineEvent) => boolean, ms = 30_000): Promise<EngineEvent> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no such event within ${ms} ms; the last: ${JSON.stringify(events.slice(-3).map((e) => ({ ...e, png: undefined })))}`)), ms);
      const check = (): void => {
        const at = events.findIndex((e, i) => i >= cursor && test(e));
        if (at < 0) return;
        cursor = at + 1;
        clearTimeout(timer);
        waiting.delete(check);
        resolve(events[at]!);
      };
      waiting.add(check);
      check();
    });
  return { worker, events, until };
}

const frames = (events: EngineEvent[], version?: number): FrameReply[] => events.filter((e): e is FrameReply => e.type === 'frame' && (version === undefined || e.version === version));

describe('the reconstruction worker', () => {
  it('starts on the asked backend and sends frames that improve, then idles', async () => {
    const { worker, events, until } = start(settings({ frameEveryIterations: 5, maxIterationsPerEstimate: 40 }));
    const ready = await worker.ready;
    expect(ready).toMatchObject({ backend: 'wasm', gradientsVerified: true, imageSize: SIZE, space: { name: `pixels-${GRID}-gray`, layers: [{ name: 'pixels', units: GRID * GRID }] } });
    expect(worker.state).toBe('ready');
    worker.submit({ trial: 0, version: 1, estimate: estimate(0, 7) });
    const idle = await until((e) => e.type === 'idle');
    expect(idle).toMatchObject({ trial: 0, version: 1, iteration: 40 });
    const got = frames(events, 1);
    // Every 5 iterations, or sooner when 200 ms pass first on a busy machine; always the last.
    got.slice(1).forEach((f, i) => expect(f.iteration).toBeGreaterThan(got[i]!.iteration));
    expect(got.length).toBeGreaterThanOrEqual(8);
    expect(got.at(-1)!.iteration).toBe(40);
    expect(got.at(-1)!.loss).toBeLessThan(got[0]!.loss);
    expect(got.at(-1)!.featureCorrelation).toBeGreaterThan(0.95);
    const last = got.at(-1)!;
    expect(last).toMatchObject({ tr: 7, width: SIZE, height: SIZE });
    const picture = decodeImage(Buffer.from(last.png), SIZE);
    // The centre of the square is bright, the corner dark.
    const at = (x: number, y: number): number => picture[(y * SIZE + x) * 3]!;
    expect(at(SIZE / 2, SIZE / 2)).toBeGreaterThan(0.7);
    expect(at(2, 2)).toBeLessThan(0.3);
  });

  it('drops the rest of the older estimate as soon as a newer one comes', async () => {
    const { worker, events, until } = start(settings({ frameEveryIterations: 1, maxIterationsPerEstimate: 100_000 }));
    worker.submit({ trial: 0, version: 1, estimate: estimate(0) });
    await until((e) => e.type === 'frame' && e.iteration >= 3);
    worker.submit({ trial: 1, version: 2, estimate: estimate(1) });
    await until((e) => e.type === 'frame' && e.version === 2 && e.iteration >= 5);
    const firstNew = events.findIndex((e) => e.type === 'frame' && e.version === 2);
    expect(events.slice(firstNew).some((e) => e.type === 'frame' && e.version === 1)).toBe(false);
    // A new trial restarts the iteration count from its pixels frame.
    expect(frames(events, 2)[0]!.iteration).toBe(1);
  });

  it('restarts once after a crash and goes on with the newest estimate', async () => {
    const { worker, events, until } = start(settings({ frameEveryIterations: 2, maxIterationsPerEstimate: 100_000 }));
    worker.submit({ trial: 0, version: 1, estimate: estimate(0) });
    await until((e) => e.type === 'frame');
    worker.submit({ trial: 1, version: 2, estimate: estimate(1) });
    await worker.thread!.terminate();
    const crash = (await until((e) => e.type === 'error')) as ErrorReply;
    expect(crash).toMatchObject({ code: 'RECON_WORKER_CRASHED', fatal: false });
    await until((e) => e.type === 'ready');
    const resumed = (await until((e) => e.type === 'frame' && e.version === 2)) as FrameReply;
    expect(resumed.trial).toBe(1);
    // A second crash is the end: fatal, reported, nothing thrown.
    await worker.thread!.terminate();
    expect(await until((e) => e.type === 'error' && e.fatal)).toMatchObject({ code: 'RECON_WORKER_FAILED' });
    expect(worker.state).toBe('failed');
    expect(worker.thread).toBeNull();
    expect(() => worker.submit({ trial: 2, version: 3, estimate: estimate(0) })).not.toThrow();
    expect(events.filter((e) => e.type === 'ready')).toHaveLength(2);
  });

  it('reports a start that cannot succeed as fatal, without a restart', async () => {
    const { worker, events, until } = start({ space: { kind: 'model', modelJson: '/nonexistent/model.json', layers: ['conv1'], preprocessing: 'unit' }, backend: 'wasm' });
    const failure = await until((e) => e.type === 'error');
    expect(failure).toMatchObject({ code: 'FEATURE_NETWORK_NOT_FOUND', fatal: true });
    expect(await worker.ready).toBeNull();
    expect(worker.state).toBe('failed');
    expect(events.filter((e) => e.type === 'error')).toHaveLength(1);
  });

  it('answers a malformed message with an error and keeps working', async () => {
    const { worker, until } = start(settings({ maxIterationsPerEstimate: 3 }));
    await worker.ready;
    worker.thread!.postMessage({ type: 'estimate', trial: -1, version: 1, estimate: { layers: 'no' } });
    expect(await until((e) => e.type === 'error')).toMatchObject({ code: 'RECON_ESTIMATE_INVALID', fatal: false });
    worker.submit({ trial: 0, version: 2, estimate: { ...estimate(0), space: 'mobilenet_v2' } });
    expect(await until((e) => e.type === 'error')).toMatchObject({ code: 'RECON_ESTIMATE_INVALID', fatal: false, version: 2 });
    worker.submit({ trial: 0, version: 3, estimate: estimate(0) });
    expect(await until((e) => e.type === 'idle')).toMatchObject({ version: 3, iteration: 3 });
  });
});

describe('the worker protocol', () => {
  it('accepts the documented requests and refuses malformed ones', () => {
    expect(parseRequest({ type: 'init', space: { kind: 'bundled', name: 'mobilenet_v2', layers: ['out_relu'] }, backend: 'auto', imageSize: 112 }).ok).toBe(true);
    expect(parseRequest({ type: 'estimate', trial: 0, version: 1, estimate: estimate(0) }).ok).toBe(true);
    expect(parseRequest({ type: 'stop' }).ok).toBe(true);
    const bad = [
      { type: 'init', space: { kind: 'bundled', name: 'vgg19' }, backend: 'auto' },
      { type: 'init', space: { kind: 'pixels', size: 16, color: 'gray' }, backend: 'auto', imageSize: 4 },
      { type: 'estimate', trial: 0, version: 1, estimate: { ...estimate(0), layers: [{ name: 'pixels', unitIndices: null, values: [0.5] }] } },
      { type: 'dance' },
      null,
    ];
    for (const message of bad) expect(parseRequest(message).ok).toBe(false);
  });
});
