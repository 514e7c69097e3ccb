/**
 * Structural similarity (Wang, Bovik, Sheikh & Simoncelli 2004, IEEE Trans Image Process 13:600):
 * luminance, contrast and structure compared in a Gaussian window around every pixel,
 *
 *   SSIM = (2 μx μy + C1)(2 σxy + C2) / ((μx² + μy² + C1)(σx² + σy² + C2)),  C1 = (K1 L)², C2 = (K2 L)²
 *
 * with σ = 1.5 px, K1 = 0.01, K2 = 0.03, L the data range (1 for images in [0, 1]), averaged over
 * the pixels whose window lies inside the image. The window is scipy's: truncated at 3.5σ (11
 * taps), borders mirrored half-sample ("reflect"), weighted (population) moments as in the paper.
 * This is scikit-image's `structural_similarity(gaussian_weights=True, sigma=1.5,
 * use_sample_covariance=False, data_range=1)`; `sampleCovariance: true` gives its default, which
 * scales the moments by N/(N − 1) with N = 121. RGB is scored channel by channel and averaged, as
 * scikit-image does with `channel_axis`; pass `toGray(image)` for a luma-only score.
 */
import { assertSameImageShape, type Image } from './image.js';

export interface SsimOptions {
  /** L, the range of the pixel values; default 1. */
  readonly dataRange?: number;
  /** Gaussian window σ in pixels; default 1.5. */
  readonly sigma?: number;
  readonly k1?: number;
  readonly k2?: number;
  /** Scale variances by N/(N − 1) as scikit-image does by default; default false (Wang et al.). */
  readonly sampleCovariance?: boolean;
}

const TRUNCATE = 3.5;

export function ssim(decoded: Image, truth: Image, options: SsimOptions = {}): number {
  assertSameImageShape(decoded, truth);
  const sigma = options.sigma ?? 1.5;
  const radius = Math.trunc(TRUNCATE * sigma + 0.5);
  const win = 2 * radius + 1;
  if (decoded.width < win || decoded.height < win) {
    throw new RangeError(`SSIM with σ = ${sigma} needs images of at least ${win}×${win} px, not ${decoded.width}×${decoded.height}`);
  }
  let sum = 0;
  for (let c = 0; c < decoded.channels; c++) sum += ssimPlane(plane(decoded, c), plane(truth, c), decoded.width, decoded.height, radius, sigma, options);
  return sum / decoded.channels;
}

function plane(im: Image, channel: number): Float64Array {
  const n = im.width * im.height;
  const out = new Float64Array(n);
  for (let p = 0; p < n; p++) out[p] = im.data[p * im.channels + channel]!;
  return out;
}

function ssimPlane(x: Float64Array, y: Float64Array, width: number, height: number, radius: number, sigma: number, options: SsimOptions): number {
  const L = options.dataRange ?? 1;
  const c1 = ((options.k1 ?? 0.01) * L) ** 2;
  const c2 = ((options.k2 ?? 0.03) * L) ** 2;
  const taps = (2 * radius + 1) ** 2;
  const norm = options.sampleCovariance ? taps / (taps - 1) : 1;
  const weights = gaussianWeights(radius, sigma);
  const blur = (v: Float64Array): Float64Array => gaussianFilter(v, width, height, weights, radius);
  const product = (a: Float64Array, b: Float64Array): Float64Array => a.map((v, i) => v * b[i]!);
  const ux = blur(x);
  const uy = blur(y);
  const uxx = blur(product(x, x));
  const uyy = blur(product(y, y));
  const uxy = blur(product(x, y));
  let sum = 0;
  let count = 0;
  // Only pixels whose whole window lies inside the image: the mirrored border is not the picture.
  for (let r = radius; r < height - radius; r++) {
    for (let q = radius; q < width - radius; q++) {
      const p = r * width + q;
      const mx = ux[p]!;
      const my = uy[p]!;
      const vx = norm * (uxx[p]! - mx * mx);
      const vy = norm * (uyy[p]! - my * my);
      const vxy = norm * (uxy[p]! - mx * my);
      sum += ((2 * mx * my + c1) * (2 * vxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2));
      count++;
    }
  }
  return sum / count;
}

/** scipy.ndimage's 1-D Gaussian: exp(−x²/2σ²) on −r..r, normalised to sum 1. */
function gaussianWeights(radius: number, sigma: number): Float64Array {
  const w = Float64Array.from({ length: 2 * radius + 1 }, (_, k) => Math.exp((-0.5 * (k - radius) ** 2) / (sigma * sigma)));
  const total = w.reduce((a, b) => a + b, 0);
  return w.map((v) => v / total);
}

/** Half-sample mirror (d c b a | a b c d | d c b a); one reflection is enough when n > radius. */
const reflect = (i: number, n: number): number => (i < 0 ? -i - 1 : i >= n ? 2 * n - i - 1 : i);

/** Separable filter: along rows, then along columns. */
function gaussianFilter(v: Float64Array, width: number, height: number, w: Float64Array, radius: number): Float64Array {
  const rows = new Float64Array(v.length);
  for (let r = 0; r < height; r++) {
    for (let q = 0; q < width; q++) {
      let s = 0;
      for (let k = -radius; k <= radius; k++) s += w[k + radius]! * v[r * width + reflect(q + k, width)]!;
      rows[r * width + q] = s;
    }
  }
  const out = new Float64Array(v.length);
  for (let r = 0; r < height; r++) {
    for (let q = 0; q < width; q++) {
      let s = 0;
      for (let k = -radius; k <= radius; k++) s += w[k + radius]! * rows[reflect(r + k, height) * width + q]!;
      out[r * width + q] = s;
    }
  }
  return out;
}
