/**
 * Folding an inference-mode batch normalisation into the convolution that feeds it.
 *
 * BN(conv(x, W) + b) = conv(x, W·s) + (b − mean)·s + beta, with s = gamma / √(variance + ε) per
 * output channel (gamma = 1 without `scale`, beta = 0 without `center`). One convolution then does
 * the work of two layers: no BN kernel in the forward pass, none in the backward pass (tfjs 4.22's
 * BN gradient tiles per-channel factors to the activation's size), and no dependence on BN layers
 * without a scale, which break tf.grad in tfjs 4.22 (tensorflow/tfjs#2868).
 */
import type * as TF from '@tensorflow/tfjs';

export interface ConvWeights {
  /** Conv2D [kh, kw, in, out] or DepthwiseConv2D [kh, kw, in, multiplier]. */
  readonly kernel: TF.Tensor4D;
  readonly bias: TF.Tensor1D | null;
}

export interface BatchNormWeights {
  readonly gamma: TF.Tensor1D | null;
  readonly beta: TF.Tensor1D | null;
  readonly mean: TF.Tensor1D;
  readonly variance: TF.Tensor1D;
  readonly epsilon: number;
}

/** New tensors (the caller owns them): the kernel scaled per output channel and the folded bias. */
export function foldBatchNorm(tf: typeof TF, conv: ConvWeights, bn: BatchNormWeights): { kernel: TF.Tensor4D; bias: TF.Tensor1D } {
  return tf.tidy(() => {
    const inverseSd = tf.rsqrt(tf.add(bn.variance, bn.epsilon));
    const s = bn.gamma ? tf.mul(bn.gamma, inverseSd) : inverseSd;
    // A depthwise kernel's output channel c·multiplier + m is its [.., c, m] entry: s reshaped to [in, multiplier] lines up.
    const [, , inChannels, last] = conv.kernel.shape;
    const channels = s.shape[0];
    const perOutput = last === channels ? s : tf.reshape(s, [inChannels, last]);
    const kernel = tf.mul(conv.kernel, perOutput) as TF.Tensor4D;
    const centred = conv.bias ? tf.sub(conv.bias, bn.mean) : tf.neg(bn.mean);
    const scaled = tf.mul(centred, s);
    const bias = (bn.beta ? tf.add(scaled, bn.beta) : scaled) as TF.Tensor1D;
    return { kernel, bias };
  });
}
