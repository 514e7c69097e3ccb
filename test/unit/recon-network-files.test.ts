/**
 * Any tfjs layers model on disk as a feature space: model.json + weight shards read from the file
 * system, outputs equal to tfjs's own run, batch norms without a scale (which break tf.grad through
 * tfjs-layers) folded so that the pixel gradient works and agrees with finite differences, shared
 * layers served by the fallback path, and every failure with its catalogue code.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadFeatureSpace } from '../../src/recon/network/index.js';
import { planLayersGraph } from '../../src/recon/network/layers-graph.js';

const root = mkdtempSync(path.join(tmpdir(), 'boldstream-net-'));

/** A small MobileNet-like model: BN with and without scale and centre, depthwise, residual add, a head. */
function buildModel(): tf.LayersModel {
  const input = tf.input({ shape: [16, 16, 3], name: 'image' });
  const L = tf.layers;
  const pad = L.zeroPadding2d({ padding: [[0, 1], [0, 1]] }).apply(input) as tf.SymbolicTensor;
  let x = L.conv2d({ filters: 6, kernelSize: 3, strides: 2, useBias: false, name: 'stem' }).apply(pad) as tf.SymbolicTensor;
  x = L.batchNormalization({ scale: false, name: 'stem_bn' }).apply(x) as tf.SymbolicTensor;
  const skip = L.reLU({ maxValue: 6, name: 'stem_relu' }).apply(x) as tf.SymbolicTensor;
  x = L.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', useBias: false, name: 'dw' }).apply(skip) as tf.SymbolicTensor;
  x = L.batchNormalization({ name: 'dw_bn' }).apply(x) as tf.SymbolicTensor;
  x = L.activation({ activation: 'relu', name: 'dw_relu' }).apply(x) as tf.SymbolicTensor;
  x = L.conv2d({ filters: 6, kernelSize: 1, name: 'project' }).apply(x) as tf.SymbolicTensor;
  x = L.batchNormalization({ center: false, name: 'project_bn' }).apply(x) as tf.SymbolicTensor;
  x = L.add({ name: 'add' }).apply([skip, x]) as tf.SymbolicTensor;
  x = L.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'tanh', name: 'top' }).apply(x) as tf.SymbolicTensor;
  x = L.flatten({ name: 'flat' }).apply(x) as tf.SymbolicTensor;
  const out = L.dense({ units: 3, activation: 'softmax', name: 'probs' }).apply(x) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out });
  // Trained-looking BN statistics, so that folding them has something to get wrong.
  let seed = 1;
  for (const layer of model.layers.filter((l) => l.getClassName() === 'BatchNormalization')) {
    layer.setWeights(layer.getWeights().map((w, i, all) => tf.tidy(() => {
      const isVariance = i === all.length - 1;
      return isVariance ? tf.randomUniform(w.shape, 0.3, 2, 'float32', seed++) : tf.randomUniform(w.shape, -0.8, 1.2, 'float32', seed++);
    })));
  }
  return model;
}

/** Saves a model as tensorflowjs_converter does: model.json plus weights cut into shards. */
async function saveToDir(model: tf.LayersModel, dir: string, shards = 2): Promise<string> {
  mkdirSync(dir, { recursive: true });
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    const data = Array.isArray(artifacts.weightData) ? Buffer.concat(artifacts.weightData.map((b) => Buffer.from(b))) : Buffer.from(artifacts.weightData!);
    // Cut at odd byte offsets: a shard boundary may fall inside a weight, even inside a float.
    const cuts = Array.from({ length: shards + 1 }, (_, k) => (k === shards ? data.length : Math.floor((k * data.length) / shards) + (k > 0 ? 1 : 0)));
    const paths = Array.from({ length: shards }, (_, k) => `group1-shard${k + 1}of${shards}.bin`);
    paths.forEach((p, k) => writeFileSync(path.join(dir, p), data.subarray(cuts[k], cuts[k + 1])));
    const json = { format: 'layers-model', generatedBy: 'test', convertedBy: null, modelTopology: artifacts.modelTopology, weightsManifest: [{ paths, weights: artifacts.weightSpecs }] };
    writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  return path.join(dir, 'model.json');
}

let model: tf.LayersModel;
let modelJson: string;
const image = () => tf.randomUniform([2, 16, 16, 3], 0, 1, 'float32', 42) as tf.Tensor4D;

beforeAll(async () => {
  await tf.setBackend('cpu');
  model = buildModel();
  modelJson = await saveToDir(model, path.join(root, 'tiny'));
});

