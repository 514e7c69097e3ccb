/**
 * Decoded features as tensors the loss can use: per layer, a dense target over all of the layer's
 * units and a 0/1 mask of the decoded ones.
 *
 * Why dense and not `tf.gather` of the decoded units: the gradient of a gather is an
 * UnsortedSegmentSum, which the wasm backend of tfjs 4.22 lacks, and a mask costs one elementwise
 * product over a layer, nothing beside the convolutions that produced it. Gathering is fine where
 * nothing is differentiated: reading the decoded units back for the feature correlation.
 */
import type * as TF from '@tensorflow/tfjs';
import { checkedUnits, type EstimateLayer } from './estimate.js';

export interface LayerTarget {
  readonly name: string;
  /** Units of the layer at the space's input size. */
  readonly units: number;
  /** Decoded units, or null for all of them in order. */
  readonly indices: Int32Array | null;
  /** The decoded values, as given. */
  readonly values: Float32Array;
  /** [units] dense target (0 where not decoded). */
  readonly target: TF.Tensor1D;
  /** [units] 1 where decoded, 0 elsewhere; null when every unit is. */
  readonly mask: TF.Tensor1D | null;
  /** `indices` on the backend, for reading back only the decoded units (never differentiated). */
  readonly gather: TF.Tensor1D | null;
  /** weight / ‖target‖²: the layer's distance is normalised by the norm of its decoded features. */
  readonly scale: number;
}

/** Tensors of one layer's target; the caller disposes them with `disposeTarget`. */
export function layerTarget(tf: typeof TF, layer: EstimateLayer, units: number, weight: number): LayerTarget {
  const indices = checkedUnits(layer, units);
  let norm = 0;
  for (const v of layer.values) norm += v * v;
  // An all-zero target (silent units) has no norm to divide by; its unit count stands in for it.
  const scale = weight / (norm > 1e-12 ? norm : layer.values.length);
  if (indices === null) return { name: layer.name, units, indices, values: layer.values, target: tf.keep(tf.tensor1d(layer.values)), mask: null, gather: null, scale };
  const dense = new Float32Array(units);
  const mask = new Float32Array(units);
  indices.forEach((unit, i) => {
    dense[unit] = layer.values[i]!;
    mask[unit] = 1;
  });
  return {
    name: layer.name,
    units,
    indices,
    values: layer.values,
    target: tf.keep(tf.tensor1d(dense)),
    mask: tf.keep(tf.tensor1d(mask)),
    gather: tf.keep(tf.tensor1d(indices, 'int32')),
    scale,
  };
}

export function disposeTarget(target: LayerTarget): void {
  target.target.dispose();
  target.mask?.dispose();
  target.gather?.dispose();
}

/** scale · ‖mask ⊙ (features − target)‖² for one image's features of any shape with `units` values. */
export function layerDistance(tf: typeof TF, features: TF.Tensor, target: LayerTarget): TF.Scalar {
  return tf.tidy(() => {
    const diff = tf.sub(tf.reshape(features, [target.units]), target.target);
    const masked = target.mask ? tf.mul(diff, target.mask) : diff;
    return tf.mul(tf.sum(tf.square(masked)), target.scale);
  });
}

/**
 * The decoded units of one image's layer activation, in the target's order, still on the backend:
 * read back, they are a few thousand values instead of a whole layer (1.2 M for block_1 at 224 px).
 */
export function decodedUnits(tf: typeof TF, features: TF.Tensor, target: LayerTarget): TF.Tensor1D {
  return tf.tidy(() => {
    const flat = tf.reshape(features, [target.units]) as TF.Tensor1D;
    return target.gather ? tf.gather(flat, target.gather) : flat;
  });
}
