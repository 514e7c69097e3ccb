/**
 * A stimulus image in memory: square, RGB interleaved, values in [0, 1], mid-grey (0.5) being the
 * blank screen between trials. Generators draw in RGB; grey stimuli are made by `toGrey`, so every
 * kind exists in both modes from the same seed.
 */

export interface Picture {
  /** Width and height in pixels. */
  readonly size: number;
  /** Row-major (top row first), RGB interleaved: pixel (x, y) channel c is data[3 * (y * size + x) + c]. */
  readonly data: Float32Array;
}

export type Rgb = readonly [number, number, number];

export type ColourMode = 'rgb' | 'grey';

/** The blank screen: every trial's image is shown on it, and between trials only it is seen. */
export const BACKGROUND = 0.5;

export function filled(size: number, colour: Rgb = [BACKGROUND, BACKGROUND, BACKGROUND]): Picture {
  const data = new Float32Array(size * size * 3);
  for (let p = 0; p < size * size; p++) data.set(colour, 3 * p);
  return { size, data };
}

/** Rec. 601 luma: what a grey PNG of the image shows, and what the encoding model calls luminance. */
export function luminanceOf(r: number, g: number, b: number): number {
  return 0.299 * r + 0.587 * g + 0.114 * b;
}

export function luminance(picture: Picture): Float32Array {
  const n = picture.size * picture.size;
  const out = new Float32Array(n);
  const d = picture.data;
  for (let p = 0; p < n; p++) out[p] = luminanceOf(d[3 * p]!, d[3 * p + 1]!, d[3 * p + 2]!);
  return out;
}

export function toGrey(picture: Picture): Picture {
  const lum = luminance(picture);
  const data = new Float32Array(lum.length * 3);
  for (let p = 0; p < lum.length; p++) data[3 * p] = data[3 * p + 1] = data[3 * p + 2] = lum[p]!;
  return { size: picture.size, data };
}

/**
 * Clipped to [0, 1] and rounded to the 256 levels a PNG holds: the encoding model must see exactly
 * the image that training reads back from disk, or the simulated brain would respond to detail that
 * no decoder can be given.
 */
export function quantised(picture: Picture): Picture {
  const data = new Float32Array(picture.data.length);
  for (let i = 0; i < data.length; i++) {
    const v = picture.data[i]!;
    data[i] = Math.round((v < 0 ? 0 : v > 1 ? 1 : v) * 255) / 255;
  }
  return { size: picture.size, data };
}

/** Area-weighted resampling to `size` × `size`: each output pixel averages the input area it covers. */
export function resized(picture: Picture, size: number): Picture {
  if (size === picture.size) return picture;
  const from = picture.size;
  const scale = from / size;
  const out = new Float32Array(size * size * 3);
  // Overlap of output cell [o·scale, (o+1)·scale) with input pixel i, per axis.
  const weights = Array.from({ length: size }, (_, o) => {
    const lo = o * scale, hi = (o + 1) * scale;
    const list: [number, number][] = [];
    for (let i = Math.floor(lo); i < Math.min(from, Math.ceil(hi)); i++) list.push([i, (Math.min(hi, i + 1) - Math.max(lo, i)) / scale]);
    return list;
  });
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const o = 3 * (y * size + x);
      for (const [iy, wy] of weights[y]!) {
        for (const [ix, wx] of weights[x]!) {
          const w = wy * wx, s = 3 * (iy * from + ix);
          out[o]! += w * picture.data[s]!;
          out[o + 1]! += w * picture.data[s + 1]!;
          out[o + 2]! += w * picture.data[s + 2]!;
        }
      }
    }
  }
  return { size, data: out };
}
