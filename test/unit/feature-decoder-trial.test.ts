/**
 * Run-time feature decoding: FeatureDecoder's arithmetic and its handling of bad voxels; the
 * trial accumulator's window rule, which must be the classifiers' (TrialAccumulator) and that of
 * the training samples (trialSamples), since training averaged the same TRs the run time averages;
 * its incremental mean; and the rescaling to the training spread.
 */
import { describe, expect, it } from 'vitest';
import type { FeatureBundle } from '../../src/decode/features/bundle.js';
import { FeatureDecoder } from '../../src/decode/features/decoder.js';
import { rescaleToTraining } from '../../src/decode/features/rescale.js';
import { TrialFeatureAccumulator } from '../../src/decode/features/trial-features.js';
import { seededNormal } from '../../src/decode/synthetic.js';
import { TrialAccumulator } from '../../src/decode/trial.js';
import { BoldstreamError } from '../../src/errors.js';
import { trialSamples } from '../../src/train/feature-samples.js';
import type { RunFeatures } from '../../src/train/run-features.js';

/** Overlapping windows, equal onsets (the later listed wins), a zero-duration event, gaps. */
const events = [
  { onset: 0, duration: 6, stim_file: 'a.png', trial_type: 'x' },
  { onset: 4, duration: 3, stim_file: 'b.png', trial_type: 'y' },
  { onset: 4, duration: 2, stim_file: 'c.png', trial_type: 'y' },
  { onset: 12, duration: 0, stim_file: 'd.png' },
  { onset: 14.1, duration: 2.4, stim_file: 'e.png' },
  { onset: 30, duration: 4, stim_file: 'f.png' },
];
const TR = 1.5;
const times = Array.from({ length: 24 }, (_, i) => i * TR);

const layerStats = (units: number, space: 'pixels' | 'network') => ({
  name: space === 'pixels' ? 'pixels' : 'conv',
  space,
  unitIndices: Int32Array.from({ length: units }, (_, i) => (space === 'pixels' ? i : 10 * i + 3)),
  featureMean: Float32Array.from({ length: units }, (_, i) => i / 4),
  featureStd: Float32Array.from({ length: units }, (_, i) => (i === 2 ? 0 : 0.5 + i / 8)),
});

