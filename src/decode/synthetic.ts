/**
 * Synthetic decoding data with a known answer: class patterns plus Gaussian noise, in runs and
 * blocks shaped like a block-design experiment. For the demo without real scans, the training
 * benchmark, and tests that need a signal of known strength. Seeded, so every machine draws the same.
 */
import { type FeatureMatrix, featureMatrix } from './matrix.js';
import { Random } from '../synth/random.js';

export interface SyntheticOptions {
  readonly runs: number;
  /** Labelled samples per run; labels follow in blocks of `blockLength`, cycling through the classes. */
  readonly samplesPerRun: number;
  readonly features: number;
  readonly labels: readonly string[];
  /** Standard deviation of each class pattern, in units of the noise standard deviation. */
  readonly signal: number;
  /** How many features carry the class patterns (the first ones); default all. */
  readonly informative?: number;
  readonly blockLength?: number;
  /** Standard deviation of a per-run, per-feature offset (scanner drift between runs); default 0. */
  readonly runOffset?: number;
  /**
   * Standard deviation of noise shared across features through a few random spatial factors (like
   * physiological noise in neighbouring voxels); default 0. With it, the best decoder must learn the
   * noise covariance, so an intermediate ridge strength beats both extremes.
   */
  readonly sharedNoise?: number;
  /** How many shared noise factors; default 3. */
  readonly noiseFactors?: number;
  readonly seed: number;
}

export interface SyntheticSet {
  readonly features: FeatureMatrix;
  readonly labels: string[];
  /** "01", "02", ... as BIDS numbers runs. */
  readonly runs: string[];
  /** k x p row-major class patterns. */
  readonly patterns: Float64Array;
}

/** Uniform in [0, 1) from a seed (the project's one generator, synth/random.ts). */
export function seededUniform(seed: number): () => number {
  const random = new Random(seed);
  return () => random.next();
}

/** Standard normal draws by Box–Muller from a seeded uniform generator. */
export function seededNormal(seed: number): () => number {
  const uniform = seededUniform(seed);
  return () => {
    const u = 1 - uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
  };
}

export function syntheticDecodingSet(o: SyntheticOptions): SyntheticSet {
  const normal = seededNormal(o.seed);
  const k = o.labels.length;
  const p = o.features;
  const informative = Math.min(o.informative ?? p, p);
  const block = o.blockLength ?? 8;
  const patterns = new Float64Array(k * p);
  for (let c = 0; c < k; c++) for (let j = 0; j < informative; j++) patterns[c * p + j] = o.signal * normal();
  const factors = o.sharedNoise ? (o.noiseFactors ?? 3) : 0;
  const loadings = Float64Array.from({ length: factors * p }, () => normal());
  const n = o.runs * o.samplesPerRun;
  const data = new Float32Array(n * p);
  const labels: string[] = [];
  const runs: string[] = [];
  for (let r = 0; r < o.runs; r++) {
    const offset = Float64Array.from({ length: p }, () => (o.runOffset ?? 0) * normal());
    // Each run starts the class cycle somewhere else, as real designs counterbalance block order.
    const first = r % k;
    for (let s = 0; s < o.samplesPerRun; s++) {
      const c = (first + Math.floor(s / block)) % k;
      const row = (r * o.samplesPerRun + s) * p;
      const shared = Float64Array.from({ length: factors }, () => (o.sharedNoise ?? 0) * normal());
      for (let j = 0; j < p; j++) {
        let noise = normal();
        for (let f = 0; f < factors; f++) noise += shared[f]! * loadings[f * p + j]!;
        data[row + j] = patterns[c * p + j]! + offset[j]! + noise;
      }
      labels.push(o.labels[c]!);
      runs.push(String(r + 1).padStart(2, '0'));
    }
  }
  return { features: featureMatrix(data, n, p), labels, runs, patterns };
}
