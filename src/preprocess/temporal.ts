/**
 * Per-voxel running detrend and z-score, with no look-ahead.
 *
 * For each voxel we keep the sums of a least-squares line over (t, y): n, Σt, Σt², Σy, Σty, Σy².
 * A new sample costs O(1) per voxel: update the sums, fit y ≈ a + b·t to everything seen so far
 * (this sample included), and z = (y − a − b·t) / σ, where σ² is the residual variance with n − 2
 * degrees of freedom (n − 1 without detrending). This is the incremental GLM that real-time tools
 * use (e.g. Cox et al. 1995, "real-time functional MRI"): scanner drift is removed as it accrues and
 * the z-score of TR k never depends on TR k+1.
 *
 * Values are stored relative to each voxel's first sample and times relative to the first TR, so the
 * sums stay small and Σy² − a·Σy − b·Σty does not lose its digits to cancellation.
 *
 * A voxel whose residual variance is zero (constant, or not enough samples) gives 0, never NaN (K23);
 * a non-finite sample is skipped for that voxel and gives 0.
 *
 * The same sums give the other feature transforms a decoder may have been trained on (`transform`):
 * percent signal change against a baseline ('psc'), the running z-score without detrending ('z'), or
 * the detrended one ('detrended-z'). The psc baseline is the mean of the samples older than
 * `baselineLag` volumes: a running mean that includes the block being decoded is pulled towards that
 * block's own response and shrinks it. On the Haxby runs (docs/decoding.md) a running linear trend
 * absorbs even more of each long block (the newest sample has the highest leverage on the line), so
 * decoders default to the lagged psc, while the ROI signal keeps the detrended z-score that
 * neurofeedback users expect.
 */

/** How the features of a decoder are made from the running sums (stored in the model bundle). */
export type FeatureTransform = 'psc' | 'z' | 'detrended-z';
export const featureTransforms: readonly FeatureTransform[] = ['psc', 'z', 'detrended-z'];

export interface TemporalOptions {
  /** Remove a running linear trend before z-scoring. */
  detrend: boolean;
  /** Samples a voxel needs before its z-score is reported; earlier ones give 0. */
  warmupVolumes: number;
  /** psc baseline leaves out the newest this-many volumes (0: every sample so far). */
  baselineLag?: number;
}

export interface TemporalStep {
  /** z-scores, one per voxel in the order given to the normaliser. */
  z: Float32Array;
  /** True while fewer than warmupVolumes samples have been seen. */
  warmingUp: boolean;
  /** Voxels whose sample was NaN or infinite this time (skipped). */
  nonfinite: number;
}

// Relative variance below this counts as constant: float32 input has ~7 digits.
const RELATIVE_VARIANCE_FLOOR = 1e-12;

export class RunningNormaliser {
  private readonly n: Float64Array;
  private readonly st: Float64Array;
  private readonly stt: Float64Array;
  private readonly sy: Float64Array;
  private readonly sty: Float64Array;
  private readonly syy: Float64Array;
  private readonly origin: Float64Array;
  /** The newest finite sample of each voxel, relative to its origin (NaN when the newest was not finite). */
  private readonly last: Float64Array;
  /** The newest `baselineLag` samples of each voxel (relative to origin, NaN when skipped), a ring. */
  private readonly recent: Float64Array;
  private readonly lag: number;
  private t0: number | null = null;
  private lastT = 0;
  private samples = 0;

  constructor(
    readonly voxels: number,
    readonly options: TemporalOptions,
  ) {
    this.n = new Float64Array(voxels);
    this.st = new Float64Array(voxels);
    this.stt = new Float64Array(voxels);
    this.sy = new Float64Array(voxels);
    this.sty = new Float64Array(voxels);
    this.syy = new Float64Array(voxels);
    this.origin = new Float64Array(voxels).fill(Number.NaN);
    this.last = new Float64Array(voxels).fill(Number.NaN);
    this.lag = Math.max(0, Math.floor(options.baselineLag ?? 0));
    this.recent = new Float64Array(this.lag * voxels).fill(Number.NaN);
  }

  /** Volumes taken so far (gaps do not count). */
  get count(): number {
    return this.samples;
  }

