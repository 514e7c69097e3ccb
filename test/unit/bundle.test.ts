/**
 * Model bundles: an exact round trip through files and folders, and MODEL_INVALID for every kind of
 * damage a copy, an upload or a hand edit can do.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ModelBundle, assertBundleGrid, bundleFiles, bundleFromFiles, readBundle, writeBundle } from '../../src/decode/bundle.js';
import { syntheticDecodingSet } from '../../src/decode/synthetic.js';
import { bundleFromTraining, trainClassifier } from '../../src/decode/train.js';
import { BoldstreamError, type ErrorCode } from '../../src/errors.js';
import { fromRows } from '../../src/geometry/mat4.js';

const labels = ['bottle', 'cat', 'chair', 'face', 'house'];
const affine = fromRows([
  [-3.5, 0, 0, 68.25],
  [0, 3.75, 0, -118.125],
  [0, 0, 3.75, -25.5],
  [0, 0, 0, 1],
]);
const grid = { dims: [40, 20, 1] as const, affine };

function trainedBundle(method: 'ridge' | 'logistic'): ModelBundle {
  const set = syntheticDecodingSet({ runs: 3, samplesPerRun: 40, features: 30, labels, signal: 1, seed: 3 });
  const trained = trainClassifier({ features: set.features, labels: set.labels, runs: set.runs }, { method, strengths: [1, 10, 100] });
  // Every 7th voxel of the 800 in the grid, in a scrambled order: order must survive the trip.
  const voxelIndices = Array.from({ length: 30 }, (_, j) => ((j * 11) % 30) * 7 + 3);
  return bundleFromTraining(trained, { voxelIndices, grid, hrfDelaySec: 5, features: 'psc', baselineLagVolumes: 10, createdAt: new Date('2024-05-01T12:00:00.000Z') });
}

function codeOf(f: () => unknown): ErrorCode | 'none' | 'other' {
  try {
    f();
  } catch (e) {
    return e instanceof BoldstreamError ? e.code : 'other';
  }
  return 'none';
}

describe('model bundle round trip', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'boldstream-bundle-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  for (const method of ['ridge', 'logistic'] as const) {
    it(`${method}: files and folder give back exactly the bundle written`, async () => {
      const bundle = trainedBundle(method);
      expect(bundleFromFiles(bundleFiles(bundle))).toEqual(bundle);
      await writeBundle(path.join(dir, method), bundle);
      const back = await readBundle(path.join(dir, method));
      expect(back).toEqual(bundle);
      expect(back.weights).toBeInstanceOf(Float32Array);
      expect(Array.from(back.voxelIndices)).toEqual(Array.from(bundle.voxelIndices));
      expect(back.training.crossValidation?.folds.map((f) => f.run)).toEqual(['01', '02', '03']);
    });
  }

  it('writes the documented layout: float32 little-endian W, bias, mean, std at the declared offsets', () => {
    const bundle = trainedBundle('ridge');
    const files = bundleFiles(bundle);
    const json = JSON.parse(new TextDecoder().decode(files['bundle.json'])) as Record<string, unknown> & {
      weights: Record<string, { offset: number; shape: number[] }> & { byteLength: number };
    };
    expect(json).toMatchObject({ format: 'boldstream-model-bundle', formatVersion: 1, kind: 'classifier', featureCount: 30, mask: 'mask.nii.gz', hrfDelaySec: 5 });
    expect(json.weights.byteLength).toBe(4 * (5 * 30 + 5 + 30 + 30));
    const bytes = files['weights.f32']!;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    expect(view.getFloat32(json.weights.W!.offset + 4 * (2 * 30 + 7), true)).toBe(bundle.weights[2 * 30 + 7]);
    expect(view.getFloat32(json.weights.bias!.offset + 4 * 4, true)).toBe(bundle.bias[4]);
    expect(view.getFloat32(json.weights.featureStd!.offset + 4 * 29, true)).toBe(bundle.featureStd[29]);
  });

  it('says MODEL_NOT_FOUND for a folder without bundle.json', async () => {
    await expect(readBundle(path.join(dir, 'nothing-here'))).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
  });

  it('says MODEL_INVALID for a folder whose weights file is missing or cut short', async () => {
    const target = path.join(dir, 'damaged');
    await writeBundle(target, trainedBundle('ridge'));
    const weights = await readFile(path.join(target, 'weights.f32'));
    await writeFile(path.join(target, 'weights.f32'), weights.subarray(0, weights.length - 10));
    await expect(readBundle(target)).rejects.toMatchObject({ code: 'MODEL_INVALID', message: /truncated/ });
    await rm(path.join(target, 'weights.f32'));
    await expect(readBundle(target)).rejects.toMatchObject({ code: 'MODEL_INVALID', message: /weights\.f32/ });
  });

  it('refuses a bundle on another voxel grid with MODEL_GRID_MISMATCH', () => {
    const bundle = trainedBundle('ridge');
    expect(codeOf(() => assertBundleGrid(bundle, grid))).toBe('none');
    expect(codeOf(() => assertBundleGrid(bundle, { dims: [40, 20, 2], affine }))).toBe('MODEL_GRID_MISMATCH');
    const shifted = Float64Array.from(affine);
    shifted[3] = affine[3]! + 3.5;
    expect(codeOf(() => assertBundleGrid(bundle, { dims: grid.dims, affine: shifted }))).toBe('MODEL_GRID_MISMATCH');
  });
});

describe('damaged bundles are MODEL_INVALID', () => {
  const good = bundleFiles(trainedBundle('ridge'));
  const goodJson = (): Record<string, unknown> & { weights: Record<string, unknown>; grid: Record<string, unknown>; training: Record<string, unknown> } =>
    JSON.parse(new TextDecoder().decode(good['bundle.json']));
  const withJson = (edit: (j: ReturnType<typeof goodJson>) => void, raw?: string): Record<string, Uint8Array> => {
    const j = goodJson();
    edit(j);
    return { ...good, 'bundle.json': new TextEncoder().encode(raw ?? JSON.stringify(j)) };
  };
  const withBytes = (edit: (view: DataView, bytes: Uint8Array) => Uint8Array | void): Record<string, Uint8Array> => {
    const bytes = Uint8Array.from(good['weights.f32']!);
    const out = edit(new DataView(bytes.buffer), bytes) ?? bytes;
    return { ...good, 'weights.f32': out };
  };
  const p = 30;
  const k = 5;
  const cases: [string, Record<string, Uint8Array>, RegExp][] = [
    ['truncated weights', withBytes((_, b) => b.subarray(0, b.length - 4)), /truncated/],
    ['extra bytes after the weights', withBytes((_, b) => Uint8Array.from([...b, 0, 0, 0, 0])), /bytes/],
    ['a NaN weight', withBytes((v) => v.setFloat32(4 * 17, Number.NaN, true)), /W\[17\] is NaN/],
    ['an infinite bias', withBytes((v) => v.setFloat32(4 * (k * p + 1), Infinity, true)), /bias\[1\] is Infinity/],
    ['a NaN feature mean', withBytes((v) => v.setFloat32(4 * (k * p + k + 3), Number.NaN, true)), /featureMean\[3\]/],
    ['a zero feature std', withBytes((v) => v.setFloat32(4 * (k * p + k + p + 2), 0, true)), /featureStd\[2\] is 0/],
    ['a negative feature std', withBytes((v) => v.setFloat32(4 * (k * p + k + p), -1, true)), /featureStd\[0\]/],
    ['no bundle.json', { 'weights.f32': good['weights.f32']! }, /bundle\.json is missing/],
    ['no weights file', { 'bundle.json': good['bundle.json']! }, /weights\.f32 is missing/],
    ['bundle.json not JSON', withJson(() => {}, '{"format": "boldstream-model-bundle",'), /not JSON/],
    ['an unknown format version', withJson((j) => (j.formatVersion = 2)), /format version 2 is not supported/],
    ['another format', withJson((j) => (j.format = 'something-else')), /format/],
    ['another kind', withJson((j) => (j.kind = 'regressor')), /kind/],
    ['W of the wrong shape', withJson((j) => (j.weights.W = { offset: 0, shape: [k, p + 1] })), /weights\.W: shape/],
    ['a feature count that disagrees with the voxels', withJson((j) => (j.featureCount = p - 1)), /shape|voxelIndices/],
    ['one voxel index too few', withJson((j) => (j.voxelIndices = (j.voxelIndices as number[]).slice(1))), /voxelIndices: 29 indices/],
    ['a voxel outside the grid', withJson((j) => ((j.voxelIndices as number[])[0] = 800)), /outside/],
    ['a voxel twice', withJson((j) => ((j.voxelIndices as number[])[1] = (j.voxelIndices as number[])[0]!)), /twice/],
    ['a fractional voxel index', withJson((j) => ((j.voxelIndices as number[])[0] = 1.5)), /voxelIndices/],
    ['a label twice', withJson((j) => ((j.labels as string[])[1] = 'bottle')), /label appears twice/],
    ['a label too few', withJson((j) => (j.labels = (j.labels as string[]).slice(1))), /shape/],
    ['a NaN strength (null in JSON)', withJson((j) => (j.strength = null)), /strength/],
    ['a negative HRF delay', withJson((j) => (j.hrfDelaySec = -1)), /hrfDelaySec/],
    ['a broken affine', withJson((j) => ((j.grid.affine as number[][])[3] = [0, 0, 1, 1])), /last row/],
    ['an affine of three rows', withJson((j) => (j.grid.affine = (j.grid.affine as number[][]).slice(0, 3))), /affine/],
    ['a weights file outside the folder', withJson((j) => (j.weights.file = '../weights.f32')), /plain file name/],
    ['a mask path instead of a name', withJson((j) => (j.mask = '/etc/mask.nii.gz')), /plain file name/],
    ['weights declared big-endian', withJson((j) => (j.weights.byteOrder = 'big')), /byteOrder/],
    ['overlapping arrays', withJson((j) => (j.weights.bias = { offset: 4, shape: [k] })), /overlaps/],
    ['a misaligned offset', withJson((j) => (j.weights.featureStd = { offset: 4 * (k * p + k + p) + 2, shape: [p] })), /multiple of 4/],
    ['an array past the end', withJson((j) => (j.weights.featureStd = { offset: 4 * (k * p + k + p) + 4, shape: [p] })), /beyond/],
    ['a score kind of another method', withJson((j) => (j.scoreKind = 'log-probability')), /scoreKind/],
    ['an unreadable creation time', withJson((j) => (j.training.createdAt = 'yesterday')), /createdAt/],
    ['samples of an unknown label', withJson((j) => (j.training.samplesPerLabel = { dog: 3 })), /dog/],
    ['a confusion matrix of the wrong size', withJson((j) => ((j.training.crossValidation as { confusion: number[][] }).confusion = [[1]])), /confusion/],
  ];
  for (const [name, files, message] of cases) {
    it(name, () => {
      let thrown: unknown;
      try {
        bundleFromFiles(files);
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(BoldstreamError);
      expect((thrown as BoldstreamError).code).toBe('MODEL_INVALID');
      expect((thrown as BoldstreamError).message).toMatch(message);
    });
  }

  it('refuses to write a bundle that could not be read back', () => {
    const bundle = trainedBundle('ridge');
    const broken = { ...bundle, featureStd: Float32Array.from(bundle.featureStd, (v, i) => (i === 4 ? Number.NaN : v)) };
    expect(codeOf(() => bundleFiles(broken))).toBe('MODEL_INVALID');
  });
});
