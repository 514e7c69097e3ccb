/**
 * A leaner gradient for FusedBatchNorm (inference mode: mean and variance are constants).
 *
 * tfjs 4.22's own gradient computes x − mean and dy·scale over the whole activation before it
 * knows which gradients are wanted, and tiles the per-channel 1/σ to the activation's full size
 * instead of broadcasting it: five full-size passes when reconstruction wants only ∂/∂x, which is
 * one multiply by a per-channel factor. On MobileNetV2 at 112 px that was ~30% of the backward
 * pass on wasm (Tile 206 ms, FusedBatchNorm-related Sub/Multiply most of the rest, of 1445 ms
 * profiled). Every input's gradient here is computed only when asked for, by broadcasting.
 * batchnorm-defaults.ts makes sure scale is present, but a missing one still counts as 1.
 */
import type * as TF from '@tensorflow/tfjs';

export function batchNormGradient(tf: typeof TF): TF.GradConfig {
  return {
    kernelName: 'FusedBatchNorm',
    inputsToSave: ['x', 'mean', 'variance', 'scale'],
    gradFunc: (dy, saved, attrs) => {
      const dyT = Array.isArray(dy) ? dy[0]! : dy;
      const [x, mean, variance, scale] = saved as [TF.Tensor, TF.Tensor, TF.Tensor, TF.Tensor | undefined];
      const epsilon = (attrs as { varianceEpsilon?: number }).varianceEpsilon ?? 0.001;
      const axes = tf.broadcast_util.getReductionAxes(mean.shape, x.shape);
      const toParam = (t: TF.Tensor): TF.Tensor => tf.reshape(axes.length > 0 ? tf.sum(t, axes) : t, mean.shape);
      const inverseSd = (): TF.Tensor => tf.rsqrt(tf.add(variance, epsilon));
      const scaled = (t: TF.Tensor): TF.Tensor => (scale == null ? t : tf.mul(t, scale));
      return {
        x: () => tf.mul(dyT, scaled(inverseSd())),
        mean: () => toParam(tf.mul(dyT, tf.neg(scaled(inverseSd())))),
        variance: () => {
          const inv = inverseSd();
          return toParam(tf.mul(tf.mul(dyT, tf.sub(x, mean)), scaled(tf.mul(tf.mul(tf.mul(inv, inv), inv), -0.5))));
        },
        scale: () => toParam(tf.mul(tf.mul(dyT, tf.sub(x, mean)), inverseSd())),
        offset: () => toParam(dyT),
      };
    },
  };
}
