/**
 * The inverter through the pixels feature space (cpu backend): features of a known picture are
 * inverted back to it, a refined estimate of the same trial warm-starts while a new trial restarts
 * from its pixels frame, estimates that do not fit are refused with RECON_ESTIMATE_INVALID, and no
 * tensor outlives a step.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installGradientSupport } from '../../src/recon/grad/install.js';
import { pearson } from '../../src/recon/invert/correlation.js';
import type { Estimate } from '../../src/recon/invert/estimate.js';
import { instantImage, upsampleBilinear } from '../../src/recon/invert/first-frame.js';
import { Inverter } from '../../src/recon/invert/inverter.js';
import { createPixelsSpace, featuresOfImages, pixelsToImage, type FeatureSpace } from '../../src/recon/network/index.js';
import { drawShape } from '../../src/synth/stimuli/shapes.js';

const SIZE = 64;
const GRID = 32;
/** A blue disc off centre on the grey screen, and a smaller yellow one: colour and edges to recover. */
const picture = (() => {
  const a = drawShape(SIZE, { kind: 'circle', cx: 0.2, cy: -0.1, radius: 0.5, colour: [0.1, 0.3, 0.9] }).data;
  const b = drawShape(SIZE, { kind: 'square', cx: -0.5, cy: 0.5, radius: 0.25, colour: [0.95, 0.85, 0.1] }).data;
  return a.map((v, i) => (b[i] !== 0.5 ? b[i]! : v));
})();

let space: FeatureSpace;
let estimate: Estimate;

beforeAll(async () => {
  await tf.setBackend('cpu');
  installGradientSupport(tf, 'cpu');
  space = createPixelsSpace(tf, { size: GRID, color: 'rgb' });
  const features = await featuresOfImages(tf, space, [picture]);
  estimate = { trial: 0, tr: 4, space: space.name, layers: [{ name: 'pixels', unitIndices: null, values: features['pixels']! }] };
});

afterAll(() => space.dispose());

describe('inversion through the pixels space', () => {
  it('recovers a known picture from a grey start (correlation > 0.95)', () => {
    const inverter = new Inverter(tf, space, { imageSize: SIZE });
    inverter.setTarget(estimate);
    inverter.setImage(new Float32Array(SIZE * SIZE * 3).fill(0.5));
    const start = inverter.evaluate();
    // Measured: 0.966 after 25 iterations, 0.986 after 50, 0.988 from 75 on (the instant frame: 0.989).
    const end = inverter.step(60);
    expect(pearson(start.image, picture)).toBeLessThan(0.05);
    expect(pearson(end.image, picture)).toBeGreaterThan(0.95);
    expect(end.featureCorrelation).toBeGreaterThan(0.99);
    expect(end.loss).toBeLessThan(start.loss / 10);
    expect(end.iteration).toBe(60);
    inverter.dispose();
  });

  it('starts a new trial from its instant pixels frame, which is pixelsToImage upsampled', () => {
    const inverter = new Inverter(tf, space, { imageSize: SIZE });
    expect(inverter.setTarget(estimate)).toEqual({ warm: false });
    const first = inverter.evaluate().image;
    const reference = pixelsToImage(estimate.layers[0]!.values, { size: GRID, color: 'rgb', outSize: SIZE });
    // The logit parametrisation clamps the start to [0.02, 0.98].
    for (let i = 0; i < first.length; i++) expect(first[i]!).toBeCloseTo(Math.min(0.98, Math.max(0.02, reference[i]!)), 5);
    const instant = instantImage(estimate, SIZE);
    for (let i = 0; i < instant.length; i++) expect(instant[i]!).toBeCloseTo(reference[i]!, 6);
    inverter.dispose();
  });

  it('warm-starts a refined estimate of the same trial and restarts for a new one', () => {
    const inverter = new Inverter(tf, space, { imageSize: SIZE });
    inverter.setTarget(estimate);
    const before = inverter.step(20);
    const refined: Estimate = { ...estimate, tr: 5 };
    expect(inverter.setTarget(refined)).toEqual({ warm: true });
    expect(inverter.evaluate().image).toEqual(before.image);
    expect(inverter.step(1).iteration).toBe(21);
    expect(inverter.setTarget({ ...estimate, trial: 1 })).toEqual({ warm: false });
    expect(inverter.iteration).toBe(0);
    inverter.dispose();
  });

  it('keeps tf.memory() flat across steps and targets, and frees everything on dispose', () => {
    const baseline = tf.memory().numTensors;
    const inverter = new Inverter(tf, space, { imageSize: SIZE });
    inverter.setTarget(estimate);
    inverter.step(2);
    const running = tf.memory().numTensors;
    for (let k = 0; k < 3; k++) {
      inverter.setTarget({ ...estimate, tr: 5 + k, trial: k % 2 });
      inverter.step(3);
      inverter.iterateObserved();
      inverter.lossAndGradient(picture);
      expect(tf.memory().numTensors).toBe(running);
    }
    inverter.dispose();
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('measures an observed iteration\'s starting image as evaluate() does, in the same pass', () => {
    const inverter = new Inverter(tf, space, { imageSize: SIZE });
    inverter.setTarget(estimate);
    inverter.iterate(4);
    const before = inverter.evaluate();
    const seen = inverter.iterateObserved();
    expect(seen.iteration).toBe(4);
    expect(inverter.iteration).toBe(5);
    expect(seen.loss).toBeCloseTo(before.loss, 5);
    expect(seen.featureCorrelation).toBeCloseTo(before.featureCorrelation, 5);
    expect(seen.image).toEqual(before.image);
    expect(inverter.evaluate().image).not.toEqual(before.image);
    inverter.dispose();
  });

  it('refuses estimates that do not fit the space, and keeps its previous target', () => {
    const inverter = new Inverter(tf, space, { imageSize: SIZE });
    inverter.setTarget(estimate);
    const values = estimate.layers[0]!.values;
    const bad: Estimate[] = [
      { ...estimate, space: 'mobilenet_v2' },
      { ...estimate, layers: [...estimate.layers, { name: 'out_relu', unitIndices: null, values: new Float32Array(3) }] },
      { ...estimate, layers: [{ name: 'pixels', unitIndices: null, values: values.subarray(1) }] },
      { ...estimate, layers: [{ name: 'pixels', unitIndices: null, values: values.map((v, i) => (i === 7 ? Number.NaN : v)) }] },
      { ...estimate, layers: [] },
    ];
    for (const e of bad) expect(() => inverter.setTarget(e)).toThrow(expect.objectContaining({ code: 'RECON_ESTIMATE_INVALID' }));
    expect(inverter.step(1).featureCorrelation).toBeGreaterThan(0.5);
    inverter.dispose();
  });

  it('upsamples exactly as pixelsToImage does, grey and RGB', () => {
    for (const [grid, channels] of [[7, 3], [10, 1]] as const) {
      const values = Float32Array.from({ length: grid * grid * channels }, (_, i) => 0.5 + 0.7 * Math.sin(i * 0.37));
      const want = pixelsToImage(values, { size: grid, color: channels === 1 ? 'gray' : 'rgb', outSize: 50 });
      const got = upsampleBilinear(values, grid, channels, 50);
      for (let i = 0; i < want.length; i++) expect(got[i]!).toBeCloseTo(want[i]!, 6);
    }
  });
});
