/**
 * Gradients with respect to the input through whole networks on wasm equal the cpu backend's:
 * a small layers model with the blocks reconstruction meets (conv → depthwise → batch norm without
 * scale → ReLU6 → global pooling), the other forward/backward ops of MobileNetV2 and VGG, and,
 * when its package is at hand, the pretrained MobileNetV2 that nsfwjs 4.3 bundles.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { installGradientSupport } from '../../src/recon/grad/install.js';
import { verifyGradients } from '../../src/recon/grad/verify.js';

type Backend = 'cpu' | 'wasm';
const wave = (shape: number[], phase: number, amplitude = 1): tf.Tensor =>
  tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 12.9898 + phase) * amplitude), shape);

/** Gradient of `loss(build())` with respect to a fixed input, on one backend, as plain numbers. */
async function inputGradient(backend: Backend, shape: number[], loss: (x: tf.Tensor) => tf.Scalar): Promise<Float32Array> {
  await tf.setBackend(backend);
  return tf.tidy(() => tf.grad(loss)(wave(shape, 0.5)).dataSync() as Float32Array);
}

function expectClose(got: Float32Array, want: Float32Array, tolerance: number): void {
  expect(got.length).toBe(want.length);
  const scale = Math.max(1e-6, ...Array.from(want, Math.abs));
  const worst = Math.max(0, ...Array.from(got, (g, i) => Math.abs(g - want[i]!)));
  expect(worst / scale).toBeLessThan(tolerance);
  expect(scale).toBeGreaterThan(1e-6);
}

/** Weights from a seed, so that both backends build the same model. */
function smallModel(scale: boolean, center: boolean): tf.LayersModel {
  const input = tf.input({ shape: [16, 16, 3] });
  const layers = [
    tf.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
    tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', depthwiseInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
    tf.layers.batchNormalization({ scale, center, movingMeanInitializer: tf.initializers.constant({ value: 0.1 }), movingVarianceInitializer: tf.initializers.constant({ value: 0.5 }) }),
    tf.layers.reLU({ maxValue: 6 }),
    tf.layers.globalAveragePooling2d({}),
  ];
  const output = layers.reduce<tf.SymbolicTensor>((h, layer) => layer.apply(h) as tf.SymbolicTensor, input);
  return tf.model({ inputs: input, outputs: output });
}

beforeAll(async () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    await tf.setBackend(backend);
    installGradientSupport(tf, backend);
  }
});

describe('gradients through networks, wasm against cpu', () => {
  it.each([
    [true, true],
    [false, true],
    [false, false],
  ])('layers model conv → depthwise → batchnorm(scale: %s, center: %s) → relu6 → global pool', async (scale, center) => {
    const loss = (model: tf.LayersModel) => (x: tf.Tensor): tf.Scalar => tf.sum(tf.square(model.apply(x) as tf.Tensor));
    const grads: Partial<Record<Backend, Float32Array>> = {};
    for (const backend of ['cpu', 'wasm'] as const) {
      await tf.setBackend(backend);
      const model = smallModel(scale, center);
      grads[backend] = await inputGradient(backend, [1, 16, 16, 3], loss(model));
      model.dispose();
    }
    expectClose(grads.wasm!, grads.cpu!, 1e-4);
  });

  // Each is one forward and backward op of MobileNetV2 or VGG19 that reconstruction goes through.
  const ops: [string, number[], (x: tf.Tensor) => tf.Scalar][] = [
    ['fused conv2d + bias + relu6', [1, 9, 9, 4], (x) => tf.sum(tf.square(tf.fused.conv2d({ x: x as tf.Tensor4D, filter: wave([3, 3, 4, 5], 1) as tf.Tensor4D, strides: 2, pad: 'same', bias: wave([5], 2), activation: 'relu6' })))],
    ['fused conv2d + bias, linear', [1, 8, 8, 4], (x) => tf.sum(tf.square(tf.fused.conv2d({ x: x as tf.Tensor4D, filter: wave([1, 1, 4, 6], 1) as tf.Tensor4D, strides: 1, pad: 'valid', bias: wave([6], 2) })))],
    ['fused depthwise + bias + relu6', [1, 9, 9, 4], (x) => tf.sum(tf.square(tf.fused.depthwiseConv2d({ x: x as tf.Tensor4D, filter: wave([3, 3, 4, 1], 1) as tf.Tensor4D, strides: 2, pad: 'same', bias: wave([4], 2), activation: 'relu6' })))],
    ['fused depthwise, linear, multiplier 2', [1, 8, 8, 3], (x) => tf.sum(tf.square(tf.fused.depthwiseConv2d({ x: x as tf.Tensor4D, filter: wave([3, 3, 3, 2], 1) as tf.Tensor4D, strides: 1, pad: 'same' })))],
    ['zero padding', [1, 6, 6, 2], (x) => tf.sum(tf.square(tf.mul(tf.pad(x, [[0, 0], [0, 1], [1, 0], [0, 0]]), wave([1, 7, 7, 2], 3))))],
    ['mean over space', [1, 6, 6, 3], (x) => tf.sum(tf.square(tf.mean(tf.mul(x, wave([1, 6, 6, 3], 4)), [1, 2])))],
    ['average pooling', [1, 7, 7, 3], (x) => tf.sum(tf.square(tf.avgPool(x as tf.Tensor4D, 3, 2, 'same')))],
    ['max pooling after relu (VGG)', [1, 8, 8, 3], (x) => tf.sum(tf.square(tf.maxPool(tf.relu(x) as tf.Tensor4D, 2, 2, 'valid')))],
    ['max pooling of signed values', [1, 7, 7, 3], (x) => tf.sum(tf.mul(tf.maxPool(x as tf.Tensor4D, 3, 2, 'same'), wave([1, 4, 4, 3], 5)))],
    ['residual add + relu6', [1, 5, 5, 4], (x) => tf.sum(tf.square(tf.relu6(tf.add(tf.mul(x, 4), tf.conv2d(x as tf.Tensor4D, wave([1, 1, 4, 4], 6) as tf.Tensor4D, 1, 'same')))))],
    ['dense head', [1, 4, 4, 3], (x) => tf.sum(tf.square(tf.matMul(tf.reshape(x, [1, 48]), wave([48, 5], 7) as tf.Tensor2D)))],
  ];

  it.each(ops)('%s', async (_name, shape, loss) => {
    const cpu = await inputGradient('cpu', shape, loss);
    const wasm = await inputGradient('wasm', shape, loss);
    expectClose(wasm, cpu, 1e-5);
  });

  // Regression: tfjs 4.22's wasm MaxPoolGrad put every window's gradient on the window's first
  // element when the window's maximum was negative; kernels/max-pool-grad.ts replaces it.
  it('wasm max-pool gradient with negative inputs goes to each window’s maximum', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor4d([-1, -2, -3, -4, -5, -6, -7, -8, -9], [1, 3, 3, 1]);
    const grad = tf.grad((a: tf.Tensor) => tf.sum(tf.maxPool(a as tf.Tensor4D, 2, 1, 'valid')))(x);
    expect(Array.from(grad.dataSync())).toEqual([1, 1, 0, 1, 1, 0, 0, 0, 0]);
  });

  it.each(['cpu', 'wasm'] as const)('the start-up gradient check passes on %s', async (backend) => {
    await tf.setBackend(backend);
    const check = verifyGradients(tf);
    expect(check.detail).toMatch(/agree/);
    expect(check.verified).toBe(true);
  });
});

