/**
 * Decoded features rescaled to the spread of the training features before they are inverted
 * (Shen, Horikawa, Majima & Kamitani 2019). Ridge shrinks its predictions towards the training
 * mean, and averaging a few noisy TRs shrinks them further, so a decoded pattern is much flatter
 * than the features of any real image; an image optimised to match it would be flat and grey.
 *
 * Shen et al. scale a decoded layer so that its standard deviation over units equals the mean such
 * standard deviation of the training images' features. Here each unit is first put on its own
 * training scale, z_u = (d_u − mean_u) / std_u, and the pattern's deviation from the training
 * mean is scaled so that the root mean square of z over units is 1 — exactly the average of that
 * quantity over the training images, by construction of mean_u and std_u:
 *
 *   out_u = mean_u + g · (d_u − mean_u),   g = 1 / rms_u(z_u)
 *
 * Scaling the deviation rather than the raw values keeps the mean image fixed, which matters for
 * ReLU layers whose units all have positive means. A unit that never varied in training keeps its
 * mean. One gain per layer and pattern: the relative pattern across units, which is what decoding
 * got right or wrong, is untouched.
 */

/** Rescales one decoded pattern of a layer; returns the values and the gain g (0 when nothing deviates). */
export function rescaleToTraining(
  decoded: ArrayLike<number>,
  featureMean: ArrayLike<number>,
  featureStd: ArrayLike<number>,
  out = new Float32Array(decoded.length),
): { values: Float32Array; gain: number } {
  const u = decoded.length;
  if (featureMean.length !== u || featureStd.length !== u) throw new RangeError(`${u} decoded units for ${featureMean.length} training means`);
  let ss = 0;
  let varying = 0;
  for (let i = 0; i < u; i++) {
    const s = featureStd[i]!;
    if (!(s > 0)) continue;
    const z = (decoded[i]! - featureMean[i]!) / s;
    ss += z * z;
    varying++;
  }
  const rms = varying > 0 ? Math.sqrt(ss / varying) : 0;
  // Below this the pattern is the training mean to float32 precision; dividing by it would blow
  // rounding noise up to a full-contrast pattern.
  const gain = rms > 1e-6 ? 1 / rms : 0;
  for (let i = 0; i < u; i++) out[i] = featureStd[i]! > 0 ? featureMean[i]! + gain * (decoded[i]! - featureMean[i]!) : featureMean[i]!;
  return { values: out, gain };
}