describe('loadFeatureSpace: a layers model on disk', () => {
  it('reads model.json and its shards and computes what the model computes', async () => {
    const layers = ['stem_relu', 'dw_bn', 'add', 'top', 'probs'];
    const space = await loadFeatureSpace(tf, { modelJson, layers, preprocessing: 'unit' });
    expect(space.name).toBe('tiny');
    expect(space.inputSize).toBe(16);
    expect(space.layers.map((l) => [l.name, l.shape, l.units])).toEqual([
      ['stem_relu', [8, 8, 6], 384],
      ['dw_bn', [8, 8, 12], 768],
      ['add', [8, 8, 6], 384],
      ['top', [8, 8, 8], 512],
      ['probs', [3], 3],
    ]);
    tf.tidy(() => {
      const x = image();
      const sub = tf.model({ inputs: model.inputs, outputs: layers.map((n) => model.getLayer(n).output as tf.SymbolicTensor) });
      const want = sub.predict(x) as tf.Tensor[];
      const got = space.forward(x);
      layers.forEach((n, i) => {
        expect(got[n]!.shape).toEqual(want[i]!.shape);
        expect(tf.max(tf.abs(tf.sub(got[n]!, want[i]!))).dataSync()[0]).toBeLessThan(1e-5);
      });
      // Only what is asked for is returned.
      expect(Object.keys(space.forward(x, ['add']))).toEqual(['add']);
    });
    space.dispose();
  });

  it('applies the preprocessing it is given inside forward', async () => {
    const space = await loadFeatureSpace(tf, { modelJson, layers: ['top'], preprocessing: 'caffe' });
    tf.tidy(() => {
      const x = image();
      // Caffe: BGR, 0–255, ImageNet mean subtracted.
      const caffe = tf.reverse(tf.sub(tf.mul(x, 255), tf.tensor1d([123.68, 116.779, 103.939])), -1);
      const want = tf.model({ inputs: model.inputs, outputs: model.getLayer('top').output as tf.SymbolicTensor }).predict(caffe) as tf.Tensor;
      expect(tf.max(tf.abs(tf.sub(space.forward(x)['top']!, want))).dataSync()[0]).toBeLessThan(1e-4);
    });
    space.dispose();
  });

  it('folds every batch norm that follows a convolution, with or without scale and centre', () => {
    const graph = planLayersGraph(tf, model);
    expect(graph.folded).toBe(3);
    graph.dispose();
  });

  it('has a pixel gradient through batch norms without a scale, agreeing with finite differences', async () => {
    // Through tfjs-layers itself this gradient throws ("Cannot read properties of undefined"), tensorflow/tfjs#2868.
    const space = await loadFeatureSpace(tf, { modelJson, layers: ['stem_relu', 'add', 'top'], preprocessing: 'unit' });
    const x = tf.tensor4d(image().dataSync().slice(0, 16 * 16 * 3), [1, 16, 16, 3]);
    const loss = (img: tf.Tensor): tf.Scalar => {
      const f = space.forward(img as tf.Tensor4D);
      return tf.addN([tf.sum(tf.square(f['stem_relu']!)), tf.sum(tf.sin(f['add']!)), tf.sum(tf.mul(f['top']!, 3))]) as tf.Scalar;
    };
    const grad = tf.grad(loss)(x).dataSync();
    const base = x.dataSync();
    const h = 1e-2;
    for (const p of [0, 100, 301, 500, 767]) {
      const at = (d: number) => tf.tidy(() => {
        const v = Float32Array.from(base);
        v[p]! += d;
        return loss(tf.tensor4d(v, [1, 16, 16, 3])).dataSync()[0]!;
      });
      const numeric = (at(h) - at(-h)) / (2 * h);
      expect(Math.abs(numeric - grad[p]!)).toBeLessThan(0.02 * Math.abs(grad[p]!) + 2e-3);
    }
    x.dispose();
    space.dispose();
  });

  it('runs models it cannot plan (a shared layer) through tfjs, gradient included', async () => {
    const input = tf.input({ shape: [8, 8, 3] });
    const shared = tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu', name: 'shared' });
    const once = shared.apply(input) as tf.SymbolicTensor;
    const twice = shared.apply(once) as tf.SymbolicTensor;
    const out = tf.layers.conv2d({ filters: 2, kernelSize: 1, name: 'out' }).apply(twice) as tf.SymbolicTensor;
    const sharedModel = tf.model({ inputs: input, outputs: out });
    const file = await saveToDir(sharedModel, path.join(root, 'shared'), 1);
    const space = await loadFeatureSpace(tf, { modelJson: file, layers: ['out'], preprocessing: 'unit' });
    tf.tidy(() => {
      const x = tf.randomUniform([1, 8, 8, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
      const want = sharedModel.predict(x) as tf.Tensor;
      expect(tf.max(tf.abs(tf.sub(space.forward(x)['out']!, want))).dataSync()[0]).toBeLessThan(1e-5);
      const g = tf.grad((img: tf.Tensor) => tf.sum(space.forward(img as tf.Tensor4D)['out']!))(x);
      const gWant = tf.grad((img: tf.Tensor) => tf.sum(sharedModel.apply(img) as tf.Tensor))(x);
      expect(tf.max(tf.abs(tf.sub(g, gWant))).dataSync()[0]).toBeLessThan(1e-5);
    });
    space.dispose();
  });

  it('runs its convolutional layers at another input size, and refuses a head fixed to its own', async () => {
    const space = await loadFeatureSpace(tf, { modelJson, layers: ['add', 'top'], inputSize: 32, preprocessing: 'unit' });
    expect(space.layers.map((l) => l.shape)).toEqual([[16, 16, 6], [16, 16, 8]]);
    space.dispose();
    await expect(loadFeatureSpace(tf, { modelJson, layers: ['probs'], inputSize: 32, preprocessing: 'unit' })).rejects.toMatchObject({ code: 'FEATURE_NETWORK_INVALID' });
  });
});

describe('loadFeatureSpace: failures carry their codes', () => {
  const write = (name: string, files: Record<string, string>) => {
    const dir = path.join(root, name);
    mkdirSync(dir, { recursive: true });
    for (const [f, text] of Object.entries(files)) writeFileSync(path.join(dir, f), text);
    return path.join(dir, 'model.json');
  };

  it('a missing model.json or shard is FEATURE_NETWORK_NOT_FOUND', async () => {
    await expect(loadFeatureSpace(tf, { modelJson: path.join(root, 'none', 'model.json'), layers: ['x'], preprocessing: 'unit' })).rejects.toMatchObject({ code: 'FEATURE_NETWORK_NOT_FOUND' });
    const json = JSON.stringify({ modelTopology: {}, weightsManifest: [{ paths: ['gone.bin'], weights: [] }] });
    await expect(loadFeatureSpace(tf, { modelJson: write('noshard', { 'model.json': json }), layers: ['x'], preprocessing: 'unit' })).rejects.toMatchObject({ code: 'FEATURE_NETWORK_NOT_FOUND' });
  });

  it('a file that is not a tfjs model.json, or a shard outside the folder, is FEATURE_NETWORK_INVALID', async () => {
    await expect(loadFeatureSpace(tf, { modelJson: write('notjson', { 'model.json': '{oops' }), layers: ['x'], preprocessing: 'unit' })).rejects.toMatchObject({ code: 'FEATURE_NETWORK_INVALID' });
    await expect(loadFeatureSpace(tf, { modelJson: write('nomanifest', { 'model.json': '{"modelTopology":{}}' }), layers: ['x'], preprocessing: 'unit' })).rejects.toMatchObject({ code: 'FEATURE_NETWORK_INVALID' });
    const escape = JSON.stringify({ modelTopology: {}, weightsManifest: [{ paths: ['../tiny/group1-shard1of2.bin'], weights: [] }] });
    await expect(loadFeatureSpace(tf, { modelJson: write('escape', { 'model.json': escape }), layers: ['x'], preprocessing: 'unit' })).rejects.toMatchObject({ code: 'FEATURE_NETWORK_INVALID', message: expect.stringContaining('outside the model folder') });
  });

  it('a layer the model lacks, or one the space was not loaded with, is FEATURE_LAYER_UNKNOWN', async () => {
    await expect(loadFeatureSpace(tf, { modelJson, layers: ['fc7'], preprocessing: 'unit' })).rejects.toMatchObject({ code: 'FEATURE_LAYER_UNKNOWN' });
    const space = await loadFeatureSpace(tf, { modelJson, layers: ['add'], preprocessing: 'unit' });
    expect(() => tf.tidy(() => space.forward(tf.zeros([1, 16, 16, 3]), ['top']))).toThrow(expect.objectContaining({ code: 'FEATURE_LAYER_UNKNOWN' }));
    space.dispose();
  });
});
