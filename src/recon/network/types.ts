/**
 * A feature space: the image → features function that reconstruction decodes into and inverts
 * (Horikawa & Kamitani 2017; Mahendran & Vedaldi 2015; Shen et al. 2019).
 *
 * Every implementation is a pure function of the image built from differentiable tf ops, so that
 * `tf.grad` of a loss on its features gives the pixel gradient the optimiser follows.
 */
import type * as TF from '@tensorflow/tfjs';

export interface FeatureLayer {
  /** The name a decoder bundle stores and `forward` is asked for. */
  readonly name: string;
  /** Shape of one image's activation at `inputSize`, without the batch axis (height, width, channels). */
  readonly shape: readonly number[];
  /** Number of values in one image's activation: the product of `shape`. */
  readonly units: number;
}

export interface FeatureSpace {
  /** e.g. 'pixels-32-gray', 'mobilenet_v2'. */
  readonly name: string;
  /** Side of the square image the layer shapes are given for, px. */
  readonly inputSize: number;
  /** The layers this space offers, from early to late. */
  readonly layers: readonly FeatureLayer[];
  /**
   * `image`: [N, H, W, 3] float32 RGB in [0, 1], N ≥ 1; the space applies its network's own
   * preprocessing. Returns one tensor per requested layer (all layers when omitted), each
   * [N, ...layer.shape] — the batch axis is always kept, also for N = 1. Differentiable with respect
   * to `image`. The caller owns the returned tensors (run it inside tf.tidy or tf.grad).
   */
  forward(image: TF.Tensor4D, layers?: readonly string[]): Record<string, TF.Tensor>;
  /** Frees the weights; the space cannot be used afterwards. */
  dispose(): void;
}

/** Builds the layer description from a shape without its batch axis. */
export function featureLayer(name: string, shape: readonly number[]): FeatureLayer {
  return { name, shape: [...shape], units: shape.reduce((a, b) => a * b, 1) };
}
