/**
 * The run-time decoder on a bundle small enough to work out by hand.
 *
 *   mean = (1, 2), std = (2, 4), so z = ((x1 − 1)/2, (x2 − 2)/4)
 *   W = [[1, 0], [0, 1], [1, 1]], b = (0, 0.5, −1), labels a, b, c
 */
import { describe, expect, it } from 'vitest';
import type { ModelBundle } from '../../src/decode/bundle.js';
import { LinearDecoder, gatherFeatures } from '../../src/decode/decoder.js';
import { BoldstreamError } from '../../src/errors.js';
import { identity4 } from '../../src/geometry/mat4.js';

function handBundle(method: 'ridge' | 'logistic', bias = [0, 0.5, -1]): ModelBundle {
  return {
    method,
    scoreKind: method === 'ridge' ? 'decision' : 'log-probability',
    labels: ['a', 'b', 'c'],
    voxelIndices: Int32Array.from([5, 2]),
    grid: { dims: [3, 2, 1], affine: identity4() },
    mask: null,
    weights: Float32Array.from([1, 0, 0, 1, 1, 1]),
    bias: Float32Array.from(bias),
    featureMean: Float32Array.from([1, 2]),
    featureStd: Float32Array.from([2, 4]),
    strength: 1,
    hrfDelaySec: 5,
    features: 'psc',
    baselineLagVolumes: 10,
    training: { runs: ['01'], samplesPerLabel: {}, createdAt: '2024-01-01T00:00:00.000Z', software: { name: 'boldstream', version: '0' }, crossValidation: null },
  };
}

describe('LinearDecoder', () => {
  it('gives ridge decision values w·z + b and the best label', () => {
    const d = new LinearDecoder(handBundle('ridge'));
    // x = (3, 2) → z = (1, 0) → scores (1, 0.5, 0)
    const r = d.scores(Float32Array.from([3, 2]));
    expect(r.scores).toEqual({ a: 1, b: 0.5, c: 0 });
    expect(r.label).toBe('a');
    expect(r.nonFinite).toBe(0);
    // x = (−1, 10) → z = (−1, 2) → scores (−1, 2.5, 0)
    expect(d.scores(Float32Array.from([-1, 10]))).toMatchObject({ label: 'b', scores: { a: -1, b: 2.5, c: 0 } });
  });

  it('gives logistic log-probabilities that sum to one', () => {
    const d = new LinearDecoder(handBundle('logistic'));
    const r = d.scores(Float32Array.from([3, 2]));
    const lse = Math.log(Math.exp(1) + Math.exp(0.5) + Math.exp(0));
    expect(r.scores.a).toBeCloseTo(1 - lse, 14);
    expect(r.scores.b).toBeCloseTo(0.5 - lse, 14);
    expect(r.scores.c).toBeCloseTo(-lse, 14);
    expect(Object.values(r.scores).reduce((s, v) => s + Math.exp(v), 0)).toBeCloseTo(1, 14);
    expect(d.scoreKind).toBe('log-probability');
  });

  it('reads NaN and infinite features as the training mean, and counts them', () => {
    const d = new LinearDecoder(handBundle('ridge'));
    // x = (NaN, 6) → z = (0, 1) → scores (0, 1.5, 0)
    const r = d.scores(Float32Array.from([Number.NaN, 6]));
    expect(r).toMatchObject({ label: 'b', scores: { a: 0, b: 1.5, c: 0 }, nonFinite: 1 });
    expect(d.scores(Float32Array.from([Infinity, -Infinity])).nonFinite).toBe(2);
    expect(d.nonFiniteTotal).toBe(3);
  });

  it('breaks ties towards the label listed first', () => {
    const d = new LinearDecoder(handBundle('ridge', [0, 0, 0]));
    // z = (0, 0): every score 0
    expect(d.scores(Float32Array.from([1, 2])).label).toBe('a');
    // z = (0, 1): a 0, b 1, c 1 → b before c
    expect(d.scores(Float32Array.from([1, 6])).label).toBe('b');
  });

  it('refuses features of the wrong length', () => {
    const d = new LinearDecoder(handBundle('ridge'));
    expect(() => d.scores(new Float32Array(3))).toThrow(BoldstreamError);
    expect(() => d.scores(new Float32Array(3))).toThrow(/3 features given, the model expects 2/);
  });

  it('gathers features from a volume in the bundle voxel order', () => {
    const volume = Float32Array.from([10, 11, 12, 13, 14, 15]);
    expect(Array.from(gatherFeatures(volume, handBundle('ridge').voxelIndices))).toEqual([15, 12]);
  });
});