/** nsfwjs 4.3's bundled MobileNetV2 (Keras, MIT), from an installed package, if there is one. */
function nsfwjsModelDir(): string | null {
  const candidates = [process.env.BOLDSTREAM_NSFWJS_DIR, path.join(process.cwd(), 'node_modules', 'nsfwjs')].filter((d): d is string => !!d);
  const dir = candidates.map((d) => path.join(d, 'dist', 'models', 'mobilenet_v2')).find((d) => existsSync(path.join(d, 'model.min.js')));
  return dir ?? null;
}

interface BundledModel {
  modelTopology: { model_config: { config: { layers: { name: string; config: Record<string, unknown> }[]; output_layers: unknown } } };
  weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[];
}

/** Loads it with a free input size, cut at `block_6_expand_relu` (a mid-level feature layer). */
async function loadBundledMobileNet(dir: string): Promise<tf.LayersModel> {
  const require = createRequire(import.meta.url);
  const json = structuredClone(require(path.join(dir, 'model.min.js')) as BundledModel);
  const shard = Buffer.from(require(path.join(dir, 'group1-shard1of1.min.js')) as string, 'base64');
  const config = json.modelTopology.model_config.config;
  config.layers[0]!.config['batch_input_shape'] = [null, null, null, 3];
  config.layers = config.layers.slice(0, config.layers.findIndex((l) => l.name === 'block_6_expand_relu') + 1);
  config.output_layers = [['block_6_expand_relu', 0, 0]];
  const weightData = shard.buffer.slice(shard.byteOffset, shard.byteOffset + shard.byteLength);
  const artifacts = { modelTopology: json.modelTopology as unknown as tf.io.ModelArtifacts['modelTopology'], weightSpecs: json.weightsManifest.flatMap((g) => g.weights), weightData };
  return tf.loadLayersModel(tf.io.fromMemory(artifacts), { strict: false });
}

describe('pretrained MobileNetV2 (nsfwjs 4.3)', () => {
  const dir = nsfwjsModelDir();
  it.skipIf(dir === null)('feature-matching gradient at 64 px on wasm equals cpu', async () => {
    const grads: Partial<Record<Backend, Float32Array>> = {};
    for (const backend of ['cpu', 'wasm'] as const) {
      await tf.setBackend(backend);
      const model = await loadBundledMobileNet(dir!);
      const target = tf.tidy(() => tf.mul(model.apply(wave([1, 64, 64, 3], 9, 0.5)) as tf.Tensor, 0.9));
      grads[backend] = await inputGradient(backend, [1, 64, 64, 3], (x) => tf.mean(tf.squaredDifference(model.apply(x) as tf.Tensor, target)));
      target.dispose();
      model.dispose();
    }
    expectClose(grads.wasm!, grads.cpu!, 1e-3);
  }, 120_000);
});
