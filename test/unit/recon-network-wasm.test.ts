/**
 * The shipped network on the wasm backend: the same features as on cpu, and — with the composite
 * gradient kernels of src/recon/kernels registered (wasm 4.22 lacks the depthwise backprop
 * kernels) — the same pixel gradient.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerCompositeKernels } from '../../src/recon/kernels/register.js';
import { loadBundledNetwork } from '../../src/recon/network/index.js';

const SIZE = 64;
const LAYERS = ['block_3_expand_relu', 'block_6_expand_relu', 'out_relu'];
const image = Float32Array.from({ length: SIZE * SIZE * 3 }, (_, i) => 0.5 + 0.4 * Math.sin(i * 0.37) * Math.cos(i * 0.011));

/** Features and the gradient of a feature-matching loss (target: the image mirrored) on the current backend. */
async function run(): Promise<{ features: Float32Array[]; grad: Float32Array }> {
  const space = await loadBundledNetwork(tf, 'mobilenet_v2', { inputSize: SIZE, layers: LAYERS });
  const x = tf.tensor4d(image, [1, SIZE, SIZE, 3]);
  const target = tf.tidy(() => space.forward(tf.reverse(x, 2)));
  const features = tf.tidy(() => LAYERS.map((n) => space.forward(x)[n]!.dataSync() as Float32Array));
  const grad = tf.tidy(() =>
    tf.grad((img: tf.Tensor) => {
      const f = space.forward(img as tf.Tensor4D);
      return tf.addN(LAYERS.map((n) => tf.div(tf.sum(tf.square(tf.sub(f[n]!, target[n]!))), tf.sum(tf.square(target[n]!))))) as tf.Scalar;
    })(x).dataSync() as Float32Array,
  );
  tf.dispose([x, ...Object.values(target)]);
  space.dispose();
  return { features, grad };
}

const relativeError = (a: Float32Array, b: Float32Array) => {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return Math.sqrt(num / den);
};

let cpu: { features: Float32Array[]; grad: Float32Array };

beforeAll(async () => {
  await tf.setBackend('cpu');
  cpu = await run();
  await tf.setBackend('wasm');
  registerCompositeKernels(tf, 'wasm');
});

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('MobileNetV2 on wasm', () => {
  it('gives the cpu features and the cpu pixel gradient', async () => {
    expect(tf.getBackend()).toBe('wasm');
    const wasm = await run();
    wasm.features.forEach((f, k) => expect(relativeError(f, cpu.features[k]!)).toBeLessThan(1e-4));
    expect(relativeError(wasm.grad, cpu.grad)).toBeLessThan(1e-3);
  });
});
