/**
 * The worker's schedule (switchMap inside the worker): work on the newest estimate only, one
 * iteration at a time, yielding to the event loop between iterations so that a newer estimate,
 * posted meanwhile, is seen before the next one; frames every few iterations or milliseconds, each
 * measured by the forward pass of the iteration that follows it (no extra pass), and the final
 * image of an estimate; idle after a bounded number of iterations per estimate. Free of worker_threads and of tfjs, so
 * tests drive it in-process with a fake inverter.
 */
import { asBoldstreamError, type ErrorCode } from '../../errors.js';
import type { Estimate } from '../invert/estimate.js';
import type { InversionStep } from '../invert/inverter.js';
import type { FramePolicy } from './protocol.js';

/** What the loop needs of an Inverter. */
export interface SteppingInverter {
  setTarget(estimate: Estimate): { warm: boolean };
  iterate(n: number): void;
  /** One iteration; returns the image it started from, measured in its own forward pass. */
  iterateObserved(): InversionStep;
  evaluate(): Omit<InversionStep, 'iteration'>;
  readonly iteration: number;
}

export interface Job {
  readonly trial: number;
  readonly version: number;
  readonly estimate: Estimate;
}

export interface LoopOutput {
  frame(job: Job, step: InversionStep): void;
  idle(job: Job, iteration: number): void;
  error(code: ErrorCode, message: string, job: Job): void;
}

export interface LoopOptions {
  readonly policy: FramePolicy;
  readonly now?: () => number;
  /** Lets queued messages in; default: the next turn of the event loop (setImmediate). */
  readonly yieldToEvents?: () => Promise<void>;
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class ReconstructionLoop {
  private pending: Job | null = null;
  private wake: (() => void) | null = null;
  private stopped = false;
  private readonly finished: Promise<void>;
  private readonly now: () => number;
  private readonly yieldToEvents: () => Promise<void>;

  constructor(
    private readonly inverter: SteppingInverter,
    private readonly output: LoopOutput,
    private readonly options: LoopOptions,
  ) {
    this.now = options.now ?? (() => performance.now());
    this.yieldToEvents = options.yieldToEvents ?? nextTurn;
    this.finished = this.run();
  }

  /** The newest job replaces any older one not yet started, and cuts short the one being worked on. */
  submit(job: Job): void {
    this.pending = job;
    this.wake?.();
  }

  /** Stops after the current iteration; resolves when the loop has ended. */
  stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    return this.finished;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const job = this.pending;
      if (!job) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = null;
        continue;
      }
      this.pending = null;
      try {
        await this.work(job);
      } catch (thrown) {
        // An estimate that does not fit the space, or a backend failure on this one: report, go on with the next.
        const error = asBoldstreamError(thrown);
        this.output.error(error.code, error.message, job);
      }
    }
  }

  private async work(job: Job): Promise<void> {
    const { policy } = this.options;
    this.inverter.setTarget(job.estimate);
    let done = 0;
    let sinceFrame = 0;
    let lastFrameAt = this.now();
    while (done < policy.maxIterationsPerEstimate) {
      if (this.stopped || this.pending) return;
      // A frame is due for the image reached so far: the next iteration measures it on its way.
      const due = sinceFrame >= policy.frameEveryIterations || (sinceFrame > 0 && this.now() - lastFrameAt >= policy.frameEveryMs);
      if (due) {
        // The frame's image is complete now; its cadence counts from here, not from when it is sent.
        lastFrameAt = this.now();
        this.output.frame(job, this.inverter.iterateObserved());
        sinceFrame = 0;
      } else {
        this.inverter.iterate(1);
      }
      done += 1;
      sinceFrame += 1;
      await this.yieldToEvents();
    }
    // The image the estimate's work ends on is shown as it is: one forward pass, once per estimate.
    if (this.stopped || this.pending) return;
    this.output.frame(job, { ...this.inverter.evaluate(), iteration: this.inverter.iteration });
    this.output.idle(job, this.inverter.iteration);
  }
}
