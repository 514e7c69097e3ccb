/**
 * The inverter through the shipped MobileNetV2 at 64 px, on wasm (the backend reconstruction runs
 * on without native TensorFlow): from the features of a known picture (two early layers, all their
 * units) and a 4 × 4 pixels layer, the reconstruction is far closer to the picture than the instant
 * frame drawn from that pixels layer (a blurred version of it) or than grey; the loss's pixel
 * gradient on wasm, with unit subsets, equals the cpu backend's.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installGradientSupport } from '../../src/recon/grad/install.js';
import { pearson } from '../../src/recon/invert/correlation.js';
import type { Estimate, EstimateLayer } from '../../src/recon/invert/estimate.js';
import { instantImage } from '../../src/recon/invert/first-frame.js';
import { Inverter } from '../../src/recon/invert/inverter.js';
import { createPixelsSpace, featuresOfImages, loadBundledNetwork, type FeatureSpace } from '../../src/recon/network/index.js';
import { drawLetter } from '../../src/synth/stimuli/shapes.js';

const SIZE = 64;
const LAYERS = ['block_1_expand_relu', 'block_3_expand_relu'];
/** A red E on the grey screen: the letters test set of Shen et al. (2019). */
const picture = drawLetter(SIZE, { letter: 'E', cx: 0, cy: 0, height: 1.4, colour: [0.9, 0.2, 0.1] }).data;

let space: FeatureSpace;
let estimate: Estimate;

async function estimateFor(network: FeatureSpace, subset: Record<string, number> = {}): Promise<Estimate> {
  const features = await featuresOfImages(tf, network, [picture]);
  const pixelsSpace = createPixelsSpace(tf, { size: 4, color: 'rgb' });
  const pixels = (await featuresOfImages(tf, pixelsSpace, [picture]))['pixels']!;
  pixelsSpace.dispose();
  const layers: EstimateLayer[] = LAYERS.map((name) => {
    const all = features[name]!;
    const count = subset[name];
    if (!count) return { name, unitIndices: null, values: all };
    // Every k-th unit: a fixed subset, as a decoder bundle's unitIndices would be.
    const unitIndices = Int32Array.from({ length: count }, (_, i) => Math.floor((i * all.length) / count));
    return { name, unitIndices, values: Float32Array.from(unitIndices, (u) => all[u]!) };
  });
  return { trial: 0, tr: 3, space: network.name, layers: [...layers, { name: 'pixels', unitIndices: null, values: pixels }] };
}

beforeAll(async () => {
  await tf.setBackend('wasm');
  installGradientSupport(tf, 'wasm');
  space = await loadBundledNetwork(tf, 'mobilenet_v2', { inputSize: SIZE, layers: LAYERS });
  estimate = await estimateFor(space);
});

afterAll(async () => {
  space.dispose();
  await tf.setBackend('cpu');
});

describe('inversion through MobileNetV2 (wasm, 64 px)', () => {
  it('reconstructs the picture far better than the blurred instant frame or grey', () => {
    const inverter = new Inverter(tf, space);
    inverter.setTarget(estimate);
    const instant = pearson(instantImage(estimate, SIZE), picture);
    const start = inverter.evaluate();
    const end = inverter.step(150);
    const reconstructed = pearson(end.image, picture);
    // Measured: instant 0.60, reconstruction 0.87 after 150 iterations (0.89 after 200); grey is 0.
    expect(instant).toBeGreaterThan(0.5);
    expect(instant).toBeLessThan(0.7);
    expect(reconstructed).toBeGreaterThan(instant + 0.15);
    expect(pearson(new Float32Array(picture.length).fill(0.5), picture)).toBe(0);
    expect(end.loss).toBeLessThan(start.loss / 10);
    expect(end.featureCorrelation).toBeGreaterThan(0.95);
    inverter.dispose();
  });

  it('has the pixel gradient of the cpu backend, with unit subsets', async () => {
    const subset = { block_3_expand_relu: 300 };
    const probe = Float32Array.from({ length: SIZE * SIZE * 3 }, (_, i) => 0.5 + 0.4 * Math.sin(i * 0.37) * Math.cos(i * 0.011));
    const run = async (): Promise<{ loss: number; gradient: Float32Array }> => {
      const network = tf.getBackend() === 'wasm' ? space : await loadBundledNetwork(tf, 'mobilenet_v2', { inputSize: SIZE, layers: LAYERS });
      const inverter = new Inverter(tf, network);
      inverter.setTarget(await estimateFor(network, subset));
      const result = inverter.lossAndGradient(probe);
      // Feature correlation over the subset, read back by gathering on the backend, both ways.
      const before = inverter.evaluate();
      const seen = inverter.iterateObserved();
      expect(seen.featureCorrelation).toBeCloseTo(before.featureCorrelation, 4);
      expect(seen.loss).toBeCloseTo(before.loss, 4);
      inverter.dispose();
      if (network !== space) network.dispose();
      return result;
    };
    const wasm = await run();
    await tf.setBackend('cpu');
    installGradientSupport(tf, 'cpu');
    const cpu = await run();
    await tf.setBackend('wasm');
    expect(wasm.loss).toBeCloseTo(cpu.loss, 4);
    let num = 0;
    let den = 0;
    for (let i = 0; i < cpu.gradient.length; i++) {
      num += (wasm.gradient[i]! - cpu.gradient[i]!) ** 2;
      den += cpu.gradient[i]! ** 2;
    }
    expect(den).toBeGreaterThan(0);
    expect(Math.sqrt(num / den)).toBeLessThan(1e-3);
  });
});