describe('trial accumulation of decoded features', () => {
  it('puts every TR in the same trial as the classifiers and the training samples do', () => {
    for (const delay of [0, 2, 5]) {
      const classes = new TrialAccumulator({ labels: ['x', 'y'], scoreKind: 'decision', hrfDelaySec: delay, events });
      const features = new TrialFeatureAccumulator({ hrfDelaySec: delay, space: 'test', layers: [layerStats(3, 'pixels')], events });
      const owner = times.map((t, tr) => {
        const a = classes.update(t, [0, 0])?.index ?? null;
        const b = features.update(t, tr, [new Float32Array(3)])?.index ?? null;
        expect(b).toBe(a);
        return a;
      });
      expect(owner.some((o) => o !== null)).toBe(true);
      // Training: one-hot rows, so a sample's values say which TRs it averaged.
      const rows = times.map((_, i) => Float32Array.from({ length: times.length }, (_, c) => (c === i ? 1 : 0)));
      const run: RunFeatures = { run: 'r', trs: times.map((_, i) => i), runTimes: times, rows, skipped: 0, repetitionTime: TR, grid: { dims: [24, 1, 1], voxelSize: [1, 1, 1], affine: new Float64Array(16) } };
      const samples = trialSamples([{ id: '01', features: run, events }], delay);
      const expected = events.map((e, i) => ({ file: e.stim_file, trs: owner.flatMap((o, tr) => (o === i ? [tr] : [])) })).filter((e) => e.trs.length > 0);
      expect(samples.stimuli).toEqual(expected.map((e) => e.file));
      expected.forEach((e, s) => {
        const row = Array.from(samples.x.data.subarray(s * times.length, (s + 1) * times.length));
        e.trs.forEach((tr) => expect(row[tr]).toBeCloseTo(1 / e.trs.length, 12));
        expect(row.reduce((a, v) => a + v, 0)).toBeCloseTo(1, 12);
      });
    }
  });

  it('returns the running mean of the decoded TRs, rescaled so that the pattern has the training spread', () => {
    const normal = seededNormal(4);
    const layers = [layerStats(4, 'pixels'), layerStats(6, 'network')];
    const acc = new TrialFeatureAccumulator({ hrfDelaySec: 0, space: 'mobilenet_v2', layers, events: [{ onset: 3, duration: 6 }] });
    expect(acc.update(0, 0, [new Float32Array(4), new Float32Array(6)])).toBeNull();
    const seen: Float32Array[][] = [];
    for (let tr = 2; tr < 6; tr++) {
      const decoded = layers.map((l) => Float32Array.from(l.featureMean, (m) => m + 0.1 * normal()));
      seen.push(decoded);
      const state = acc.update(tr * TR, tr, decoded)!;
      expect(state.n).toBe(seen.length);
      expect(state.estimate).toMatchObject({ trial: 0, tr, space: 'mobilenet_v2' });
      layers.forEach((l, li) => {
        const mean = Array.from(l.featureMean, (_, u) => seen.reduce((a, d) => a + d[li]![u]!, 0) / seen.length);
        mean.forEach((v, u) => expect(state.mean[li]![u]).toBeCloseTo(v, 5));
        const out = state.estimate.layers[li]!;
        expect(out.name).toBe(l.name);
        expect(out.unitIndices).toBe(l.space === 'pixels' ? null : l.unitIndices);
        // The deviation from the training mean is scaled by one gain, to unit mean square in z.
        let ss = 0;
        l.featureStd.forEach((s, u) => {
          if (s === 0) return expect(out.values[u]).toBeCloseTo(l.featureMean[u]!, 6);
          expect(out.values[u]! - l.featureMean[u]!).toBeCloseTo(state.gains[li]! * (mean[u]! - l.featureMean[u]!), 4);
          ss += ((out.values[u]! - l.featureMean[u]!) / s) ** 2;
        });
        expect(ss / (l.featureStd.length - 1)).toBeCloseTo(1, 4);
      });
    }
    expect(acc.update(9.5, 6, [new Float32Array(4), new Float32Array(6)])).toBeNull();
  });

  it('does not rescale a pattern that is the training mean, and skips non-finite TRs', () => {
    const mean = Float32Array.from([1, 2, 3]);
    expect(rescaleToTraining(mean, mean, Float32Array.from([1, 1, 1]))).toEqual({ values: mean, gain: 0 });
    const acc = new TrialFeatureAccumulator({ hrfDelaySec: 0, space: 's', layers: [layerStats(3, 'pixels')], events: [{ onset: 0, duration: 10 }] });
    expect(acc.update(0, 0, [Float32Array.from([1, Number.NaN, 0])])).toBeNull();
    expect(acc.update(1.5, 1, [Float32Array.from([1, 1, 1])])!.n).toBe(1);
  });
});

describe('FeatureDecoder', () => {
  const bundle = {
    voxelIndices: Int32Array.from([3, 8, 9]),
    voxelMean: Float32Array.from([10, 20, 30]),
    voxelStd: Float32Array.from([2, 4, 5]),
    hrfDelaySec: 5,
    layers: [{ name: 'pixels', space: 'pixels', shape: [1, 1, 2], unitIndices: Int32Array.from([0, 1]), voxelsPerUnit: 2, voxels: Int32Array.from([0, 2, 1, 2]), weights: Float32Array.from([1, -2, 0.5, 3]), intercept: Float32Array.from([0.25, -1]), featureMean: Float32Array.from([0, 0]), featureStd: Float32Array.from([1, 1]), strength: 1, crossValidation: null }],
  } as unknown as FeatureBundle;

  it('decodes intercept + Σ w·z over each unit’s voxels, a non-finite voxel reading as its mean', () => {
    const decoder = new FeatureDecoder(bundle);
    expect(decoder.cost).toBe(3 + 4);
    const z = [(14 - 10) / 2, (12 - 20) / 4, (40 - 30) / 5];
    const out = decoder.decode(Float32Array.from([14, 12, 40]));
    expect(out.layers[0]![0]).toBeCloseTo(0.25 + 1 * z[0]! - 2 * z[2]!, 6);
    expect(out.layers[0]![1]).toBeCloseTo(-1 + 0.5 * z[1]! + 3 * z[2]!, 6);
    const bad = decoder.decode(Float32Array.from([14, Number.NaN, 40]));
    expect(bad.nonFinite).toBe(1);
    expect(bad.layers[0]![1]).toBeCloseTo(-1 + 3 * z[2]!, 6);
    expect(decoder.nonFiniteTotal).toBe(1);
  });

  it('refuses a TR of another voxel count with MODEL_GRID_MISMATCH', () => {
    let thrown: unknown = null;
    try {
      new FeatureDecoder(bundle).decode(new Float32Array(4));
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(BoldstreamError);
    expect(thrown).toMatchObject({ code: 'MODEL_GRID_MISMATCH' });
  });
});
