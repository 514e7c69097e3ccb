/**
 * One set of images scored against the true stimuli with every metric of the report: the final
 * reconstructions, the baseline, or the reconstructions as they stood at one optimiser iteration.
 * The same function scores all of them, so a reconstruction and its baseline differ only in the
 * images, never in how they were measured.
 */
import {
  bootstrapInterval,
  image,
  imageScores,
  pairwiseIdentification,
  pixelCorrelation,
  profileCorrelation,
  patternCorrelation,
  ssim,
  stackRows,
  type SampleMatrix,
  type Score,
  type UnitMoments,
} from './metrics.js';

export const METRICS = {
  pixelCorrelation: { label: 'pixel correlation', over: 'trials' },
  ssim: { label: 'SSIM', over: 'trials' },
  pixelIdentification: { label: 'pairwise identification', over: 'trials' },
  pixelProfileCorrelation: { label: 'profile correlation', over: 'units' },
  featurePatternCorrelation: { label: 'pattern correlation', over: 'trials' },
  featureProfileCorrelation: { label: 'profile correlation', over: 'units' },
  featureIdentification: { label: 'pairwise identification', over: 'trials' },
} as const;

export type MetricName = keyof typeof METRICS;

export interface MetricSummary {
  readonly mean: number;
  readonly sd: number;
  /** Items scored: trials, or units for a profile correlation. */
  readonly n: number;
  /** Items left out because the metric is undefined for them (a constant unit, a flat image). */
  readonly excluded: number;
  /** Percentile bootstrap over trials of the mean; none for profile correlations (units are not independent draws). */
  readonly ci95: readonly [number, number] | null;
}

export type ScoredSet = Partial<Record<MetricName, { readonly summary: MetricSummary; readonly perTrial: Float64Array | null }>>;

export interface ScoreOptions {
  /** Bootstrap resamples for the intervals; 0 leaves them out. */
  readonly bootstrap: number;
  readonly seed: number;
}

function summarise(name: MetricName, score: Score, options: ScoreOptions): { summary: MetricSummary; perTrial: Float64Array | null } {
  const perTrials = METRICS[name].over === 'trials';
  const ci = perTrials && options.bootstrap > 0 ? bootstrapInterval(score.values, { resamples: options.bootstrap, seed: options.seed }) : null;
  return {
    summary: { mean: score.mean, sd: score.sd, n: score.n, excluded: score.excluded, ci95: ci ? [ci.low, ci.high] : null },
    perTrial: perTrials ? score.values : null,
  };
}

/** Pixel metrics of decoded vs true images, all RGB [size, size, 3]; `groups` names each trial's stimulus. */
export function scorePixels(decoded: readonly Float32Array[], truth: readonly Float32Array[], size: number, groups: readonly string[], options: ScoreOptions): ScoredSet {
  const asImage = (d: Float32Array) => image(d, size, size, 3);
  const d = decoded.map(asImage);
  const t = truth.map(asImage);
  const dm = stackRows(decoded);
  const tm = stackRows(truth);
  const out: ScoredSet = {
    pixelCorrelation: summarise('pixelCorrelation', imageScores(d, t, pixelCorrelation), options),
    pixelIdentification: summarise('pixelIdentification', pairwiseIdentification(dm, tm, { groups }), options),
    pixelProfileCorrelation: summarise('pixelProfileCorrelation', profileCorrelation(dm, tm), options),
  };
  // The 11-tap window does not fit smaller images; the report says so rather than guessing.
  return size >= 11 ? { ...out, ssim: summarise('ssim', imageScores(d, t, (a, b) => ssim(a, b)), options) } : out;
}

/**
 * Feature metrics of decoded vs true feature matrices (one row per trial). `moments` z-score the
 * units for pattern correlation (see PatternOptions); profile correlation does not depend on them,
 * and identification follows bdpy in comparing raw features.
 */
export function scoreFeatures(decoded: SampleMatrix, truth: SampleMatrix, groups: readonly string[], options: ScoreOptions, moments: UnitMoments | null): ScoredSet {
  return {
    featurePatternCorrelation: summarise('featurePatternCorrelation', patternCorrelation(decoded, truth, moments ?? {}), options),
    featureProfileCorrelation: summarise('featureProfileCorrelation', profileCorrelation(decoded, truth), options),
    featureIdentification: summarise('featureIdentification', pairwiseIdentification(decoded, truth, { groups }), options),
  };
}
