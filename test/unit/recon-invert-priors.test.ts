/**
 * The two image priors do what docs/reconstruction.md says: total variation has the closed-form
 * value, a finite-difference gradient, and smooths a reconstruction from noisy features; the range
 * prior is ~0 for moderate pixels and steep towards the bounds, and keeps pixels off the saturated
 * ends when the features ask for values out of range. Adam reaches a quadratic's minimum.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installGradientSupport } from '../../src/recon/grad/install.js';
import { Adam } from '../../src/recon/invert/adam.js';
import { pearson } from '../../src/recon/invert/correlation.js';
import type { Estimate } from '../../src/recon/invert/estimate.js';
import { Inverter } from '../../src/recon/invert/inverter.js';
import { rangePrior, totalVariation } from '../../src/recon/invert/priors.js';
import { createPixelsSpace, type FeatureSpace } from '../../src/recon/network/index.js';

const scalar = (f: () => tf.Scalar): number => tf.tidy(() => f().dataSync()[0]!);
const image = (values: number[], side: number): tf.Tensor4D => tf.tensor4d(values.flatMap((v) => [v, v, v]), [1, side, side, 3]);

/** Central differences of `f` at a few entries of `x`, against tf.grad. */
function checkGradient(f: (x: tf.Tensor4D) => tf.Scalar, x: Float32Array, shape: [number, number, number, number]): void {
  const at = (values: Float32Array): number => scalar(() => f(tf.tensor4d(values, shape)));
  const analytic = tf.tidy(() => tf.grad((t: tf.Tensor) => f(t as tf.Tensor4D))(tf.tensor4d(x, shape)).dataSync() as Float32Array);
  const h = 1e-3;
  for (const i of [0, 5, 17, 40, x.length - 1]) {
    const plus = Float32Array.from(x);
    const minus = Float32Array.from(x);
    plus[i]! += h;
    minus[i]! -= h;
    const numeric = (at(plus) - at(minus)) / (2 * h);
    expect(analytic[i]!).toBeCloseTo(numeric, 2);
  }
}

let space: FeatureSpace;
beforeAll(async () => {
  await tf.setBackend('cpu');
  installGradientSupport(tf, 'cpu');
  space = createPixelsSpace(tf, { size: 32, color: 'gray' });
});
afterAll(() => space.dispose());

describe('total variation (β-norm)', () => {
  it('is the mean over pixels of the squared right and down differences (β = 2), 0 for a flat image', () => {
    // 3×3 grey ramp 0, 0.1, 0.2 per row, rows +0.3: each of the 2×2 cells has (0.1)² + (0.3)² = 0.1.
    const ramp = image([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8], 3);
    expect(scalar(() => totalVariation(tf, ramp))).toBeCloseTo(0.1, 6);
    expect(scalar(() => totalVariation(tf, ramp, 1, 0))).toBeCloseTo(Math.sqrt(0.1), 6);
    expect(scalar(() => totalVariation(tf, image(new Array<number>(16).fill(0.3), 4)))).toBe(0);
    ramp.dispose();
  });

  it('has the gradient central differences give, for β = 2 and β = 1', () => {
    const x = Float32Array.from({ length: 6 * 6 * 3 }, (_, i) => 0.5 + 0.3 * Math.sin(i * 1.7));
    checkGradient((t) => totalVariation(tf, t), x, [1, 6, 6, 3]);
    checkGradient((t) => totalVariation(tf, t, 1), x, [1, 6, 6, 3]);
  });

  it('smooths a reconstruction from noisy features, bringing it closer to the clean picture', () => {
    const side = 64;
    let seed = 11;
    const noise = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 0.6;
    // A dark square on light grey, sampled on the 32-grid, plus strong independent noise per cell.
    const clean = Float32Array.from({ length: 32 * 32 }, (_, i) => (Math.abs((i % 32) - 16) < 8 && Math.abs(Math.floor(i / 32) - 16) < 8 ? 0.25 : 0.7));
    const estimate: Estimate = { trial: 0, tr: 0, space: space.name, layers: [{ name: 'pixels', unitIndices: null, values: clean.map((v) => v + noise()) }] };
    const run = (tvWeight: number): { tv: number; match: number } => {
      const inverter = new Inverter(tf, space, { imageSize: side, tvWeight });
      inverter.setTarget(estimate);
      const { image: x } = inverter.step(60);
      inverter.dispose();
      const grey = Float32Array.from({ length: side * side }, (_, p) => x[3 * p]!);
      const truth = Float32Array.from({ length: side * side }, (_, p) => clean[Math.floor(Math.floor(p / side) / 2) * 32 + Math.floor((p % side) / 2)]!);
      return { tv: scalar(() => totalVariation(tf, image(Array.from(grey), side))), match: pearson(grey, truth) };
    };
    const rough = run(0);
    const smooth = run(20);
    expect(smooth.tv).toBeLessThan(rough.tv * 0.5);
    expect(smooth.match).toBeGreaterThan(rough.match + 0.05);
  });
});

