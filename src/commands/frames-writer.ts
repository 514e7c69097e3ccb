/**
 * Reconstruction frames to disk, in the layout `boldstream evaluate --frames` reads
 * (evaluate/frames.ts):
 *
 *   OUT.frames/
 *     frames.jsonl          one line per frame: {trial, tr, iteration, loss, featureCorrelation,
 *                           stim_file, file, space, width, height, elapsedMs}
 *     trial-<i>/iter-<n>.png
 *
 * Writes are chained, so lines keep the order frames came in and `close()` waits for all of them.
 * A frame of an iteration already written (a trial's instant frames after a worker failure) replaces
 * the PNG and gets a new line: the evaluator keeps the latest, which is what a viewer was left with.
 */
import { appendFile, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BoldstreamError } from '../errors.js';
import { FRAMES_INDEX } from '../evaluate/frames.js';
import type { Frame } from '../generated/boldstream.js';

/** The frames folder beside a records file: OUT.jsonl → OUT.frames (evaluate finds it from either name). */
export function framesDirFor(out: string): string {
  return `${out.replace(/\.jsonl$/i, '')}.frames`;
}

export class FramesWriter {
  private chain: Promise<void> = Promise.resolve();
  private failure: Error | null = null;
  private readonly trialsMade = new Set<number>();
  private count = 0;

  private constructor(readonly dir: string) {}

  /**
   * Opens `dir`, leaving out what an earlier run wrote there: the evaluator also reads PNGs that
   * are not in the index, so stale trials would be scored as this run's.
   */
  static async open(dir: string): Promise<FramesWriter> {
    try {
      await mkdir(dir, { recursive: true });
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        if ((entry.isDirectory() && /^trial-\d+$/.test(entry.name)) || entry.name === FRAMES_INDEX) await rm(path.join(dir, entry.name), { recursive: true, force: true });
      }
      await writeFile(path.join(dir, FRAMES_INDEX), '');
    } catch (thrown) {
      throw new BoldstreamError('OUTPUT_NOT_WRITABLE', `${dir}: ${(thrown as NodeJS.ErrnoException).code ?? String(thrown)}`, { cause: thrown });
    }
    return new FramesWriter(dir);
  }

  /** Frames written so far, and the trials they belong to. */
  get written(): { frames: number; trials: number } {
    return { frames: this.count, trials: this.trialsMade.size };
  }

  write(frame: Frame): void {
    this.chain = this.chain.then(() => this.save(frame)).catch((thrown: unknown) => {
      // The first failure is kept for close(); later frames are not attempted.
      this.failure ??= thrown instanceof Error ? thrown : new Error(String(thrown));
    });
  }

  /** Waits for every frame to be on disk; throws OUTPUT_NOT_WRITABLE when one could not be written. */
  async close(): Promise<void> {
    await this.chain;
    if (this.failure) throw new BoldstreamError('OUTPUT_NOT_WRITABLE', `${this.dir}: ${this.failure.message}`, { cause: this.failure });
  }

  private async save(frame: Frame): Promise<void> {
    if (this.failure) return;
    const file = path.join(`trial-${frame.trial}`, `iter-${frame.iteration}.png`);
    if (!this.trialsMade.has(frame.trial)) {
      await mkdir(path.join(this.dir, `trial-${frame.trial}`), { recursive: true });
      this.trialsMade.add(frame.trial);
    }
    await writeFile(path.join(this.dir, file), frame.png);
    const line = {
      trial: frame.trial,
      tr: frame.tr,
      iteration: frame.iteration,
      loss: frame.loss,
      featureCorrelation: frame.featureCorrelation,
      stim_file: frame.stim_file ?? null,
      file,
      space: frame.space,
      width: frame.width,
      height: frame.height,
      elapsedMs: Math.round(frame.elapsedMs * 10) / 10,
    };
    await appendFile(path.join(this.dir, FRAMES_INDEX), `${JSON.stringify(line)}\n`);
    this.count += 1;
  }
}
