/**
 * What a stimulus offers the simulated visual cortex, as maps at a fixed working resolution:
 *
 *   luminance contrast   lum − 0.5 (the grey screen is 0)
 *   red–green            R − G
 *   blue–yellow          B − (R + G)/2
 *   oriented energy      (cos θ ∂x + sin θ ∂y)² of the luminance blurred by 1 pixel, θ = 0°, 45°, 90°, 135°
 *
 * The energies are the squared outputs of first-derivative-of-Gaussian filters, the simplest model of
 * V1 complex cells' phase-invariant contrast energy (Adelson & Bergen 1985); pooling them over a pRF
 * and compressing gives the non-linear share of a voxel's response (drive.ts).
 */
import { luminanceOf, resized, type Picture } from '../stimuli/picture.js';

/** The encoding model sees every stimulus at 64×64: larger images add detail no pRF resolves. */
export const WORKING_SIZE = 64;
export const ORIENTATIONS = [0, Math.PI / 4, Math.PI / 2, (3 * Math.PI) / 4] as const;

export interface Channels {
  readonly size: number;
  readonly luminance: Float32Array;
  readonly redGreen: Float32Array;
  readonly blueYellow: Float32Array;
  /** One map per entry of ORIENTATIONS. */
  readonly energy: readonly Float32Array[];
}

/** Gaussian blur (σ = 1 pixel, separable); outside the image is the grey screen, contrast 0. */
function blurred(map: Float32Array, size: number): Float32Array {
  const kernel = [-3, -2, -1, 0, 1, 2, 3].map((d) => Math.exp(-(d * d) / 2));
  const total = kernel.reduce((a, b) => a + b, 0);
  const rows = new Float32Array(size * size), out = new Float32Array(size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let s = 0;
      for (let d = -3; d <= 3; d++) if (x + d >= 0 && x + d < size) s += kernel[d + 3]! * map[y * size + x + d]!;
      rows[y * size + x] = s / total;
    }
  }
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let s = 0;
      for (let d = -3; d <= 3; d++) if (y + d >= 0 && y + d < size) s += kernel[d + 3]! * rows[(y + d) * size + x]!;
      out[y * size + x] = s / total;
    }
  }
  return out;
}

export function channelsOf(picture: Picture): Channels {
  const image = resized(picture, WORKING_SIZE);
  const size = image.size;
  const n = size * size;
  const luminance = new Float32Array(n), redGreen = new Float32Array(n), blueYellow = new Float32Array(n);
  for (let p = 0; p < n; p++) {
    const r = image.data[3 * p]!, g = image.data[3 * p + 1]!, b = image.data[3 * p + 2]!;
    luminance[p] = luminanceOf(r, g, b) - 0.5;
    redGreen[p] = r - g;
    blueYellow[p] = b - (r + g) / 2;
  }
  const smooth = blurred(luminance, size);
  const at = (x: number, y: number): number => (x >= 0 && x < size && y >= 0 && y < size ? smooth[y * size + x]! : 0);
  const energy = ORIENTATIONS.map(() => new Float32Array(n));
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const dx = (at(x + 1, y) - at(x - 1, y)) / 2;
      const dy = (at(x, y + 1) - at(x, y - 1)) / 2;
      ORIENTATIONS.forEach((theta, o) => {
        const r = Math.cos(theta) * dx + Math.sin(theta) * dy;
        energy[o]![y * size + x] = r * r;
      });
    }
  }
  return { size, luminance, redGreen, blueYellow, energy };
}
