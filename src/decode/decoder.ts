/**
 * Run-time decoding of one TR: features in, class scores and a label out.
 *
 * Scores by method:
 *   ridge     decision values w_c·z + b_c, one-vs-rest, on the scale of the ±1 training targets
 *   logistic  natural-log class probabilities (log-softmax of w_c·z + b_c); exp() gives probabilities
 * where z = (x − mean) / std with the training statistics. The label is the highest score; ties go to
 * the label listed first in the bundle.
 *
 * A NaN or infinite feature (a voxel that left the field of view, a failed realignment) is read as the
 * training mean, i.e. z = 0, so it adds nothing; the count of such features is returned with every
 * result and summed in `nonFiniteTotal`, so that the caller can warn.
 */
import { BoldstreamError } from '../errors.js';
import type { ModelBundle } from './bundle.js';
import { logSoftmaxInPlace } from './logistic.js';
import { argmax } from './metrics.js';
import type { ScoreKind } from './methods.js';

export interface DecodeResult {
  readonly label: string;
  readonly scores: Record<string, number>;
  /** Scores in label order (the bundle's), for code that prefers arrays. */
  readonly values: Float64Array;
  /** Features of this TR that were NaN or infinite and were read as the training mean. */
  readonly nonFinite: number;
}

export class LinearDecoder {
  readonly labels: readonly string[];
  readonly featureCount: number;
  readonly scoreKind: ScoreKind;
  /** Non-finite features seen since construction. */
  nonFiniteTotal = 0;
  // Float64 copies: the sums run in double precision whatever the bundle stores. The weights are
  // not folded with the standardisation because b − Σ w·mean/std cancels badly when features are
  // raw intensities (means near 1000) rather than z-scores.
  private readonly w: Float64Array;
  private readonly b: Float64Array;
  private readonly mean: Float64Array;
  private readonly invStd: Float64Array;

  constructor(bundle: ModelBundle) {
    const k = bundle.labels.length;
    const p = bundle.featureMean.length;
    if (bundle.weights.length !== k * p || bundle.bias.length !== k || bundle.featureStd.length !== p) {
      throw new BoldstreamError('MODEL_INVALID', `weights of ${bundle.weights.length} values do not fit ${k} labels x ${p} features`);
    }
    this.labels = [...bundle.labels];
    this.featureCount = p;
    this.scoreKind = bundle.scoreKind;
    this.w = Float64Array.from(bundle.weights);
    this.b = Float64Array.from(bundle.bias);
    this.mean = Float64Array.from(bundle.featureMean);
    this.invStd = Float64Array.from(bundle.featureStd, (s) => 1 / s);
  }

  scores(features: Float32Array | Float64Array): DecodeResult {
    const p = this.featureCount;
    const k = this.labels.length;
    if (features.length !== p) {
      throw new BoldstreamError('MODEL_GRID_MISMATCH', `${features.length} features given, the model expects ${p}`);
    }
    const values = Float64Array.from(this.b);
    let nonFinite = 0;
    for (let j = 0; j < p; j++) {
      const x = features[j]!;
      if (!Number.isFinite(x)) {
        nonFinite++;
        continue;
      }
      const z = (x - this.mean[j]!) * this.invStd[j]!;
      for (let c = 0; c < k; c++) values[c]! += this.w[c * p + j]! * z;
    }
    if (this.scoreKind === 'log-probability') logSoftmaxInPlace(values);
    this.nonFiniteTotal += nonFinite;
    const scores: Record<string, number> = {};
    this.labels.forEach((label, c) => (scores[label] = values[c]!));
    return { label: this.labels[argmax(values)]!, scores, values, nonFinite };
  }
}

/** Gathers a model's features from a whole volume (i fastest), in the bundle's voxel order. */
export function gatherFeatures(volume: Float32Array, voxelIndices: ArrayLike<number>, out = new Float32Array(voxelIndices.length)): Float32Array {
  for (let j = 0; j < voxelIndices.length; j++) out[j] = volume[voxelIndices[j]!]!;
  return out;
}
