/**
 * Feature bundles on disk: a round trip keeps every number, numpy reads the documented layout and
 * decodes a TR as FeatureDecoder does, and every kind of damage is MODEL_INVALID with a reason
 * (a missing bundle.json is MODEL_NOT_FOUND), so a broken bundle is refused at load time.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBundle } from '../../src/decode/bundle.js';
import { bundleKind, featureBundleFiles, featureBundleFromFiles, readFeatureBundle, writeFeatureBundle, type FeatureBundle } from '../../src/decode/features/bundle.js';
import { FeatureDecoder } from '../../src/decode/features/decoder.js';
import { seededNormal } from '../../src/decode/synthetic.js';
import { BoldstreamError } from '../../src/errors.js';
import { referencePython } from '../helpers/paths.js';

/** A small bundle: 6 voxels of a 4×3×2 grid, a 2×2 grey pixels layer and a network layer of 3 decoded units. */
function smallBundle(seed = 1): FeatureBundle {
  const normal = seededNormal(seed);
  const floats = (n: number): Float32Array => Float32Array.from({ length: n }, () => normal());
  const layer = (name: string, space: 'pixels' | 'network', shape: number[], unitIndices: number[], k: number) => ({
    name,
    space,
    shape,
    unitIndices: Int32Array.from(unitIndices),
    voxelsPerUnit: k,
    voxels: Int32Array.from({ length: unitIndices.length * k }, (_, i) => (i * 5 + Math.floor(i / k)) % 6),
    weights: floats(unitIndices.length * k),
    intercept: floats(unitIndices.length),
    featureMean: floats(unitIndices.length),
    featureStd: Float32Array.from(floats(unitIndices.length), (v, i) => (i === 1 ? 0 : Math.abs(v) + 0.1)),
    strength: 12.5,
    crossValidation: null,
  });
  return {
    space: { name: 'mobilenet_v2', network: { source: 'bundled', name: 'mobilenet_v2', inputSize: 224 }, pixels: { size: 2, color: 'gray', inputSize: 8 } },
    layers: [
      layer('pixels', 'pixels', [2, 2, 1], [0, 1, 2, 3], 3),
      {
        ...layer('block_6_expand_relu', 'network', [28, 28, 192], [17, 40000, 150527], 4),
        crossValidation: { scheme: 'leave-one-run-out', strengths: [1, 10], meanProfileByStrength: [0.2, Number.NaN], chosenStrength: 1, profileCorrelation: 0.2, units: 3, folds: [{ run: '01', samples: 20 }, { run: '02', samples: 21 }] },
      },
    ],
    voxelIndices: Int32Array.from([1, 4, 5, 9, 17, 23]),
    voxelMean: floats(6),
    voxelStd: Float32Array.from(floats(6), (v) => Math.abs(v) + 0.5),
    grid: { dims: [4, 3, 2], affine: Float64Array.from([3, 0, 0, -6, 0, 3, 0, -4, 0, 0, 4, -2, 0, 0, 0, 1]) },
    mask: 'mask.nii.gz',
    hrfDelaySec: 4.5,
    features: 'psc',
    baselineLagVolumes: 10,
    training: { runs: ['01', '02'], samples: 41, samplesPerRun: { '01': 20, '02': 21 }, stimuli: 41, seed: 7, createdAt: '2024-05-01T12:00:00.000Z', software: { name: 'boldstream', version: '0.1.0' }, hrfDelaySearch: [{ delaySec: 4.5, profileCorrelation: 0.2 }] },
  };
}

const NUMPY_DECODE = `
import json, sys, numpy as np
root, x = sys.argv[1], np.array(json.loads(sys.argv[2]))
meta = json.load(open(f'{root}/bundle.json')); raw = open(f'{root}/' + meta['data']['file'], 'rb').read()
def array(ref):
    dtype = {'float32': '<f4', 'int32': '<i4'}[ref['dtype']]
    return np.frombuffer(raw, dtype, int(np.prod(ref['shape'])), ref['offset']).reshape(ref['shape'])
z = (x - array(meta['voxelMean'])) / array(meta['voxelStd'])
out = {}
for layer in meta['layers']:
    V, W = array(layer['voxels']), array(layer['weights'])
    out[layer['name']] = (array(layer['intercept']) + (W * z[V]).sum(1)).tolist()
print(json.dumps(out))`;

function refusal(thunk: () => unknown): string {
  try {
    thunk();
  } catch (e) {
    expect(e).toBeInstanceOf(BoldstreamError);
    expect((e as BoldstreamError).code).toBe('MODEL_INVALID');
    return (e as BoldstreamError).message;
  }
  throw new Error('the bundle was accepted');
}

