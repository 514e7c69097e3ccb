/**
 * The feature-space half of an evaluation: CNN features of the stimuli, of the frames and of the
 * baseline, scored with the same metrics (score-set.ts), and the units' moments that pattern
 * correlation is z-scored with.
 */
import { loadImage } from '../recon/network/index.js';
import type { FeatureExtractor } from './features.js';
import { MomentsAccumulator, sampleMatrix, type UnitMoments } from './matrix.js';
import { scoreFeatures, type ScoredSet, type ScoreOptions } from './score-set.js';

/** Where the units' moments for pattern correlation came from, for the report. */
export interface Normalisation {
  readonly source: 'training images' | 'test stimuli';
  readonly images: number;
}

/**
 * Feature metrics with the stimuli's features and the units' moments computed once. Frames'
 * features are kept only from one call to the next (a trial whose image did not change between two
 * iterations is not run again); a layer of 10⁵ units per image would otherwise fill memory over
 * many iterations.
 */
export function featureScorer(extractor: FeatureExtractor, truth: readonly Float32Array[], groups: readonly string[], scoring: ScoreOptions, momentsOf: () => Promise<UnitMoments>) {
  let truthRows: Float32Array[] | null = null;
  let moments: UnitMoments | null = null;
  let previous = new Map<string, Float32Array>();
  return async (images: readonly Float32Array[], keys: readonly string[]): Promise<ScoredSet> => {
    // One after the other: both run the network, and a failure surfaces here, not unhandled.
    truthRows ??= await extractor.features(truth);
    moments ??= await momentsOf();
    const current = new Map<string, Float32Array>();
    const todo: { key: string; image: Float32Array }[] = [];
    keys.forEach((key, i) => {
      const kept = previous.get(key);
      if (kept) current.set(key, kept);
      else if (!todo.some((t) => t.key === key)) todo.push({ key, image: images[i]! });
    });
    const computed = await extractor.features(todo.map((t) => t.image));
    todo.forEach((t, m) => current.set(t.key, computed[m]!));
    previous = current;
    const rows = keys.map((k) => current.get(k)!);
    const stack = (r: readonly Float32Array[]) => {
      const data = new Float32Array(r.length * extractor.units);
      r.forEach((row, i) => data.set(row, i * extractor.units));
      return sampleMatrix(data, r.length, extractor.units);
    };
    return scoreFeatures(stack(rows), stack(truthRows), groups, scoring, moments);
  };
}

/**
 * Per-unit moments of the features of images read at `size`, a batch at a time, with each unit's
 * sd floored at the median sd of the layer. bdpy z-scores by the plain training sd, which suits its
 * 1200 natural training images; with a few hundred training images of another kind than the test
 * images (patches and textures against shapes and letters), a unit nearly silent in training but
 * active at test gets z-scores in the thousands and the pattern correlation follows that one unit.
 * Measured on a simulated subject (MobileNetV2 block_6, blurred copies of the test images against the
 * mean training image): plain sd 0.12 vs 0.01, floored 0.66 vs 0.09, raw features 0.82 vs 0.48.
 */
export async function featureMoments(extractor: FeatureExtractor, images: readonly (string | Float32Array)[], size: number): Promise<UnitMoments> {
  const acc = new MomentsAccumulator(extractor.units);
  const BATCH = 16;
  for (let start = 0; start < images.length; start += BATCH) {
    const batch = await Promise.all(images.slice(start, start + BATCH).map((im) => (typeof im === 'string' ? loadImage(im, size) : im)));
    for (const row of await extractor.features(batch)) acc.add(row);
  }
  const moments = acc.result();
  const varying = moments.std.filter((s) => s > 0).sort();
  const floor = varying.length > 0 ? varying[Math.floor(varying.length / 2)]! : 0;
  // Units silent in training get the floor too: at test they may carry the image.
  return { ...moments, std: moments.std.map((s) => Math.max(s, floor)) };
}
