/**
 * Feature decoding off the record path (session/feature-trials.ts): TRs are decoded one per turn, in
 * order, only inside a trial's window (a decoded TR between trials would be thrown away), and the
 * trial's refined estimate comes out for each decoded TR.
 */
import { describe, expect, it } from 'vitest';
import { TrialFeatureAccumulator } from '../../src/decode/features/trial-features.js';
import type { Estimate } from '../../src/recon/invert/estimate.js';
import { FeatureTrials } from '../../src/session/feature-trials.js';
import type { LoadedFeatureModel } from '../../src/session/loaded-feature-model.js';

describe('feature trials', () => {
  it('decode only the TRs a trial window holds, in order, and give each one’s estimate', async () => {
    const decodedTrs: number[] = [];
    // Two units; the decoded value is the TR's first voxel value, so the estimates show which TRs were averaged.
    const model = { decoder: { decode: (values: Float32Array) => ((decodedTrs.push(values[1]!), { layers: [Float32Array.of(values[0]!, 0)] })) } } as unknown as LoadedFeatureModel;
    const trials = new TrialFeatureAccumulator({ hrfDelaySec: 4, space: 'pixels', layers: [{ name: 'pixels', space: 'pixels', unitIndices: Int32Array.of(0, 1), featureMean: Float32Array.of(0, 0), featureStd: Float32Array.of(1, 1) }] });
    trials.addEvent({ onset: 2, duration: 4 }); // window [6, 10) s: TRs 3 and 4 at TR 2 s
    trials.addEvent({ onset: 12, duration: 2 }); // window [16, 18): TR 8
    const feature = new FeatureTrials(model, trials);
    const estimates: Estimate[] = [];
    feature.estimates$.subscribe((e) => estimates.push(e));
    for (let tr = 0; tr < 12; tr++) feature.take({ tr, runTime: tr * 2, values: Float32Array.of(10 + tr, tr) });
    await feature.finish();
    expect(decodedTrs).toEqual([3, 4, 8]);
    expect(estimates.map((e) => [e.trial, e.tr])).toEqual([[0, 3], [0, 4], [1, 8]]);
    expect(feature.timing().count).toBe(3);
  });
});