describe('range prior (α-norm)', () => {
  it('is 0 at mid-grey, 2^-α half-way to a bound, 1 at the bounds', () => {
    const at = (v: number): number => scalar(() => rangePrior(tf, image([v, v, v, v], 2)));
    expect(at(0.5)).toBe(0);
    expect(at(0.75)).toBeCloseTo(1 / 64, 6);
    expect(at(0.25)).toBeCloseTo(1 / 64, 6);
    expect(at(1)).toBeCloseTo(1, 6);
    expect(at(0)).toBeCloseTo(1, 6);
  });

  it('has the gradient central differences give', () => {
    const x = Float32Array.from({ length: 5 * 5 * 3 }, (_, i) => 0.5 + 0.45 * Math.sin(i * 2.3));
    checkGradient((t) => rangePrior(tf, t), x, [1, 5, 5, 3]);
  });

  it('keeps pixels off the saturated ends when the features ask for values out of range', () => {
    // Decoded values beyond [0, 1], as noisy decoders give: half the grid at 1.4, half at −0.4.
    const values = Float32Array.from({ length: 32 * 32 }, (_, i) => (i % 32 < 16 ? 1.4 : -0.4));
    const estimate: Estimate = { trial: 0, tr: 0, space: space.name, layers: [{ name: 'pixels', unitIndices: null, values }] };
    const extremes = (rangeWeight?: number): number => {
      const inverter = new Inverter(tf, space, { imageSize: 32, tvWeight: 0, ...(rangeWeight === undefined ? {} : { rangeWeight }) });
      inverter.setTarget(estimate);
      const { image: x } = inverter.step(100);
      inverter.dispose();
      return x.filter((v) => v > 0.99 || v < 0.01).length / x.length;
    };
    expect(extremes(0)).toBeGreaterThan(0.9);
    // The default weight (0.2) is the smallest of 0.05, 0.2, 0.5 that keeps every pixel inside.
    expect(extremes()).toBe(0);
  });
});

describe('Adam', () => {
  it('finds the minimum of a quadratic and forgets its moments on reset', () => {
    const x = tf.variable(tf.tensor1d([3, -2]));
    const adam = new Adam(tf, x, { learningRate: 0.1 });
    const target = tf.tensor1d([1, 1]);
    const loss = (t: tf.Tensor): tf.Scalar => tf.sum(tf.square(tf.sub(t, target)));
    for (let i = 0; i < 300; i++) tf.tidy(() => adam.apply(tf.grad(loss)(x)));
    expect(Array.from(x.dataSync()).map((v) => Math.round(v * 100) / 100)).toEqual([1, 1]);
    adam.reset();
    x.assign(tf.tensor1d([3, 3]));
    // The first step after a reset moves every coordinate by the learning rate (bias-corrected m/√v = ±1).
    tf.tidy(() => adam.apply(tf.grad(loss)(x)));
    expect(x.dataSync()[0]).toBeCloseTo(2.9, 5);
    adam.dispose();
    tf.dispose([x, target]);
  });
});
