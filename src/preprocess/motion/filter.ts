/**
 * Separable filtering of a volume along one axis with a symmetric 3- or 5-tap kernel, optionally
 * keeping every second sample: the per-TR cost of the registration images, so it is written for speed.
 * A volume with only finite values takes a fast path: along i each line is filtered directly, and along
 * j and k whole rows and planes are combined, so the inner loops run over contiguous memory. A volume
 * with a non-finite voxel (K22) takes a general path that renormalises the kernel over the finite
 * taps. Edges are renormalised over the taps inside the volume on both paths.
 */
import type { Dims } from './pyramid.js';

/** Burt & Adelson's binomial [1 4 6 4 1]/16, for halving an axis. */
export const REDUCE_TAPS = Float64Array.of(1 / 16, 4 / 16, 6 / 16, 4 / 16, 1 / 16);

/** [1 2 1]/4: zero response at the Nyquist frequency, where trilinear interpolation errs most. */
export const SMOOTH_TAPS = Float64Array.of(1 / 4, 2 / 4, 1 / 4);

export function filterAxis(
  data: Float32Array,
  dims: Dims,
  axis: 0 | 1 | 2,
  taps: Float64Array,
  decimate: boolean,
  finite: boolean,
  scratch?: Float32Array,
): { data: Float32Array; dims: Dims } {
  const step = decimate ? 2 : 1;
  const n = dims[axis];
  const m = decimate ? Math.ceil(n / 2) : n;
  const outDims = [0, 1, 2].map((a) => (a === axis ? m : dims[a]!)) as unknown as Dims;
  // The volume seen as [outer][n][inner] with the filtered axis in the middle.
  const inner = axis === 0 ? 1 : axis === 1 ? dims[0] : dims[0] * dims[1];
  const outer = axis === 0 ? dims[1] * dims[2] : axis === 1 ? dims[2] : 1;
  const size = outer * m * inner;
  const out = scratch !== undefined && scratch.length >= size ? scratch.subarray(0, size) : new Float32Array(size);
  if (!finite) general(data, out, taps, step, n, m, inner, outer);
  else if (inner > 1) alongRows(data, out, taps, step, n, m, inner, outer);
  else if (step === 1 && taps.length === 3) smoothLines(data, out, taps, n, outer);
  else alongLines(data, out, taps, step, n, m, outer);
  return { data: out, dims: outDims };
}

/** A 3-tap kernel along contiguous lines, the most frequent pass (every TR, whole volume). */
function smoothLines(data: Float32Array, out: Float32Array, taps: Float64Array, n: number, lines: number): void {
  const side = taps[0]!, mid = taps[1]!;
  const edge = 1 / (side + mid);
  for (let line = 0, b = 0; line < lines; line++, b += n) {
    if (n === 1) {
      out[b] = data[b]!;
      continue;
    }
    out[b] = (mid * data[b]! + side * data[b + 1]!) * edge;
    for (let p = b + 1, end = b + n - 1; p < end; p++) out[p] = side * (data[p - 1]! + data[p + 1]!) + mid * data[p]!;
    out[b + n - 1] = (side * data[b + n - 2]! + mid * data[b + n - 1]!) * edge;
  }
}

function alongLines(data: Float32Array, out: Float32Array, taps: Float64Array, step: number, n: number, m: number, lines: number): void {
  const half = (taps.length - 1) >> 1;
  for (let line = 0; line < lines; line++) {
    const src = line * n, dst = line * m;
    for (let q = 0; q < m; q++) {
      const c = q * step;
      const lo = Math.max(-half, -c), hi = Math.min(half, n - 1 - c);
      let s = 0, w = 0;
      for (let t = lo; t <= hi; t++) {
        s += taps[t + half]! * data[src + c + t]!;
        w += taps[t + half]!;
      }
      out[dst + q] = s / w;
    }
  }
}

function alongRows(data: Float32Array, out: Float32Array, taps: Float64Array, step: number, n: number, m: number, inner: number, outer: number): void {
  const half = (taps.length - 1) >> 1;
  const w0 = taps[half]!, w1 = taps[half + 1]!, w2 = half === 2 ? taps[half + 2]! : 0;
  for (let o = 0; o < outer; o++) {
    for (let q = 0; q < m; q++) {
      const c = q * step;
      const dst = (o * m + q) * inner;
      const src = (o * n + c) * inner; // row c; taps at src + t·inner
      if (c >= half && c + half < n) {
        // Interior: all taps in one expression, so each output is written once.
        if (half === 1) {
          for (let x = 0; x < inner; x++) out[dst + x] = w1 * (data[src + x - inner]! + data[src + x + inner]!) + w0 * data[src + x]!;
        } else {
          const i2 = 2 * inner;
          for (let x = 0; x < inner; x++) {
            const p = src + x;
            out[dst + x] = w2 * (data[p - i2]! + data[p + i2]!) + w1 * (data[p - inner]! + data[p + inner]!) + w0 * data[p]!;
          }
        }
        continue;
      }
      const lo = Math.max(-half, -c), hi = Math.min(half, n - 1 - c);
      let norm = 0;
      for (let t = lo; t <= hi; t++) norm += taps[t + half]!;
      for (let x = 0; x < inner; x++) {
        let sum = 0;
        for (let t = lo; t <= hi; t++) sum += taps[t + half]! * data[src + t * inner + x]!;
        out[dst + x] = sum / norm;
      }
    }
  }
}

function general(data: Float32Array, out: Float32Array, taps: Float64Array, step: number, n: number, m: number, inner: number, outer: number): void {
  const half = (taps.length - 1) >> 1;
  for (let o = 0; o < outer; o++) {
    for (let x = 0; x < inner; x++) {
      for (let q = 0; q < m; q++) {
        const c = q * step;
        let s = 0, w = 0;
        for (let t = -half; t <= half; t++) {
          if (c + t < 0 || c + t >= n) continue;
          const v = data[(o * n + c + t) * inner + x]!;
          if (v - v !== 0) continue;
          s += taps[t + half]! * v;
          w += taps[t + half]!;
        }
        out[(o * m + q) * inner + x] = w > 0 ? s / w : NaN;
      }
    }
  }
}
