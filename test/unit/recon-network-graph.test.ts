/**
 * Graph models (TensorFlow SavedModels converted by tensorflowjs_converter) as feature spaces:
 * intermediate nodes are read with execute(), the pixel gradient flows through them, and a real
 * converted graph — the MobileNetV2 (width 1.4) that nsfwjs also ships, written out as model.json +
 * binary shards — classifies as nsfwjs itself classifies with it.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { loadFeatureSpace, nsfwjsArtifacts } from '../../src/recon/network/index.js';

const root = mkdtempSync(path.join(tmpdir(), 'boldstream-graph-'));
const b64 = (s: string) => Buffer.from(s).toString('base64');
const FLOAT = { type: 'DT_FLOAT' };
const dims = (shape: number[]) => ({ dim: shape.map((n) => ({ size: String(n) })) });
const constNode = (name: string, shape: number[]) => ({ name, op: 'Const', attr: { value: { tensor: { dtype: 'DT_FLOAT', tensorShape: dims(shape) } }, dtype: FLOAT } });

/** input [-1,8,8,3] → conv1 3×3×3×4 + bias → ReLU → conv2 1×1×4×2 + bias → Identity, as the converter writes it. */
function writeTinyGraph(dir: string, w: Record<string, Float32Array>): string {
  mkdirSync(dir, { recursive: true });
  const conv = (name: string, input: string, filter: string) => ({
    name,
    op: 'Conv2D',
    input: [input, filter],
    attr: { T: FLOAT, strides: { list: { i: ['1', '1', '1', '1'] } }, padding: { s: b64('SAME') }, data_format: { s: b64('NHWC') }, dilations: { list: { i: ['1', '1', '1', '1'] } }, use_cudnn_on_gpu: { b: true } },
  });
  const biasAdd = (name: string, input: string, bias: string) => ({ name, op: 'BiasAdd', input: [input, bias], attr: { T: FLOAT, data_format: { s: b64('NHWC') } } });
  const node = [
    { name: 'image', op: 'Placeholder', attr: { dtype: FLOAT, shape: { shape: dims([-1, 8, 8, 3]) } } },
    constNode('conv1/kernel', [3, 3, 3, 4]),
    constNode('conv1/bias', [4]),
    constNode('conv2/kernel', [1, 1, 4, 2]),
    constNode('conv2/bias', [2]),
    conv('conv1/Conv2D', 'image', 'conv1/kernel'),
    biasAdd('conv1/BiasAdd', 'conv1/Conv2D', 'conv1/bias'),
    { name: 'conv1/Relu', op: 'Relu', input: ['conv1/BiasAdd'], attr: { T: FLOAT } },
    conv('conv2/Conv2D', 'conv1/Relu', 'conv2/kernel'),
    biasAdd('conv2/BiasAdd', 'conv2/Conv2D', 'conv2/bias'),
    { name: 'Identity', op: 'Identity', input: ['conv2/BiasAdd'], attr: { T: FLOAT } },
  ];
  const weights = [['conv1/kernel', [3, 3, 3, 4]], ['conv1/bias', [4]], ['conv2/kernel', [1, 1, 4, 2]], ['conv2/bias', [2]]] as const;
  const data = Buffer.concat(weights.map(([n]) => Buffer.from(w[n]!.buffer)));
  writeFileSync(path.join(dir, 'group1-shard1of1.bin'), data);
  const json = {
    format: 'graph-model',
    generatedBy: 'test',
    convertedBy: 'test',
    modelTopology: { node, versions: { producer: 175 } },
    weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: weights.map(([name, shape]) => ({ name, shape, dtype: 'float32' })) }],
  };
  writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
  return path.join(dir, 'model.json');
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('loadFeatureSpace: a graph model on disk', () => {
  const w = {
    'conv1/kernel': tf.randomNormal([3, 3, 3, 4], 0, 0.5, 'float32', 1).dataSync() as Float32Array,
    'conv1/bias': Float32Array.from([0.1, -0.2, 0.05, 0]),
    'conv2/kernel': tf.randomNormal([1, 1, 4, 2], 0, 0.5, 'float32', 2).dataSync() as Float32Array,
    'conv2/bias': Float32Array.from([0.3, -0.1]),
  };
  const reference = (x: tf.Tensor4D) => {
    const h = tf.relu(tf.add(tf.conv2d(x, tf.tensor4d(w['conv1/kernel'], [3, 3, 3, 4]), 1, 'same'), tf.tensor1d(w['conv1/bias'])));
    return { h, out: tf.add(tf.conv2d(h as tf.Tensor4D, tf.tensor4d(w['conv2/kernel'], [1, 1, 4, 2]), 1, 'same'), tf.tensor1d(w['conv2/bias'])) };
  };

  it('reads intermediate nodes by name, with shapes and preprocessing', async () => {
    const modelJson = writeTinyGraph(path.join(root, 'tiny'), w);
    const space = await loadFeatureSpace(tf, { modelJson, layers: ['conv1/Relu', 'Identity'], preprocessing: 'symmetric' });
    expect(space.inputSize).toBe(8);
    expect(space.layers).toEqual([
      { name: 'conv1/Relu', shape: [8, 8, 4], units: 256 },
      { name: 'Identity', shape: [8, 8, 2], units: 128 },
    ]);
    tf.tidy(() => {
      const x = tf.randomUniform([2, 8, 8, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
      const want = reference(tf.sub(tf.mul(x, 2), 1) as tf.Tensor4D);
      const got = space.forward(x);
      expect(tf.max(tf.abs(tf.sub(got['conv1/Relu']!, want.h))).dataSync()[0]).toBeLessThan(1e-5);
      expect(tf.max(tf.abs(tf.sub(got['Identity']!, want.out))).dataSync()[0]).toBeLessThan(1e-5);
    });
    space.dispose();
  });

  it('has the pixel gradient of the same ops written by hand', async () => {
    const modelJson = writeTinyGraph(path.join(root, 'tiny-grad'), w);
    const space = await loadFeatureSpace(tf, { modelJson, layers: ['conv1/Relu', 'Identity'], preprocessing: 'unit' });
    tf.tidy(() => {
      const x = tf.randomUniform([1, 8, 8, 3], 0, 1, 'float32', 6) as tf.Tensor4D;
      const loss = (f: { h: tf.Tensor; out: tf.Tensor }) => tf.add(tf.sum(tf.square(f.h)), tf.sum(tf.sin(f.out))) as tf.Scalar;
      const got = tf.grad((img: tf.Tensor) => {
        const f = space.forward(img as tf.Tensor4D);
        return loss({ h: f['conv1/Relu']!, out: f['Identity']! });
      })(x);
      const want = tf.grad((img: tf.Tensor) => loss(reference(img as tf.Tensor4D)))(x);
      expect(tf.max(tf.abs(tf.sub(got, want))).dataSync()[0]).toBeLessThan(1e-4);
      expect(tf.max(tf.abs(want)).dataSync()[0]).toBeGreaterThan(0.01);
    });
    space.dispose();
  });

  it('reports a node the graph lacks as FEATURE_LAYER_UNKNOWN', async () => {
    const modelJson = writeTinyGraph(path.join(root, 'tiny-unknown'), w);
    await expect(loadFeatureSpace(tf, { modelJson, layers: ['conv3/Relu'], preprocessing: 'unit' })).rejects.toMatchObject({ code: 'FEATURE_LAYER_UNKNOWN' });
  });
});

describe('a real converted graph model: nsfwjs MobileNetV2Mid from disk', () => {
  it('classifies as nsfwjs does with the same model', async () => {
    const artifacts = nsfwjsArtifacts('mobilenet_v2_mid');
    const dir = path.join(root, 'mobilenet_v2_mid');
    mkdirSync(dir, { recursive: true });
    const shards = artifacts.weightData as ArrayBuffer[];
    const paths = shards.map((_, k) => `group1-shard${k + 1}of${shards.length}.bin`);
    shards.forEach((s, k) => writeFileSync(path.join(dir, paths[k]!), Buffer.from(s)));
    const json = { format: artifacts.format, modelTopology: artifacts.modelTopology, userDefinedMetadata: artifacts.userDefinedMetadata, weightsManifest: [{ paths, weights: artifacts.weightSpecs }] };
    writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));

    const prefix = 'StatefulPartitionedCall/sequential/keras_layer/StatefulPartitionedCall/StatefulPartitionedCall/StatefulPartitionedCall/predict/MobilenetV2/';
    const space = await loadFeatureSpace(tf, { modelJson: path.join(dir, 'model.json'), layers: [`${prefix}expanded_conv_5/expand/Relu6`, 'Identity'], preprocessing: 'unit' });
    // Width 1.4: 32 × 6 × 1.4 → 288 channels where the width 1.0 network has 192.
    expect(space.layers.map((l) => l.shape)).toEqual([[28, 28, 288], [5]]);

    const info = vi.spyOn(console, 'info').mockImplementation(() => undefined);
    const nsfwjs = (await import('nsfwjs')) as unknown as { load(name: string): Promise<{ infer(img: tf.Tensor3D): tf.Tensor; dispose(): void }> };
    const reference = await nsfwjs.load('MobileNetV2Mid');
    info.mockRestore();
    const image = Float32Array.from({ length: 224 * 224 * 3 }, (_, i) => ((i % 3) + Math.floor(i / 3 / 224) / 224) / 3);
    const [want, got] = tf.tidy(() => [
      Array.from(reference.infer(tf.mul(tf.tensor3d(image, [224, 224, 3]), 255) as tf.Tensor3D).dataSync()),
      Array.from(space.forward(tf.tensor4d(image, [1, 224, 224, 3]), ['Identity'])['Identity']!.dataSync()),
    ]);
    got.forEach((p, k) => expect(p).toBeCloseTo(want[k]!, 4));
    reference.dispose();
    space.dispose();
  });
});