describe('feature bundle', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'boldstream-feature-bundle-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('survives a round trip through disk with every number and field', async () => {
    const bundle = smallBundle();
    await writeFeatureBundle(dir, bundle);
    const back = await readFeatureBundle(dir);
    expect(back.space).toEqual(bundle.space);
    expect(back.layers.map((l) => l.name)).toEqual(['pixels', 'block_6_expand_relu']);
    for (const [i, l] of back.layers.entries()) {
      const o = bundle.layers[i]!;
      for (const key of ['unitIndices', 'voxels', 'weights', 'intercept', 'featureMean', 'featureStd'] as const) expect(Array.from(l[key])).toEqual(Array.from(o[key]));
      expect([l.shape, l.voxelsPerUnit, l.strength, l.space]).toEqual([o.shape, o.voxelsPerUnit, o.strength, o.space]);
    }
    expect(back.layers[1]!.crossValidation!.meanProfileByStrength[1]).toBeNaN();
    expect(Array.from(back.voxelIndices)).toEqual(Array.from(bundle.voxelIndices));
    expect(Array.from(back.voxelMean)).toEqual(Array.from(bundle.voxelMean));
    expect(Array.from(back.grid.affine)).toEqual(Array.from(bundle.grid.affine));
    expect([back.hrfDelaySec, back.features, back.baselineLagVolumes, back.mask]).toEqual([4.5, 'psc', 10, 'mask.nii.gz']);
    expect(back.training).toEqual(bundle.training);
    expect(await bundleKind(dir)).toBe('features');
  });

  it('is read by numpy as documented, which decodes a TR as FeatureDecoder does', async () => {
    const bundle = smallBundle(2);
    await writeFeatureBundle(dir, bundle);
    const x = Float32Array.from([0.3, -1.2, 2.5, 0, 1.1, -0.4]);
    const ref = JSON.parse(execFileSync(referencePython, ['-c', NUMPY_DECODE, dir, JSON.stringify(Array.from(x))]).toString()) as Record<string, number[]>;
    const decoded = new FeatureDecoder(await readFeatureBundle(dir)).decode(x);
    bundle.layers.forEach((l, i) => {
      const want = ref[l.name]!;
      want.forEach((v, u) => expect(decoded.layers[i]![u]).toBeCloseTo(v, 5));
    });
  });

  it('is refused by the classifier reader (another kind)', async () => {
    await writeFeatureBundle(dir, smallBundle());
    await expect(readBundle(dir)).rejects.toMatchObject({ code: 'MODEL_INVALID' });
  });

  it('refuses damage with MODEL_INVALID and a reason', () => {
    const files = featureBundleFiles(smallBundle());
    const json = JSON.parse(new TextDecoder().decode(files['bundle.json']!)) as Record<string, unknown> & { layers: Record<string, unknown>[]; data: { file: string; byteLength: number } };
    const withJson = (edit: (j: typeof json) => void, data = files['arrays.bin']!): Record<string, Uint8Array> => {
      const copy = structuredClone(json);
      edit(copy);
      return { 'bundle.json': new TextEncoder().encode(JSON.stringify(copy)), 'arrays.bin': data };
    };
    const data = files['arrays.bin']!;
    expect(refusal(() => featureBundleFromFiles({ 'bundle.json': files['bundle.json']!, 'arrays.bin': data.subarray(0, data.length - 4) }))).toMatch(/bytes/);
    expect(refusal(() => featureBundleFromFiles({ 'bundle.json': files['bundle.json']! }))).toMatch(/missing/);
    expect(refusal(() => featureBundleFromFiles(withJson((j) => (j.kind = 'classifier'))))).toMatch(/not a feature bundle/);
    expect(refusal(() => featureBundleFromFiles(withJson((j) => (j.formatVersion = 2))))).toMatch(/version 2/);
    expect(refusal(() => featureBundleFromFiles(withJson((j) => j.layers.shift())))).toMatch(/pixels/);
    expect(refusal(() => featureBundleFromFiles(withJson((j) => ((j.layers[1]!.weights as { offset: number }).offset = 0))))).toMatch(/overlaps/);
    expect(refusal(() => featureBundleFromFiles(withJson((j) => (j.data.file = '../x.bin'))))).toMatch(/plain file name/);
    expect(refusal(() => featureBundleFromFiles(withJson((j) => ((j.layers[1]!.units as number) = 4))))).toMatch(/shape/);
    expect(refusal(() => featureBundleFromFiles({ 'bundle.json': new TextEncoder().encode('{"format":'), 'arrays.bin': data }))).toMatch(/not JSON/);
    // Numbers: a NaN weight, a voxel position past the voxel list, a repeated unit.
    const poke = (where: string, index: number, write: (view: DataView, at: number) => void): Record<string, Uint8Array> => {
      const copy = Uint8Array.from(data);
      const ref = where === 'voxelStd' ? (json.voxelStd as { offset: number }) : (json.layers[1]![where] as { offset: number });
      write(new DataView(copy.buffer), ref.offset + 4 * index);
      return { 'bundle.json': files['bundle.json']!, 'arrays.bin': copy };
    };
    expect(refusal(() => featureBundleFromFiles(poke('weights', 2, (v, at) => v.setFloat32(at, Number.NaN, true))))).toMatch(/weights\[2\] is NaN/);
    expect(refusal(() => featureBundleFromFiles(poke('voxels', 0, (v, at) => v.setInt32(at, 6, true))))).toMatch(/outside the 6 voxels/);
    expect(refusal(() => featureBundleFromFiles(poke('unitIndices', 1, (v, at) => v.setInt32(at, 17, true))))).toMatch(/repeated/);
    expect(refusal(() => featureBundleFromFiles(poke('voxelStd', 3, (v, at) => v.setFloat32(at, 0, true))))).toMatch(/positive/);
    // And a bundle that would be written broken is never written.
    const broken = smallBundle();
    expect(refusal(() => featureBundleFiles({ ...broken, voxelIndices: Int32Array.from([1, 1, 5, 9, 17, 23]) }))).toMatch(/twice/);
  });

  it('says MODEL_NOT_FOUND for a folder without bundle.json, and MODEL_INVALID for an unreadable data file', async () => {
    const empty = await mkdtemp(path.join(tmpdir(), 'boldstream-feature-empty-'));
    try {
      await expect(readFeatureBundle(empty)).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
      await writeFeatureBundle(empty, smallBundle());
      await writeFile(path.join(empty, 'arrays.bin'), (await readFile(path.join(empty, 'arrays.bin'))).subarray(8));
      await expect(readFeatureBundle(empty)).rejects.toMatchObject({ code: 'MODEL_INVALID' });
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
