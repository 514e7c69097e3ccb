/**
 * The pixels of frames, read once each, and the frame a viewer saw at a given iteration.
 *
 * Frames are written while the optimiser runs, so the last PNG of a session that was killed can be
 * cut short. Such a frame is skipped with a warning and the trial's previous frame stands in: it is
 * the image the viewer was left with.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { loadImage } from '../recon/network/index.js';
import type { FrameFile } from './frames.js';

export interface ShownFrame {
  readonly frame: FrameFile;
  /** RGB [size, size, 3] in [0, 1]. */
  readonly pixels: Float32Array;
}

export class FrameImages {
  private readonly cache = new Map<string, Float32Array | null>();

  constructor(
    private readonly dir: string,
    readonly size: number,
    private readonly warn: (message: string) => void,
  ) {}

  /** The latest readable frame at or before `iteration` (the earliest readable one when none is that early). */
  async at(frames: readonly FrameFile[], iteration = Number.POSITIVE_INFINITY): Promise<ShownFrame | null> {
    const early = frames.filter((f) => f.iteration <= iteration).reverse();
    for (const frame of early.length > 0 ? early : frames) {
      const pixels = await this.pixels(frame);
      if (pixels) return { frame, pixels };
    }
    return null;
  }

  private async pixels(frame: FrameFile): Promise<Float32Array | null> {
    if (!this.cache.has(frame.file)) {
      try {
        this.cache.set(frame.file, await loadImage(frame.file, this.size));
      } catch (thrown) {
        this.warn(`${path.relative(this.dir, frame.file)} cannot be read (${thrown instanceof Error ? thrown.message : String(thrown)}); the trial's previous frame is used`);
        this.cache.set(frame.file, null);
      }
    }
    return this.cache.get(frame.file)!;
  }
}

/**
 * Side of the square a frame is read as (its shorter side, as loadImage crops), from the PNG header
 * (IHDR follows the 8-byte signature: length, type, width, height); null when it is not a PNG.
 */
export async function pngSide(file: string): Promise<number | null> {
  const bytes = await readFile(file).catch(() => null);
  if (!bytes || bytes.length < 24 || bytes.toString('latin1', 12, 16) !== 'IHDR') return null;
  return Math.min(bytes.readUInt32BE(16), bytes.readUInt32BE(20));
}