  /**
   * Adds the values of one volume at time `t` (the TR index, or seconds: only differences matter, and
   * gaps in t are honoured so a missing volume does not bend the trend) and returns their z-scores.
   */
  push(values: Float32Array, t: number, out: Float32Array = new Float32Array(this.voxels)): TemporalStep {
    if (values.length !== this.voxels) throw new RangeError(`expected ${this.voxels} values, got ${values.length}`);
    if (this.t0 === null) this.t0 = t;
    const tt = t - this.t0;
    this.samples++;
    const warmingUp = this.samples < this.options.warmupVolumes;
    const detrend = this.options.detrend;
    const ring = this.lag > 0 ? ((this.samples - 1) % this.lag) * this.voxels : -1;
    let nonfinite = 0;
    for (let v = 0; v < this.voxels; v++) {
      const raw = values[v]!;
      if (!Number.isFinite(raw)) {
        nonfinite++;
        out[v] = 0;
        this.last[v] = Number.NaN;
        if (ring >= 0) this.recent[ring + v] = Number.NaN;
        continue;
      }
      if (Number.isNaN(this.origin[v]!)) this.origin[v] = raw;
      const y = raw - this.origin[v]!;
      this.last[v] = y;
      if (ring >= 0) this.recent[ring + v] = y;
      const n = ++this.n[v]!;
      const st = (this.st[v]! += tt);
      const stt = (this.stt[v]! += tt * tt);
      const sy = (this.sy[v]! += y);
      const sty = (this.sty[v]! += tt * y);
      const syy = (this.syy[v]! += y * y);
      out[v] = warmingUp ? 0 : zOf(y, tt, n, st, stt, sy, sty, syy, detrend, raw);
    }
    this.lastT = tt;
    return { z: out, warmingUp, nonfinite };
  }

  /**
   * The newest sample of the voxels at `positions`, transformed as a decoder expects. Percent signal
   * change needs no warm-up (the mean of one sample is the sample); the z-scores do.
   */
  transform(mode: FeatureTransform, positions: Uint32Array, out: Float32Array = new Float32Array(positions.length)): Float32Array {
    const warmingUp = this.samples < this.options.warmupVolumes;
    for (let f = 0; f < positions.length; f++) {
      const v = positions[f]!;
      const y = this.last[v]!;
      const n = this.n[v]!;
      if (!Number.isFinite(y) || n === 0) {
        out[f] = 0;
        continue;
      }
      if (mode === 'psc') {
        const baseline = this.origin[v]! + this.baselineOf(v);
        out[f] = baseline > 0 ? (100 * (y + this.origin[v]! - baseline)) / baseline : 0;
      } else {
        const raw = y + this.origin[v]!;
        out[f] = warmingUp ? 0 : zOf(y, this.lastT, n, this.st[v]!, this.stt[v]!, this.sy[v]!, this.sty[v]!, this.syy[v]!, mode === 'detrended-z', raw);
      }
    }
    return out;
  }

  /** Mean of the voxel's samples older than the lag (relative to origin); all of them early in a run. */
  private baselineOf(v: number): number {
    let sum = this.sy[v]!;
    let n = this.n[v]!;
    for (let r = 0; r < this.lag; r++) {
      const y = this.recent[r * this.voxels + v]!;
      if (Number.isFinite(y)) {
        sum -= y;
        n--;
      }
    }
    // Three old samples make a usable baseline; before that, everything seen so far.
    return n >= 3 ? sum / n : this.sy[v]! / this.n[v]!;
  }
}

function zOf(y: number, t: number, n: number, st: number, stt: number, sy: number, sty: number, syy: number, detrend: boolean, raw: number): number {
  let residual: number;
  let ssr: number;
  let dof: number;
  const denom = n * stt - st * st;
  if (detrend && n >= 3 && denom > 0) {
    const b = (n * sty - st * sy) / denom;
    const a = (sy - b * st) / n;
    residual = y - a - b * t;
    ssr = syy - a * sy - b * sty;
    dof = n - 2;
  } else {
    if (n < 2) return 0;
    const mean = sy / n;
    residual = y - mean;
    ssr = syy - mean * sy;
    dof = n - 1;
  }
  const variance = ssr / dof;
  if (!(variance > RELATIVE_VARIANCE_FLOOR * (raw * raw + 1))) return 0;
  return residual / Math.sqrt(variance);
}
