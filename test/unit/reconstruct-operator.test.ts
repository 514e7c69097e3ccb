/**
 * The reconstruct() operator's timing, on a virtual clock with a fake engine (marble tests): the
 * instant frame leaves with a trial's first estimate, in the same frame; only the newest estimate's
 * frames pass; completion waits for the newest estimate's work (or the drain deadline); a failed
 * engine leaves instant frames for every estimate; a bad estimate is reported and skipped; with a
 * hold (unpaced replays), each trial gets its iterations before the next one starts.
 */
import { asyncScheduler, map, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import type { ErrorBody } from '../../src/errors.js';
import { reconstruct, type FrameOut } from '../../src/pipeline/reconstruct.js';
import type { Estimate } from '../../src/recon/invert/estimate.js';
import type { EngineEvent, Job, ReconstructionEngine } from '../../src/recon/worker/engine.js';

/**
 * Answers each job, on the virtual clock, with a frame every `every` ms (5 iterations each) and an
 * idle after `frames` frames; like the worker, it abandons a job when a newer one comes.
 */
class FakeEngine implements ReconstructionEngine {
  readonly jobs: Job[] = [];
  closed = 0;
  private listener: ((event: EngineEvent) => void) | null = null;
  private iterations = new Map<number, number>();
  constructor(private readonly every = 10, private readonly frames = 2) {}
  submit(job: Job): void {
    this.jobs.push(job);
    const step = (k: number): void => {
      if (this.jobs.at(-1) !== job) return;
      const iteration = (this.iterations.get(job.trial) ?? 0) + 5;
      this.iterations.set(job.trial, iteration);
      this.listener?.({ type: 'frame', trial: job.trial, version: job.version, tr: job.estimate.tr, iteration, loss: 1 / iteration, featureCorrelation: 0.9, width: 8, height: 8, png: new Uint8Array(1) });
      if (k + 1 < this.frames) asyncScheduler.schedule(() => step(k + 1), this.every);
      else this.listener?.({ type: 'idle', trial: job.trial, version: job.version, iteration, memory: { heapUsedBytes: 0, externalBytes: 0, tensorBytes: 0, tensors: 0, rssBytes: 0 } });
    };
    asyncScheduler.schedule(() => step(0), this.every);
  }
  listen(listener: (event: EngineEvent) => void): () => void {
    this.listener = listener;
    return () => (this.listener = null);
  }
  fail(): void {
    this.listener?.({ type: 'error', code: 'RECON_WORKER_FAILED', message: 'gone', fatal: true });
  }
  async close(): Promise<void> {
    this.closed += 1;
  }
}

const estimate = (trial: number, tr: number): Estimate => ({ trial, tr, space: 'pixels-4-gray', layers: [{ name: 'pixels', unitIndices: null, values: new Float32Array(16).fill(0.25 + 0.1 * tr) }] });
const a = estimate(0, 0);
const b = estimate(0, 1);
const c = estimate(1, 2);
const summary = (f: FrameOut): string => `${f.trial}/${f.tr}/${f.iteration}@${f.elapsedMs}`;
const summarised = (frames: Observable<FrameOut>): Observable<string> => frames.pipe(map(summary));
const scheduler = (): TestScheduler => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('reconstruct()', () => {
  it('sends the instant frame with the first estimate of a trial, then the engine frames of the newest estimate', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const engine = new FakeEngine();
      const estimates = cold('a 24ms b 49ms |', { a, b });
      // a at 0 → instant 0/0/0 at once, frames at 10 and 20; b at 25 (same trial: no instant frame) → frames at 35, 45.
      expectObservable(summarised(estimates.pipe(reconstruct({ engine, imageSize: 8 })))).toBe('i 9ms f 9ms g 14ms h 9ms j 29ms |', {
        i: '0/0/0@0',
        f: '0/0/5@10',
        g: '0/0/10@20',
        h: '0/1/15@35',
        j: '0/1/20@45',
      });
    });
  });

  it('drops frames of an estimate that a newer one replaced, and restarts the clock for a new trial', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const engine = new FakeEngine(10, 1);
      const estimates = cold('a 4ms b 9ms c 29ms |', { a, b, c });
      // a's frame (due at 10) is dropped: b came at 5; b's frame at 15 is dropped too: c came at 15.
      expectObservable(summarised(estimates.pipe(reconstruct({ engine, imageSize: 8 })))).toBe('i 14ms k 9ms l 19ms |', {
        i: '0/0/0@0',
        k: '1/2/0@0',
        l: '1/2/5@10',
      });
    });
  });

  it('on completion, waits for the newest estimate to be worked out, or for the drain deadline', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const estimates = cold('a|', { a });
      expectObservable(summarised(estimates.pipe(reconstruct({ engine: new FakeEngine(10, 3), imageSize: 8 })))).toBe('i 9ms f 9ms g 9ms (h|)', {
        i: '0/0/0@0',
        f: '0/0/5@10',
        g: '0/0/10@20',
        h: '0/0/15@30',
      });
      expectObservable(summarised(estimates.pipe(reconstruct({ engine: new FakeEngine(10, 3), imageSize: 8, drainMs: 15 })))).toBe('i 9ms f 5ms |', { i: '0/0/0@0', f: '0/0/5@10' });
      expectObservable(summarised(estimates.pipe(reconstruct({ engine: new FakeEngine(10, 3), imageSize: 8, drainMs: 0 })))).toBe('i|', { i: '0/0/0@0' });
    });
  });

  it('makes instant frames for every estimate once the engine has failed, and reports the failure', () => {
    scheduler().run(({ cold, expectObservable, flush }) => {
      const engine = new FakeEngine(10, 1);
      const errors: (ErrorBody & { fatal: boolean })[] = [];
      const estimates = cold('a 4ms b 9ms c|', { a, b, c });
      asyncScheduler.schedule(() => engine.fail(), 2);
      expectObservable(summarised(estimates.pipe(reconstruct({ engine, imageSize: 8, onError: (e) => errors.push(e) })))).toBe('i 4ms j 9ms k|', {
        i: '0/0/0@0',
        j: '0/1/0@5',
        k: '1/2/0@0',
      });
      flush();
      expect(errors).toEqual([{ code: 'RECON_WORKER_FAILED', message: 'gone', fatal: true }]);
      expect(engine.jobs.map((j) => j.version)).toEqual([1]);
    });
  });

  it('reports an estimate without a usable pixels layer and goes on', () => {
    scheduler().run(({ cold, expectObservable, flush }) => {
      const engine = new FakeEngine(10, 1);
      const errors: string[] = [];
      const bad: Estimate = { ...b, layers: [{ name: 'pixels', unitIndices: null, values: new Float32Array(5) }] };
      const estimates = cold('x 4ms a|', { x: bad, a });
      expectObservable(summarised(estimates.pipe(reconstruct({ engine, imageSize: 8, onError: (e) => errors.push(e.code) })))).toBe('5ms i 9ms (f|)', {
        i: '0/0/0@0',
        f: '0/0/5@10',
      });
      flush();
      expect(errors).toEqual(['RECON_ESTIMATE_INVALID']);
      expect(engine.jobs).toHaveLength(1);
    });
  });

  it('with a hold (unpaced replay), a later trial waits until the current one has its iterations, newest estimate only', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const d = estimate(1, 3);
      const e = estimate(2, 4);
      // Trials 1 and 2 come within 3 ms of trial 0; trial 1's newer estimate (d) replaces c while it waits.
      const estimates = cold('acde|', { a, c, d, e });
      const hold = { minIterations: 10, maxWaitMs: 1000 };
      expectObservable(summarised(estimates.pipe(reconstruct({ engine: new FakeEngine(10, 2), imageSize: 8, holdTrials: hold })))).toBe('i 9ms f 9ms (gk) 6ms l 9ms (mn) 6ms o 9ms (p|)', {
        i: '0/0/0@0',
        f: '0/0/5@10',
        g: '0/0/10@20',
        k: '1/3/0@0',
        l: '1/3/5@10',
        m: '1/3/10@20',
        n: '2/4/0@0',
        o: '2/4/5@10',
        p: '2/4/10@20',
      });
    });
  });

  it('with a hold, a trial that gets no frames is released at its deadline', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const estimates = cold('ac|', { a, c });
      const hold = { minIterations: 50, maxWaitMs: 30 };
      expectObservable(summarised(estimates.pipe(reconstruct({ engine: new FakeEngine(100, 5), imageSize: 8, holdTrials: hold })))).toBe('i 29ms k 29ms |', {
        i: '0/0/0@0',
        k: '1/2/0@0',
      });
    });
  });

  it('closes an engine it made itself, and only that one', () => {
    scheduler().run(({ cold, flush }) => {
      const made = new FakeEngine();
      const given = new FakeEngine();
      cold('a|', { a }).pipe(reconstruct({ engine: () => made, imageSize: 8, drainMs: 0 })).subscribe();
      cold('a|', { a }).pipe(reconstruct({ engine: given, imageSize: 8, drainMs: 0 })).subscribe();
      flush();
      expect(made.closed).toBe(1);
      expect(given.closed).toBe(0);
    });
  });
});
