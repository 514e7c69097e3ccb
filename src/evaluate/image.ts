/**
 * Images as the image metrics take them, and the per-image pixel correlation.
 *
 * Pixel correlation is the Pearson correlation of all pixel values of a reconstruction with those of
 * its stimulus (every channel, flattened): the pattern correlation of pixel space, the low-level
 * measure of Shen et al. 2019 (alongside human judgement, which a server cannot give).
 */
import { pearson } from './correlation.js';
import type { Values } from './matrix.js';
import { scoreOf, type Score } from './score.js';

/** Interleaved [height, width, channels], row-major; values usually in [0, 1]. */
export interface Image {
  readonly data: Values;
  readonly width: number;
  readonly height: number;
  /** 1 (grey) or 3 (RGB); any count works for the metrics. */
  readonly channels: number;
}

export function image(data: Values, width: number, height: number, channels: number): Image {
  if (data.length !== width * height * channels) throw new RangeError(`${data.length} values are not ${width}×${height}×${channels}`);
  return { data, width, height, channels };
}

export function assertSameImageShape(a: Image, b: Image): void {
  if (a.width !== b.width || a.height !== b.height || a.channels !== b.channels) {
    throw new RangeError(`images of ${a.width}×${a.height}×${a.channels} and ${b.width}×${b.height}×${b.channels} cannot be compared; resize one first`);
  }
}

// ITU-R BT.601 luma, as the pixels feature space and most image tools take grey.
const LUMA = [0.299, 0.587, 0.114] as const;

/** An RGB image as one grey channel (BT.601 luma); a grey image is returned as it is. */
export function toGray(rgb: Image): Image {
  if (rgb.channels === 1) return rgb;
  if (rgb.channels !== 3) throw new RangeError(`an image of ${rgb.channels} channels is not RGB`);
  const n = rgb.width * rgb.height;
  const out = new Float64Array(n);
  for (let p = 0; p < n; p++) out[p] = LUMA[0] * rgb.data[3 * p]! + LUMA[1] * rgb.data[3 * p + 1]! + LUMA[2] * rgb.data[3 * p + 2]!;
  return { data: out, width: rgb.width, height: rgb.height, channels: 1 };
}

/** Pearson correlation over every pixel value; NaN when either image is flat. */
export function pixelCorrelation(decoded: Image, truth: Image): number {
  assertSameImageShape(decoded, truth);
  return pearson(decoded.data, truth.data);
}

/** One metric over pairs of images (decoded[i] against truth[i]), as a Score over images. */
export function imageScores(decoded: readonly Image[], truth: readonly Image[], metric: (decoded: Image, truth: Image) => number): Score {
  if (decoded.length !== truth.length) throw new RangeError(`${decoded.length} decoded images for ${truth.length} true ones`);
  return scoreOf(Float64Array.from(decoded, (d, i) => metric(d, truth[i]!)));
}
