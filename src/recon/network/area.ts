/**
 * Area-averaging resampling: each output pixel is the mean of the input over the square it covers,
 * partial pixels weighted by the part covered (a box filter of the output pixel's size).
 *
 * Why area and not bilinear: downsampling a stimulus by a large factor (a 500 px PNG to 32 px
 * features) with bilinear interpolation reads 4 input pixels per output pixel and aliases fine
 * patterns; averaging what the pixel covers is what a low-resolution view of the image means. The
 * same weights, as a matrix, give the differentiable downsampling of the pixels feature space.
 */

/** One output pixel's footprint on the input axis: the first input index and a weight per input. */
export interface Footprint {
  readonly start: number;
  readonly weights: Float32Array;
}

/** Footprints of `to` output pixels over `from` input pixels; weights of each sum to 1. */
export function areaFootprints(from: number, to: number): Footprint[] {
  if (!(from >= 1 && to >= 1)) throw new RangeError(`sizes must be positive (from ${from}, to ${to})`);
  const step = from / to;
  const footprints: Footprint[] = [];
  for (let o = 0; o < to; o++) {
    const lo = o * step;
    const hi = (o + 1) * step;
    const start = Math.floor(lo);
    const end = Math.min(from, Math.ceil(hi - 1e-9));
    const weights = new Float32Array(end - start);
    for (let i = start; i < end; i++) weights[i - start] = (Math.min(hi, i + 1) - Math.max(lo, i)) / step;
    footprints.push({ start, weights });
  }
  return footprints;
}

/** The footprints as a dense row-major [to, from] matrix (for matrix products on tensors). */
export function areaMatrix(from: number, to: number): Float32Array {
  const matrix = new Float32Array(to * from);
  areaFootprints(from, to).forEach((f, o) => matrix.set(f.weights, o * from + f.start));
  return matrix;
}

/** Resamples interleaved [height, width, channels] data to [outHeight, outWidth, channels]. */
export function resizeArea(data: Float32Array, height: number, width: number, channels: number, outHeight: number, outWidth: number): Float32Array {
  if (data.length !== height * width * channels) throw new RangeError(`data holds ${data.length} values, not ${height}×${width}×${channels}`);
  const rows = areaFootprints(height, outHeight);
  const cols = areaFootprints(width, outWidth);
  // Rows first into [outHeight, width, channels], then columns: separable, so each pass is cheap.
  const tmp = new Float32Array(outHeight * width * channels);
  rows.forEach(({ start, weights }, o) => {
    const out = o * width * channels;
    weights.forEach((w, k) => {
      const src = (start + k) * width * channels;
      for (let i = 0; i < width * channels; i++) tmp[out + i]! += w * data[src + i]!;
    });
  });
  const result = new Float32Array(outHeight * outWidth * channels);
  for (let y = 0; y < outHeight; y++) {
    cols.forEach(({ start, weights }, o) => {
      const out = (y * outWidth + o) * channels;
      weights.forEach((w, k) => {
        const src = (y * width + start + k) * channels;
        for (let c = 0; c < channels; c++) result[out + c]! += w * tmp[src + c]!;
      });
    });
  }
  return result;
}

/** The centred square of interleaved image data (the largest one that fits). */
export function centreSquare(data: Float32Array, height: number, width: number, channels: number): { data: Float32Array; size: number } {
  const size = Math.min(height, width);
  if (size === height && size === width) return { data, size };
  const top = Math.floor((height - size) / 2);
  const left = Math.floor((width - size) / 2);
  const out = new Float32Array(size * size * channels);
  for (let y = 0; y < size; y++) {
    const src = ((top + y) * width + left) * channels;
    out.set(data.subarray(src, src + size * channels), y * size * channels);
  }
  return { data: out, size };
}
