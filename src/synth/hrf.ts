/**
 * The canonical haemodynamic response (SPM's double gamma: peak at 6 s, undershoot at 16 s, ratio 1/6),
 * used to turn stimulus blocks into BOLD time courses for synthetic sessions.
 */

function gammaPdf(t: number, shape: number, scale = 1): number {
  if (t <= 0) return 0;
  return Math.exp((shape - 1) * Math.log(t / scale) - t / scale - logGamma(shape)) / scale;
}

// Lanczos approximation; accurate to ~1e-12 for the shapes used here.
function logGamma(z: number): number {
  const g = 7;
  const c = [0.9999999999998099, 676.5203681218851, -1259.1392167224028, 771.3234287776531, -176.6150391699918, 12.507343278686905, -0.13857109526572012, 9.984369578019572e-6, 1.5056327351493116e-7];
  if (z < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * z)) - logGamma(1 - z);
  const x = z - 1;
  let a = c[0]!;
  const t = x + g + 0.5;
  for (let i = 1; i < g + 2; i++) a += c[i]! / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

export function canonicalHrf(t: number): number {
  return gammaPdf(t, 6) - gammaPdf(t, 16) / 6;
}

/**
 * BOLD response at times `times` (s) to boxcar blocks [onset, onset + duration), by numerical
 * convolution at 0.1 s, normalised so a long block plateaus at 1.
 */
export function blockResponse(times: readonly number[], blocks: readonly { onset: number; duration: number }[]): Float64Array {
  const dt = 0.1;
  const kernel: number[] = [];
  for (let t = 0; t < 32; t += dt) kernel.push(canonicalHrf(t));
  const plateau = kernel.reduce((a, b) => a + b, 0);
  return Float64Array.from(times, (t) => {
    let sum = 0;
    for (let k = 0; k < kernel.length; k++) {
      const s = t - k * dt;
      if (blocks.some((b) => s >= b.onset && s < b.onset + b.duration)) sum += kernel[k]!;
    }
    return sum / plateau;
  });
}
