/**
 * Run-time feature decoding of one TR: the bundle's voxels (transformed as in training, in the
 * bundle's voxel order, as the pipeline hands them to every decoder) → decoded units per layer.
 *
 *   z_v = (x_v − voxelMean_v) / voxelStd_v                       once per voxel
 *   d_u = intercept_u + Σ_{j<K} weights_u,j · z_{voxels_u,j}     once per unit, K reads each
 *
 * O(V + units·K) per TR. With the default layers (pixels 32×32 RGB = 3072 units, and 1000 units for
 * each of MobileNetV2's five layers) and K = 500 that is 4 million multiply-adds, 4–6 ms of one core
 * (measured in docs/feature-decoding.md). Decoding is linear, so averaging decoded TRs over a trial
 * (trial-features.ts) gives exactly the decoding of the trial-averaged pattern the decoders were
 * trained on.
 *
 * A NaN or infinite voxel value reads as the training mean (z = 0) and is counted, as in
 * LinearDecoder.
 */
import { BoldstreamError } from '../../errors.js';
import type { FeatureBundle, FeatureLayerModel } from './bundle.js';

export interface DecodedFeatures {
  /** Per layer of the bundle, in its order: decoded units in the order of its `unitIndices`. */
  readonly layers: readonly Float32Array[];
  /** Voxel values of this TR that were NaN or infinite, read as the training mean. */
  readonly nonFinite: number;
}

export class FeatureDecoder {
  readonly voxelCount: number;
  readonly layers: readonly FeatureLayerModel[];
  readonly hrfDelaySec: number;
  /** Multiply-adds per TR, for budgets and logs. */
  readonly cost: number;
  nonFiniteTotal = 0;
  private readonly mean: Float64Array;
  private readonly invStd: Float64Array;
  private readonly z: Float64Array;
  /** Each layer's voxel positions, as 16-bit integers when they fit (see the constructor). */
  private readonly positions: (Uint16Array | Int32Array)[];

  constructor(bundle: FeatureBundle) {
    const p = bundle.voxelIndices.length;
    if (bundle.voxelMean.length !== p || bundle.voxelStd.length !== p) throw new BoldstreamError('MODEL_INVALID', `voxel statistics do not fit ${p} voxels`);
    for (const l of bundle.layers) {
      const u = l.unitIndices.length;
      if (l.voxels.length !== u * l.voxelsPerUnit || l.weights.length !== u * l.voxelsPerUnit || l.intercept.length !== u) {
        throw new BoldstreamError('MODEL_INVALID', `layer ${l.name}: arrays do not fit ${u} units × ${l.voxelsPerUnit} voxels`);
      }
      if (l.voxels.some((v) => v < 0 || v >= p)) throw new BoldstreamError('MODEL_INVALID', `layer ${l.name}: a voxel position outside the ${p} voxels`);
    }
    this.voxelCount = p;
    this.layers = bundle.layers;
    this.hrfDelaySec = bundle.hrfDelaySec;
    this.cost = p + bundle.layers.reduce((a, l) => a + l.weights.length, 0);
    this.mean = Float64Array.from(bundle.voxelMean);
    this.invStd = Float64Array.from(bundle.voxelStd, (s) => 1 / s);
    this.z = new Float64Array(p);
    // The weights and positions of all units are read once per TR, 32 MB at the default sizes: far
    // more than the caches, so decoding is bound by memory traffic. Positions fit in 16 bits for any
    // ROI under 65 536 voxels, which takes a quarter off the bytes read.
    this.positions = bundle.layers.map((l) => (p <= 65536 ? Uint16Array.from(l.voxels) : l.voxels));
  }

  decode(features: Float32Array | Float64Array): DecodedFeatures {
    const p = this.voxelCount;
    if (features.length !== p) throw new BoldstreamError('MODEL_GRID_MISMATCH', `${features.length} voxel values given, the feature decoders read ${p}`);
    const z = this.z;
    let nonFinite = 0;
    for (let j = 0; j < p; j++) {
      const x = features[j]!;
      if (Number.isFinite(x)) z[j] = (x - this.mean[j]!) * this.invStd[j]!;
      else {
        z[j] = 0;
        nonFinite++;
      }
    }
    this.nonFiniteTotal += nonFinite;
    return { layers: this.layers.map((l, i) => decodeLayer(l, this.positions[i]!, z)), nonFinite };
  }
}

function decodeLayer(layer: FeatureLayerModel, voxels: Uint16Array | Int32Array, z: Float64Array): Float32Array {
  const u = layer.intercept.length;
  const k = layer.voxelsPerUnit;
  const { weights: w, intercept } = layer;
  const out = new Float32Array(u);
  for (let i = 0; i < u; i++) {
    const end = (i + 1) * k;
    let j = i * k;
    // Four independent sums: each gathered product no longer waits for the previous add (1.5–2×).
    let s0 = intercept[i]!;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (; j + 3 < end; j += 4) {
      s0 += w[j]! * z[voxels[j]!]!;
      s1 += w[j + 1]! * z[voxels[j + 1]!]!;
      s2 += w[j + 2]! * z[voxels[j + 2]!]!;
      s3 += w[j + 3]! * z[voxels[j + 3]!]!;
    }
    for (; j < end; j++) s0 += w[j]! * z[voxels[j]!]!;
    out[i] = s0 + s1 + s2 + s3;
  }
  return out;
}
