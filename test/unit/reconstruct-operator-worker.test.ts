/**
 * reconstruct() with the real worker (pixels space, wasm): each trial's first frame leaves
 * synchronously with its first estimate, even while the worker is still starting; then frames
 * arrive progressively as TRs refine the estimate, iteration increasing and loss falling overall;
 * the stream completes once the newest estimate is worked out, and the worker is closed.
 */
import { lastValueFrom, Subject, tap, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { reconstruct, type FrameOut } from '../../src/pipeline/reconstruct.js';
import type { Estimate } from '../../src/recon/invert/estimate.js';
import { ReconstructionWorker } from '../../src/recon/worker/client.js';

const GRID = 16;
const SIZE = 48;

/** A bright disc (trial 0) or ring (trial 1) on dark, decoded with noise that shrinks as TRs add up. */
function estimate(trial: number, tr: number): Estimate {
  let seed = 1 + tr;
  const noise = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * (0.8 / (tr + 1));
  const values = Float32Array.from({ length: GRID * GRID }, (_, i) => {
    const r = Math.hypot((i % GRID) - 7.5, Math.floor(i / GRID) - 7.5);
    const inside = trial === 0 ? r < 5 : r > 3 && r < 6;
    return (inside ? 0.85 : 0.15) + noise();
  });
  return { trial, tr, space: `pixels-${GRID}-gray`, layers: [{ name: 'pixels', unitIndices: null, values }] };
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('reconstruct() with the worker', () => {
  it('sends the instant frame at once, then progressively better frames, and completes when done', async () => {
    let worker: ReconstructionWorker | null = null;
    const estimates = new Subject<Estimate>();
    const received: FrameOut[] = [];
    const frames = estimates.pipe(
      reconstruct({
        engine: () => (worker = new ReconstructionWorker({ space: { kind: 'pixels', size: GRID, color: 'gray' }, imageSize: SIZE, backend: 'wasm', policy: { frameEveryIterations: 5, maxIterationsPerEstimate: 60 } })),
        imageSize: SIZE,
      }),
      tap((f) => received.push(f)),
      toArray(),
    );
    const all = lastValueFrom(frames);
    const firstOfTrial = (trial: number): FrameOut | undefined => received.find((f) => f.trial === trial);

    // Trial 0: the first estimate comes while the worker is still loading tfjs.
    const started = performance.now();
    estimates.next(estimate(0, 0));
    expect(firstOfTrial(0)).toMatchObject({ iteration: 0, tr: 0, width: SIZE, height: SIZE, elapsedMs: 0 });
    expect(performance.now() - started).toBeLessThan(100);
    await (worker as ReconstructionWorker | null)!.ready;
    for (const tr of [1, 2, 3]) {
      await pause(400);
      estimates.next(estimate(0, tr));
    }
    await pause(400);
    estimates.next(estimate(1, 4));
    expect(firstOfTrial(1)).toMatchObject({ iteration: 0, tr: 4 });
    estimates.complete();
    const out = await all;

    const trial0 = out.filter((f) => f.trial === 0);
    const optimised = trial0.filter((f) => f.iteration > 0);
    expect(trial0[0]!.iteration).toBe(0);
    expect(optimised.length).toBeGreaterThan(5);
    optimised.slice(1).forEach((f, i) => expect(f.iteration).toBeGreaterThan(optimised[i]!.iteration));
    // Later TRs' frames say so, and the optimiser got closer to its (refined) targets.
    expect(new Set(optimised.map((f) => f.tr)).size).toBeGreaterThan(1);
    expect(optimised.at(-1)!.loss).toBeLessThan(optimised[0]!.loss);
    expect(optimised.at(-1)!.featureCorrelation).toBeGreaterThan(0.9);
    // The last trial was worked out to its bound before the stream completed.
    const trial1 = out.filter((f) => f.trial === 1);
    expect(trial1[0]!.iteration).toBe(0);
    expect(trial1.at(-1)!.iteration).toBe(60);
    expect((worker as ReconstructionWorker | null)!.state).toBe('closed');
  });
});
