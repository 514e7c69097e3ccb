/**
 * SSIM against a numpy/scipy implementation written from Wang et al. (2004): Gaussian window σ 1.5
 * truncated at 3.5σ (scipy.ndimage.gaussian_filter, mirrored borders), K1 = 0.01, K2 = 0.03,
 * averaged over the pixels whose window lies inside — what scikit-image's
 * `structural_similarity(gaussian_weights=True)` computes (scikit-image itself is not installed).
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { image, ssim, toGray, type Image } from '../../src/evaluate/metrics.js';
import { Random } from '../../src/synth/random.js';
import { referencePython } from '../helpers/paths.js';

const NUMPY_SSIM = `
import json, sys, numpy as np
from scipy.ndimage import gaussian_filter
def ssim(x, y, sample_cov, L=1.0, K1=0.01, K2=0.03, sigma=1.5):
    f = lambda v: gaussian_filter(v, sigma=sigma, truncate=3.5, mode='reflect')
    r = int(3.5 * sigma + 0.5); N = (2 * r + 1) ** 2
    norm = N / (N - 1) if sample_cov else 1.0
    ux, uy = f(x), f(y)
    vx = norm * (f(x * x) - ux * ux); vy = norm * (f(y * y) - uy * uy); vxy = norm * (f(x * y) - ux * uy)
    C1, C2 = (K1 * L) ** 2, (K2 * L) ** 2
    S = (2 * ux * uy + C1) * (2 * vxy + C2) / ((ux ** 2 + uy ** 2 + C1) * (vx + vy + C2))
    return float(S[r:-r, r:-r].mean())
out = []
for case in json.load(sys.stdin):
    h, w, c = case['h'], case['w'], case['c']
    a = np.array(case['a'], dtype=np.float64).reshape(h, w, c); b = np.array(case['b'], dtype=np.float64).reshape(h, w, c)
    out.append(float(np.mean([ssim(a[..., k], b[..., k], case['sampleCov']) for k in range(c)])))
print(json.dumps(out))
`;

function randomImage(random: Random, width: number, height: number, channels: number): Image {
  // Smooth-ish content (a sum of two gratings plus noise) so SSIM is neither 0 nor 1.
  const data = new Float64Array(width * height * channels);
  const [fx, fy] = [random.uniform(0.1, 0.6), random.uniform(0.1, 0.6)];
  for (let r = 0; r < height; r++)
    for (let q = 0; q < width; q++)
      for (let c = 0; c < channels; c++) data[(r * width + q) * channels + c] = 0.5 + 0.25 * Math.sin(fx * q + c) * Math.cos(fy * r) + 0.1 * random.gaussian();
  return image(data, width, height, channels);
}

function degraded(random: Random, im: Image, noise: number): Image {
  return image(Float64Array.from(im.data, (v) => 0.8 * v + 0.1 + noise * random.gaussian()), im.width, im.height, im.channels);
}

describe('SSIM', () => {
  const random = new Random(21);
  const cases = [
    { truth: randomImage(random, 32, 32, 1), noise: 0.05, sampleCov: false },
    { truth: randomImage(random, 31, 20, 3), noise: 0.2, sampleCov: false },
    { truth: randomImage(random, 11, 14, 3), noise: 0.1, sampleCov: true },
    { truth: randomImage(random, 64, 48, 1), noise: 0.3, sampleCov: true },
  ].map((c) => ({ ...c, decoded: degraded(random, c.truth, c.noise) }));
  const reference = execFileSync(referencePython, ['-c', NUMPY_SSIM], {
    input: JSON.stringify(cases.map((c) => ({ h: c.truth.height, w: c.truth.width, c: c.truth.channels, a: Array.from(c.decoded.data), b: Array.from(c.truth.data), sampleCov: c.sampleCov }))),
  });
  const expected = JSON.parse(reference.toString()) as number[];

  it.each(cases.map((c, k) => [`${c.truth.width}×${c.truth.height}×${c.truth.channels}, noise ${c.noise}${c.sampleCov ? ', sample covariance' : ''}`, k] as const))(
    'equals numpy/scipy: %s',
    (_, k) => {
      const c = cases[k]!;
      expect(ssim(c.decoded, c.truth, { sampleCovariance: c.sampleCov })).toBeCloseTo(expected[k]!, 10);
    },
  );

  it('is 1 for identical images, lower for noisier copies, symmetric', () => {
    const truth = randomImage(random, 24, 24, 3);
    expect(ssim(truth, truth)).toBeCloseTo(1, 12);
    const slight = degraded(random, truth, 0.02);
    const heavy = degraded(random, truth, 0.3);
    expect(ssim(slight, truth)).toBeGreaterThan(ssim(heavy, truth));
    expect(ssim(heavy, truth)).toBeCloseTo(ssim(truth, heavy), 12);
  });

  it('grey scores luma; RGB of equal channels equals its grey', () => {
    const grey = randomImage(random, 16, 16, 1);
    const asRgb = image(Float64Array.from({ length: 16 * 16 * 3 }, (_, k) => grey.data[Math.floor(k / 3)]!), 16, 16, 3);
    const other = degraded(random, grey, 0.1);
    const otherRgb = image(Float64Array.from({ length: 16 * 16 * 3 }, (_, k) => other.data[Math.floor(k / 3)]!), 16, 16, 3);
    expect(ssim(otherRgb, asRgb)).toBeCloseTo(ssim(other, grey), 12);
    expect(ssim(toGray(otherRgb), toGray(asRgb))).toBeCloseTo(ssim(other, grey), 12);
  });

  it('refuses images smaller than the window and images of different shapes', () => {
    const small = randomImage(random, 10, 16, 1);
    expect(() => ssim(small, small)).toThrow(/at least 11×11/);
    expect(() => ssim(randomImage(random, 16, 16, 1), randomImage(random, 16, 16, 3))).toThrow(RangeError);
  });
});
