/**
 * The instant first frame of a trial: its decoded pixels layer, upsampled to the image size. It
 * needs no network and no optimisation, so a trial's first picture goes out at once, and it is where
 * the optimiser starts: it already holds the decoded layout of light and dark, which CNN features
 * constrain only weakly (docs/reconstruction.md has the numbers against a grey start).
 *
 * The result is `pixelsToImage(…, { interpolation: 'bilinear' })` of the network module, computed
 * separably with per-axis weights made once: that function samples per output pixel and took 37 ms
 * at 224 px RGB, too long for the main thread, where this runs between two TRs; this takes ~1 ms.
 */
import { pearson } from './correlation.js';
import { pixelsGrid, type Estimate } from './estimate.js';

/** RGB [size, size, 3] in [0, 1], interleaved, bilinear from the decoded pixels grid. */
export function instantImage(estimate: Estimate, size: number): Float32Array {
  const grid = pixelsGrid(estimate);
  return upsampleBilinear(grid.values, grid.size, grid.color === 'gray' ? 1 : 3, size);
}

interface AxisWeights {
  readonly lo: Int32Array;
  readonly hi: Int32Array;
  readonly t: Float32Array;
}

/** Pixel-centre aligned (half-pixel) bilinear positions, clamped at the borders, as pixelsToImage samples. */
function axisWeights(from: number, to: number): AxisWeights {
  const lo = new Int32Array(to);
  const hi = new Int32Array(to);
  const t = new Float32Array(to);
  for (let o = 0; o < to; o++) {
    const pos = Math.min(from - 1, Math.max(0, ((o + 0.5) * from) / to - 0.5));
    lo[o] = Math.floor(pos);
    hi[o] = Math.min(from - 1, lo[o]! + 1);
    t[o] = pos - lo[o]!;
  }
  return { lo, hi, t };
}

/** [size, size, channels] grid → RGB [outSize, outSize, 3], clamped to [0, 1]; grey fills all three channels. */
export function upsampleBilinear(values: Float32Array, size: number, channels: 1 | 3, outSize: number): Float32Array {
  const w = axisWeights(size, outSize);
  // Rows first: [size rows, outSize columns, channels], then columns of that.
  const rows = new Float32Array(size * outSize * channels);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < outSize; x++) {
      const a = (y * size + w.lo[x]!) * channels;
      const b = (y * size + w.hi[x]!) * channels;
      const t = w.t[x]!;
      for (let c = 0; c < channels; c++) rows[(y * outSize + x) * channels + c] = values[a + c]! * (1 - t) + values[b + c]! * t;
    }
  }
  const image = new Float32Array(outSize * outSize * 3);
  for (let y = 0; y < outSize; y++) {
    const a = w.lo[y]! * outSize;
    const b = w.hi[y]! * outSize;
    const t = w.t[y]!;
    for (let x = 0; x < outSize; x++) {
      for (let c = 0; c < 3; c++) {
        const ch = channels === 1 ? 0 : c;
        const v = rows[(a + x) * channels + ch]! * (1 - t) + rows[(b + x) * channels + ch]! * t;
        // Decoded features stray outside the displayable range; a picture cannot.
        image[(y * outSize + x) * 3 + c] = v < 0 ? 0 : v > 1 ? 1 : v;
      }
    }
  }
  return image;
}

/**
 * Loss and feature correlation of the instant frame, on the decoded pixels grid it is drawn from
 * (the CNN layers are not computed on the main thread): the frame differs from that grid only where
 * clamping to [0, 1] changed it, so the loss is ~0 and the correlation ~1 unless the decoded values
 * stray far out of range.
 */
export function instantScores(estimate: Estimate): { loss: number; featureCorrelation: number } {
  const { values } = pixelsGrid(estimate);
  const clamped = values.map((v) => (v < 0 ? 0 : v > 1 ? 1 : v));
  let distance = 0;
  let norm = 0;
  for (let i = 0; i < values.length; i++) {
    distance += (clamped[i]! - values[i]!) ** 2;
    norm += values[i]! ** 2;
  }
  return { loss: norm > 0 ? distance / norm : 0, featureCorrelation: pearson(clamped, values) };
}
