/**
 * The feature decoders' input, handed off the record path: each TR's values of the feature bundle's
 * voxels, transformed as the bundle says it was trained on (psc with its baseline lag, or a z-score),
 * copied out of the running sums now — the next TR changes them — and given to `handOff`.
 *
 * Only the copy happens here (a few thousand values, well under 0.1 ms). Decoding them costs
 * 4 million multiply-adds at the default bundle size (~5 ms), so the session does that after this
 * TR's record has left (session/feature-trials.ts): records never wait for features, nor for
 * anything reconstruction does.
 */
import type { OperatorFunction } from 'rxjs';
import type { PipelineItem } from './context.js';
import type { ReferenceHolder } from './set-reference.js';
import { stage } from './stage.js';
import type { FeatureTransform } from '../preprocess/temporal.js';

/** One TR's input to the feature decoders. */
export interface FeatureTr {
  readonly tr: number;
  /** Seconds since the start of the run (the clock events are placed on). */
  readonly runTime: number;
  /** The bundle's voxels in its order, transformed; owned by the receiver. */
  readonly values: Float32Array;
}

export function featureVoxels(holder: ReferenceHolder, transform: FeatureTransform, handOff: (tr: FeatureTr) => void): OperatorFunction<PipelineItem, PipelineItem> {
  return stage('features', (ctx) => {
    const features = holder.current?.features;
    if (!features) return;
    handOff({ tr: ctx.tr, runTime: ctx.runTime, values: features.normaliser.transform(transform, features.positions) });
  });
}
