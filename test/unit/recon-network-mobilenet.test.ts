/**
 * The shipped feature network, MobileNetV2 from the nsfwjs package: it loads from the package's
 * files with no network access, computes what tfjs's own run of the same model computes (so the
 * batch-norm folding and unfused convolutions change nothing), classifies as nsfwjs itself does (an
 * independent reference for the weights and the preprocessing), is deterministic, and its pixel
 * gradient agrees with central finite differences.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { featuresOfImages, loadBundledNetwork, nsfwjsArtifacts, resizeArea, type FeatureSpace } from '../../src/recon/network/index.js';

/** Synthetic 224 px pictures, RGB in [0, 1]: noise, a colour ramp, a checkerboard, a warm blob on grey. */
function syntheticImages(side = 224): Float32Array[] {
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const make = (f: (x: number, y: number, c: number) => number) => Float32Array.from({ length: side * side * 3 }, (_, i) => f(Math.floor(i / 3) % side, Math.floor(i / 3 / side), i % 3));
  const blob = (x: number, y: number) => Math.exp(-((x - side / 2) ** 2 + (y - side / 2) ** 2) / (2 * (side / 5) ** 2));
  return [
    make(() => rand()),
    make((x, y, c) => (c === 0 ? x / side : c === 1 ? y / side : 1 - x / side)),
    make((x, y) => ((Math.floor(x / 16) + Math.floor(y / 16)) % 2 ? 0.9 : 0.1)),
    make((x, y, c) => 0.5 + blob(x, y) * [0.45, 0.2, 0.05][c]!),
  ];
}

let space: FeatureSpace;
/** The same network at 64 px (the convolutional layers run at any size): fast enough for many passes. */
let small: FeatureSpace;
const fetches = vi.fn(() => Promise.reject(new Error('no network in tests')));

beforeAll(async () => {
  await tf.setBackend('cpu');
  vi.stubGlobal('fetch', fetches);
  space = await loadBundledNetwork(tf);
  small = await loadBundledNetwork(tf, 'mobilenet_v2', { inputSize: 64, layers: ['block_3_expand_relu', 'block_6_expand_relu', 'out_relu'] });
});

afterAll(() => {
  space.dispose();
  small.dispose();
  vi.unstubAllGlobals();
});

describe('bundled MobileNetV2', () => {
  it('loads from the nsfwjs package files without fetching anything', () => {
    expect(fetches).not.toHaveBeenCalled();
    expect(space.name).toBe('mobilenet_v2');
    expect(space.inputSize).toBe(224);
  });

  it('offers five layers from stride 2 to stride 32 with the documented shapes', () => {
    expect(space.layers).toEqual([
      { name: 'block_1_expand_relu', shape: [112, 112, 96], units: 1204224 },
      { name: 'block_3_expand_relu', shape: [56, 56, 144], units: 451584 },
      { name: 'block_6_expand_relu', shape: [28, 28, 192], units: 150528 },
      { name: 'block_13_expand_relu', shape: [14, 14, 576], units: 112896 },
      { name: 'out_relu', shape: [7, 7, 1280], units: 62720 },
    ]);
  });

  it('computes what tfjs computes running the same model its own way', async () => {
    const model = await tf.loadLayersModel(tf.io.fromMemory(nsfwjsArtifacts('mobilenet_v2')));
    const names = space.layers.map((l) => l.name);
    const sub = tf.model({ inputs: model.inputs, outputs: names.map((n) => model.getLayer(n).output as tf.SymbolicTensor) });
    const image = syntheticImages()[0]!;
    tf.tidy(() => {
      const x = tf.tensor4d(image, [1, 224, 224, 3]);
      const want = sub.predict(x) as tf.Tensor[];
      const got = space.forward(x);
      names.forEach((n, i) => {
        expect(got[n]!.shape).toEqual([1, ...space.layers[i]!.shape]);
        // Activations reach 6 (ReLU6); folding BN into the convolutions reorders float32 sums.
        expect(tf.max(tf.abs(tf.sub(got[n]!, want[i]!))).dataSync()[0]).toBeLessThan(2e-4);
      });
    });
    model.dispose();
  });

  it('classifies synthetic images as nsfwjs load() does with its bundled model', async () => {
    const info = vi.spyOn(console, 'info').mockImplementation(() => undefined);
    interface Nsfwjs {
      infer(img: tf.Tensor3D): tf.Tensor;
      dispose(): void;
    }
    const nsfwjs = (await import('nsfwjs')) as unknown as { load(name: string): Promise<Nsfwjs> };
    const reference = await nsfwjs.load('MobileNetV2');
    info.mockRestore();
    const classifier = await loadBundledNetwork(tf, 'mobilenet_v2', { layers: ['dense_3'] });
    const images = syntheticImages().slice(1);
    const got = tf.tidy(() => classifier.forward(tf.tensor4d(new Float32Array(images.flatMap((i) => [...i])), [images.length, 224, 224, 3]))['dense_3']!.arraySync() as number[][]);
    images.forEach((image, i) => {
      // nsfwjs takes 8-bit values and divides by 255 itself.
      const want = tf.tidy(() => Array.from(reference.infer(tf.mul(tf.tensor3d(image, [224, 224, 3]), 255) as tf.Tensor3D).dataSync()));
      expect(got[i]).toHaveLength(5);
      got[i]!.forEach((p, k) => expect(p).toBeCloseTo(want[k]!, 4));
    });
    expect(fetches).not.toHaveBeenCalled();
    reference.dispose();
    classifier.dispose();
  });

  it('gives the same features for the same image, in a batch or alone, loaded once or twice', async () => {
    const [a, b] = syntheticImages(64);
    const run = (net: FeatureSpace, data: Float32Array, n = 1) => tf.tidy(() => net.forward(tf.tensor4d(data, [n, 64, 64, 3]), ['out_relu'])['out_relu']!.dataSync());
    const alone = run(small, a!);
    expect(Array.from(run(small, a!))).toEqual(Array.from(alone));
    const second = run(small, new Float32Array([...b!, ...a!]), 2).subarray(alone.length);
    for (let i = 0; i < alone.length; i += 7) expect(second[i]).toBeCloseTo(alone[i]!, 4);
    const other = await loadBundledNetwork(tf, 'mobilenet_v2', { inputSize: 64, layers: ['out_relu'] });
    expect(Array.from(run(other, a!))).toEqual(Array.from(alone));
    other.dispose();
  });

  it('featuresOfImages returns the forward values in batches, picks units, and leaks no tensor', async () => {
    const images = syntheticImages(64);
    const units = small.layers.find((l) => l.name === 'out_relu')!.units;
    const picked = [0, 5, units - 1, 1000];
    const before = tf.memory().numTensors;
    const features = await featuresOfImages(tf, small, images, { layers: ['out_relu', 'block_6_expand_relu'], unitIndices: { out_relu: picked }, batchSize: 3 });
    expect(tf.memory().numTensors).toBe(before);
    expect(features['out_relu']).toHaveLength(images.length * picked.length);
    expect(features['block_6_expand_relu']).toHaveLength(images.length * 8 * 8 * 192);
    const last = tf.tidy(() => small.forward(tf.tensor4d(images[3]!, [1, 64, 64, 3]), ['out_relu'])['out_relu']!.dataSync());
    picked.forEach((u, k) => expect(features['out_relu']![3 * picked.length + k]).toBeCloseTo(last[u]!, 4));
  });

  it('resamples images of another size to the input size in featuresOfImages', async () => {
    const [image] = syntheticImages(56);
    const features = await featuresOfImages(tf, small, [image!], { layers: ['out_relu'] });
    const direct = tf.tidy(() => small.forward(tf.tensor4d(resizeArea(image!, 56, 56, 3, 64, 64), [1, 64, 64, 3]), ['out_relu'])['out_relu']!.dataSync());
    expect(Array.from(features['out_relu']!)).toEqual(Array.from(direct));
  });
});

