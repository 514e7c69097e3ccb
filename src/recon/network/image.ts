/**
 * Stimulus images from disk as the feature spaces take them: RGB float32 in [0, 1], interleaved
 * [size, size, 3], square.
 *
 * Values are the file's 8-bit sRGB codes divided by 255, with no gamma decoding: the pretrained
 * CNNs were trained on exactly such values. A non-square picture is cropped to its centred square
 * (stimuli are shown square and centred in the studies this follows, and stretching would change
 * the shapes the network sees); transparency is composited over the screen background.
 */
import { readFile } from 'node:fs/promises';
import { PNG } from 'pngjs';
import { BoldstreamError } from '../../errors.js';
import { centreSquare, resizeArea } from './area.js';

export interface LoadImageOptions {
  /** Grey level in [0, 1] that transparent pixels show; default 0.5, a mid-grey stimulus screen. */
  readonly background?: number;
}

/** Reads a PNG and returns its centred square, area-resampled to `size` × `size`. */
export async function loadImage(path: string, size: number, options: LoadImageOptions = {}): Promise<Float32Array> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (thrown) {
    throw new BoldstreamError('INPUT_NOT_FOUND', `${path}: ${(thrown as NodeJS.ErrnoException).code ?? String(thrown)}`, { cause: thrown });
  }
  return decodeImage(bytes, size, options, path);
}

/** The same as loadImage, for PNG bytes already in memory. */
export function decodeImage(bytes: Buffer, size: number, options: LoadImageOptions = {}, label = 'PNG'): Float32Array {
  if (!(Number.isInteger(size) && size >= 1)) throw new RangeError(`image size must be a positive integer, not ${size}`);
  let png: PNG;
  try {
    // pngjs expands every colour type and bit depth to 8-bit RGBA.
    png = PNG.sync.read(bytes);
  } catch (thrown) {
    throw new BoldstreamError('STIMULUS_IMAGE_INVALID', `${label}: ${thrown instanceof Error ? thrown.message : String(thrown)}`, { cause: thrown });
  }
  const { width, height } = png;
  const background = options.background ?? 0.5;
  const rgb = new Float32Array(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    const alpha = png.data[4 * p + 3]! / 255;
    for (let c = 0; c < 3; c++) rgb[3 * p + c] = (png.data[4 * p + c]! / 255) * alpha + background * (1 - alpha);
  }
  const square = centreSquare(rgb, height, width, 3);
  return square.size === size ? square.data : resizeArea(square.data, square.size, square.size, 3, size, size);
}

/** Side of a square interleaved RGB image of `length` values, or null when it is not one. */
export function squareSide(length: number): number | null {
  const side = Math.round(Math.sqrt(length / 3));
  return side >= 1 && side * side * 3 === length ? side : null;
}
