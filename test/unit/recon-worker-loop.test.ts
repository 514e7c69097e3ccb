/**
 * The worker's schedule, in-process with a fake inverter: frames every few iterations or
 * milliseconds and after the last iteration, idle after the bound, the newest estimate cancels the
 * rest of an older one's work, queued estimates collapse to the newest, a bad estimate is reported
 * and skipped.
 */
import { describe, expect, it } from 'vitest';
import { BoldstreamError, type ErrorCode } from '../../src/errors.js';
import type { Estimate } from '../../src/recon/invert/estimate.js';
import type { InversionStep } from '../../src/recon/invert/inverter.js';
import { ReconstructionLoop, type Job, type SteppingInverter } from '../../src/recon/worker/loop.js';
import type { FramePolicy } from '../../src/recon/worker/protocol.js';

class FakeInverter implements SteppingInverter {
  iteration = 0;
  readonly targets: Estimate[] = [];
  private trial: number | null = null;
  constructor(private readonly onIterate: () => void = () => undefined) {}
  setTarget(estimate: Estimate): { warm: boolean } {
    if (estimate.space !== 'fake') throw new BoldstreamError('RECON_ESTIMATE_INVALID', 'wrong space');
    this.targets.push(estimate);
    const warm = estimate.trial === this.trial;
    if (!warm) this.iteration = 0;
    this.trial = estimate.trial;
    return { warm };
  }
  iterate(n: number): void {
    this.iteration += n;
    this.onIterate();
  }
  iterateObserved(): InversionStep {
    const step = { ...this.evaluate(), iteration: this.iteration };
    this.iterate(1);
    return step;
  }
  evaluate(): Omit<InversionStep, 'iteration'> {
    return { image: new Float32Array(3), loss: 1 / (1 + this.iteration), featureCorrelation: 0.5 };
  }
}

const job = (trial: number, version: number, space = 'fake'): Job => ({ trial, version, estimate: { trial, tr: version, space, layers: [] } });

interface Seen {
  frames: { version: number; iteration: number }[];
  idles: { version: number; iteration: number }[];
  errors: { code: ErrorCode; version: number }[];
}

function harness(inverter: SteppingInverter, policy: FramePolicy, now?: () => number): { loop: ReconstructionLoop; seen: Seen; settled: () => Promise<void> } {
  const seen: Seen = { frames: [], idles: [], errors: [] };
  let wake: (() => void) | null = null;
  const loop = new ReconstructionLoop(
    inverter,
    {
      frame: (j, step) => seen.frames.push({ version: j.version, iteration: step.iteration }),
      idle: (j, iteration) => {
        seen.idles.push({ version: j.version, iteration });
        wake?.();
      },
      error: (code, _message, j) => {
        seen.errors.push({ code, version: j.version });
        wake?.();
      },
    },
    { policy, ...(now ? { now } : {}) },
  );
  // Resolves at the next idle or error.
  const settled = (): Promise<void> => new Promise((resolve) => (wake = resolve));
  return { loop, seen, settled };
}

describe('the reconstruction loop', () => {
  it('sends a frame every N iterations and after the last one, then idles', async () => {
    const { loop, seen, settled } = harness(new FakeInverter(), { frameEveryIterations: 5, frameEveryMs: 1e9, maxIterationsPerEstimate: 12 });
    const done = settled();
    loop.submit(job(0, 1));
    await done;
    expect(seen.frames.map((f) => f.iteration)).toEqual([5, 10, 12]);
    expect(seen.idles).toEqual([{ version: 1, iteration: 12 }]);
    await loop.stop();
  });

  it('sends a frame once frameEveryMs have passed, whatever the iteration count', async () => {
    let clock = 0;
    const inverter = new FakeInverter(() => (clock += 100));
    const { loop, seen, settled } = harness(inverter, { frameEveryIterations: 1000, frameEveryMs: 250, maxIterationsPerEstimate: 10 }, () => clock);
    const done = settled();
    loop.submit(job(0, 1));
    await done;
    expect(seen.frames.map((f) => f.iteration)).toEqual([3, 6, 9, 10]);
    await loop.stop();
  });

  it('drops the rest of an estimate when a newer one comes, and warm-starts the same trial', async () => {
    const inverter = new FakeInverter();
    const { loop, seen, settled } = harness(inverter, { frameEveryIterations: 1, frameEveryMs: 1e9, maxIterationsPerEstimate: 1000 });
    loop.submit(job(0, 1));
    while (seen.frames.length < 3) await new Promise((resolve) => setImmediate(resolve));
    const done = settled();
    loop.submit({ ...job(0, 2), estimate: { ...job(0, 2).estimate } });
    await done;
    const first = seen.frames.filter((f) => f.version === 1);
    const second = seen.frames.filter((f) => f.version === 2);
    // Version 1 never reached its bound: cut short within one iteration of the newer estimate. Each
    // frame shows the image an iteration started from, so the inverter is one iteration further.
    expect(first.length).toBeLessThan(10);
    expect(seen.idles).toEqual([{ version: 2, iteration: first.at(-1)!.iteration + 1 + 1000 }]);
    expect(second[0]!.iteration).toBe(first.at(-1)!.iteration + 2);
    await loop.stop();
  });

  it('works only on the newest of estimates that queued up meanwhile', async () => {
    const inverter = new FakeInverter();
    const { loop, seen, settled } = harness(inverter, { frameEveryIterations: 1, frameEveryMs: 1e9, maxIterationsPerEstimate: 2 });
    const done = settled();
    loop.submit(job(0, 1));
    loop.submit(job(0, 2));
    loop.submit(job(1, 3));
    await done;
    expect(inverter.targets.map((t) => t.tr)).toEqual([3]);
    expect(seen.frames).toEqual([{ version: 3, iteration: 1 }, { version: 3, iteration: 2 }]);
    await loop.stop();
  });

  it('reports an estimate that does not fit and goes on with the next', async () => {
    const inverter = new FakeInverter();
    const { loop, seen, settled } = harness(inverter, { frameEveryIterations: 1, frameEveryMs: 1e9, maxIterationsPerEstimate: 1 });
    let done = settled();
    loop.submit(job(0, 1, 'elsewhere'));
    await done;
    expect(seen.errors).toEqual([{ code: 'RECON_ESTIMATE_INVALID', version: 1 }]);
    done = settled();
    loop.submit(job(0, 2));
    await done;
    expect(seen.idles).toEqual([{ version: 2, iteration: 1 }]);
    await loop.stop();
  });

  it('stops after the current iteration', async () => {
    const inverter = new FakeInverter();
    const { loop } = harness(inverter, { frameEveryIterations: 1, frameEveryMs: 1e9, maxIterationsPerEstimate: 1e6 });
    loop.submit(job(0, 1));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await loop.stop();
    const reached = inverter.iteration;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(inverter.iteration).toBe(reached);
  });
});
