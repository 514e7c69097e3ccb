/**
 * What every metric returns, and its spread for a report.
 *
 * A metric gives one value per item (a sample, a unit or an image) and their mean. Items where the
 * metric is undefined — a correlation with a constant vector — are NaN in `values`, left out of the
 * mean and counted in `excluded`, because a silently dropped unit or a NaN mean would both mislead.
 * The spread is the items' standard deviation and a percentile bootstrap interval of their mean
 * (Efron & Tibshirani 1993), resampling items with a seeded generator so that a report is the same
 * on every run.
 */
import { Random } from '../synth/random.js';

export interface Score {
  /** One value per item; NaN where the metric is undefined for that item. */
  readonly values: Float64Array;
  /** Mean of the defined values (NaN when none is). */
  readonly mean: number;
  /** Sample standard deviation (n − 1) of the defined values. */
  readonly sd: number;
  /** Number of defined values. */
  readonly n: number;
  /** Number of items left out because the metric is undefined for them. */
  readonly excluded: number;
}

export interface Interval {
  readonly low: number;
  readonly high: number;
  /** Coverage, e.g. 0.95. */
  readonly level: number;
  readonly resamples: number;
}

export interface BootstrapOptions {
  /** Bootstrap resamples; default 2000. */
  readonly resamples?: number;
  /** Coverage of the interval; default 0.95. */
  readonly level?: number;
  /** Seed of the resampling; default 1. */
  readonly seed?: number;
}

/** Builds a Score from per-item values (NaN = undefined item). */
export function scoreOf(values: Float64Array): Score {
  let n = 0;
  let sum = 0;
  for (const v of values) {
    if (Number.isFinite(v)) {
      n++;
      sum += v;
    }
  }
  const mean = n > 0 ? sum / n : Number.NaN;
  let ss = 0;
  for (const v of values) if (Number.isFinite(v)) ss += (v - mean) ** 2;
  return { values, mean, sd: n > 1 ? Math.sqrt(ss / (n - 1)) : Number.NaN, n, excluded: values.length - n };
}

/** Percentile bootstrap interval of the mean of the defined values. */
export function bootstrapInterval(values: ArrayLike<number>, options: BootstrapOptions = {}): Interval {
  const resamples = options.resamples ?? 2000;
  const level = options.level ?? 0.95;
  const defined = Float64Array.from(Array.from(values).filter((v) => Number.isFinite(v)));
  const n = defined.length;
  if (n === 0 || resamples < 1) return { low: Number.NaN, high: Number.NaN, level, resamples };
  const random = new Random(options.seed ?? 1);
  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let sum = 0;
    for (let k = 0; k < n; k++) sum += defined[Math.floor(random.next() * n)]!;
    means[r] = sum / n;
  }
  means.sort();
  return { low: quantile(means, (1 - level) / 2), high: quantile(means, 1 - (1 - level) / 2), level, resamples };
}

/** Linear interpolation between order statistics (numpy's default quantile rule). */
function quantile(sorted: Float64Array, q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (pos - lo) * (sorted[hi]! - sorted[lo]!);
}
