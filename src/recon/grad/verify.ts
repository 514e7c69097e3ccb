/**
 * A numerical check, at start, that gradients through a small conv net are right on the backend
 * in use: every kernel reconstruction relies on (plain and fused convolution, depthwise with a
 * channel multiplier and stride, batch norm without scale, ReLU6, padding, average pooling) and their
 * backprop kernels, including the filter gradients that fused convolutions compute regardless.
 *
 * Method: along the unit direction of the computed gradient g, the derivative is |g|, and it must
 * equal the central difference (f(p + hg/|g|) − f(p − hg/|g|)) / 2h, for the input and for each
 * filter. Along g the derivative is as large as it gets, so float32 rounding in f stays far below
 * the tolerance, while a gradient that is wrong in size or direction misses it (a random direction
 * gives a derivative ~1/√n smaller, lost in float32 noise: we tried). One gradient and a few
 * forward passes on tensors of a few hundred values: milliseconds, so it runs on every start and
 * a tfjs upgrade that breaks a kernel or our engine fix shows up as "gradients unverified" on
 * /health rather than as silently wrong images.
 */
import type * as TF from '@tensorflow/tfjs';

export interface GradientCheck {
  readonly verified: boolean;
  /** Worst relative disagreement between analytic and finite-difference derivatives. */
  readonly worstRelativeError: number;
  readonly detail: string;
}

/** Relative tolerance; correct gradients agree to ~1e-4 here, broken ones miss by far more. */
const TOLERANCE = 1e-2;
const STEP = 1e-2;

type Params = [TF.Tensor4D, TF.Tensor4D, TF.Tensor4D, TF.Tensor4D];

/** A deterministic pseudo-random tensor (no tf.random: its seeds differ between backends). */
function wave(tf: typeof TF, shape: [number, number, number, number], phase: number): TF.Tensor4D {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor4d(Float32Array.from({ length: size }, (_, i) => Math.sin(i * 12.9898 + phase) * 0.5), shape);
}

function network(tf: typeof TF, [x, convFilter, depthFilter, pointFilter]: Params): TF.Scalar {
  const padded = tf.pad(x, [[0, 0], [1, 0], [0, 1], [0, 0]]);
  const conv = tf.fused.conv2d({ x: padded, filter: convFilter, strides: 2, pad: 'valid', bias: tf.fill([4], 0.1) });
  // Offsets keep ReLU6 inside (0, 6): at its kinks a finite difference means nothing.
  const depth = tf.fused.depthwiseConv2d({ x: tf.relu6(tf.add<TF.Tensor4D>(conv, 3)), filter: depthFilter, strides: 1, pad: 'same' });
  const normed = tf.batchNorm<TF.Rank.R4>(depth, tf.fill([8], 0.05) as TF.Tensor1D, tf.fill([8], 16) as TF.Tensor1D);
  const point = tf.conv2d(tf.relu6(tf.add<TF.Tensor4D>(normed, 3)), pointFilter, 1, 'same');
  // No max pooling: near-ties switch under the finite-difference step and blur the check; its
  // gradient kernel is tested against the cpu backend's in the unit tests instead.
  return tf.add(tf.mean(tf.square(point)), tf.avgPool(point, 2, 1, 'valid').mean()) as TF.Scalar;
}

export function verifyGradients(tf: typeof TF): GradientCheck {
  try {
    return tf.tidy(() => {
      const params: Params = [wave(tf, [1, 9, 9, 3], 0), wave(tf, [3, 3, 3, 4], 1), wave(tf, [3, 3, 4, 2], 2), wave(tf, [1, 1, 8, 5], 3)];
      const grads = tf.grads((...ps: TF.Tensor[]) => network(tf, ps as Params))(params);
      let worst = 0;
      const names = ['input', 'conv filter', 'depthwise filter', 'pointwise filter'];
      const failures: string[] = [];
      params.forEach((p, k) => {
        const g = grads[k]!;
        const analytic = tf.norm(g).dataSync()[0]!;
        const v = tf.div(g, Math.max(analytic, 1e-12));
        const shifted = (sign: number): number => network(tf, params.map((q, j) => (j === k ? tf.add(q, tf.mul(v, sign * STEP)) : q)) as Params).dataSync()[0]!;
        const numeric = (shifted(1) - shifted(-1)) / (2 * STEP);
        const error = Math.abs(analytic - numeric) / Math.max(1e-6, analytic);
        worst = Math.max(worst, Number.isFinite(error) ? error : Infinity);
        if (!(error <= TOLERANCE)) failures.push(`${names[k]}: ${analytic.toPrecision(6)} vs ${numeric.toPrecision(6)}`);
      });
      const verified = failures.length === 0;
      return { verified, worstRelativeError: worst, detail: verified ? `directional derivatives agree within ${worst.toExponential(1)}` : `gradient disagrees with finite differences (${failures.join('; ')})` };
    });
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    return { verified: false, worstRelativeError: Infinity, detail: `gradient failed: ${text.split('\n')[0]!.slice(0, 200)}` };
  }
}
