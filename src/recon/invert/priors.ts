/**
 * The natural-image priors of Mahendran & Vedaldi (2015, section 2.1), for an image [1, S, S, 3] in
 * [0, 1]. Both are means over pixels, not sums, so that their weights mean the same at 64 and 224 px.
 */
import type * as TF from '@tensorflow/tfjs';

/**
 * Total variation, β-norm: mean over pixels of ((x[i, j+1] − x[i, j])² + (x[i+1, j] − x[i, j])²)^(β/2).
 * β = 2 (the paper's choice for its reconstructions) is smooth and cheap; β < 2 keeps edges sharper
 * but has an infinite slope at 0, so `epsilon` (in squared [0, 1] units) is added under the power.
 */
export function totalVariation(tf: typeof TF, image: TF.Tensor4D, beta = 2, epsilon = 1e-4): TF.Scalar {
  return tf.tidy(() => {
    const [, height, width] = image.shape;
    const here = tf.slice(image, [0, 0, 0, 0], [-1, height - 1, width - 1, -1]);
    const right = tf.slice(image, [0, 0, 1, 0], [-1, height - 1, width - 1, -1]);
    const below = tf.slice(image, [0, 1, 0, 0], [-1, height - 1, width - 1, -1]);
    const squared = tf.add(tf.square(tf.sub(right, here)), tf.square(tf.sub(below, here)));
    return beta === 2 ? tf.mean(squared) : tf.mean(tf.pow(tf.add(squared, epsilon), beta / 2));
  });
}

/**
 * Range prior, α-norm of the image centred on mid-grey and scaled to [−1, 1]: mean |2x − 1|^α.
 * The paper's α = 6 leaves moderate pixels almost free (0.5^6 ≈ 0.016) and grows steeply towards
 * the bounds. With the sigmoid parametrisation (inverter.ts) it is what keeps pixels off the
 * saturated ends, where the sigmoid's slope, and so the gradient, vanishes.
 */
export function rangePrior(tf: typeof TF, image: TF.Tensor4D, alpha = 6): TF.Scalar {
  return tf.tidy(() => tf.mean(tf.pow(tf.abs(tf.sub(tf.mul(image, 2), 1)), alpha)));
}