describe('MobileNetV2 pixel gradient (cpu)', () => {
  it('of a feature-matching loss agrees with central finite differences', async () => {
    const [img, target] = syntheticImages(64);
    const x = tf.tensor4d(img!.map((v) => 0.1 + 0.8 * v), [1, 64, 64, 3]);
    const targets = tf.tidy(() => small.forward(tf.tensor4d(target!, [1, 64, 64, 3])));
    const names = Object.keys(targets);
    const norms = names.map((n) => tf.tidy(() => tf.sum(tf.square(targets[n]!)).dataSync()[0]!));
    // Loss of Mahendran & Vedaldi / Shen et al.: squared feature distance per layer over the target's norm.
    const loss = (image: tf.Tensor): tf.Scalar => {
      const f = small.forward(image as tf.Tensor4D);
      return tf.addN(names.map((n, k) => tf.div(tf.sum(tf.square(tf.sub(f[n]!, targets[n]!))), norms[k]!))) as tf.Scalar;
    };
    const grad = tf.grad(loss)(x);
    const g = grad.dataSync();
    // Check the pixels the loss depends on most, in each colour channel.
    const order = Array.from(g.keys()).sort((a, b) => Math.abs(g[b]!) - Math.abs(g[a]!));
    const pixels = [0, 1, 2].map((c) => order.find((i) => i % 3 === c)!).concat(order.slice(20, 22));
    const h = 1e-3;
    const base = x.dataSync();
    const targetValues = names.map((n) => targets[n]!.dataSync());
    for (const p of pixels) {
      // Differences of features, not of two rounded float32 losses: the loss difference is
      // Σ (f⁺ − f⁻)(f⁺ + f⁻ − 2t), accurate to the features' own precision.
      const shifted = (sign: number) =>
        tf.tidy(() => {
          const v = Float32Array.from(base);
          v[p]! += sign * h;
          const f = small.forward(tf.tensor4d(v, [1, 64, 64, 3]));
          return names.map((n) => f[n]!.dataSync());
        });
      const plus = shifted(1);
      const minus = shifted(-1);
      let change = 0;
      names.forEach((_, k) => {
        let s = 0;
        const t = targetValues[k]!;
        for (let u = 0; u < t.length; u++) s += (plus[k]![u]! - minus[k]![u]!) * (plus[k]![u]! + minus[k]![u]! - 2 * t[u]!);
        change += s / norms[k]!;
      });
      const numeric = change / (2 * h);
      expect(Math.abs(numeric - g[p]!)).toBeLessThan(0.05 * Math.abs(g[p]!) + 1e-6);
    }
    tf.dispose([x, grad, ...Object.values(targets)]);
  });
});
