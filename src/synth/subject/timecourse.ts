/**
 * From trials to BOLD: each trial's image is a boxcar convolved with the canonical HRF (hrf.ts), at
 * 0.1 s steps, sampled at the start of every volume, and scaled so that a sustained presentation
 * plateaus at 1. A voxel's signal is then the sum over trials of its response to the trial's image
 * times the trial's regressor: the response amplitudes from drive.ts are plateau values, and a 3 s
 * image peaks at about half of its plateau.
 *
 * All slices are sampled at the volume's start: slice timing is not simulated (and the sidecar says
 * none), so every slice of a volume sees the same instant of the response.
 */
import { canonicalHrf } from '../hrf.js';

const STEP = 0.1;
const KERNEL_SECONDS = 32;

const kernel = Float64Array.from({ length: Math.round(KERNEL_SECONDS / STEP) }, (_, k) => canonicalHrf(k * STEP));
const plateau = kernel.reduce((a, b) => a + b, 0);

export interface Regressor {
  /** First volume the trial reaches. */
  readonly first: number;
  /** Values from `first` on (the trial's response, 0 before and after). */
  readonly values: Float64Array;
}

export function trialRegressor(onset: number, duration: number, volumes: number, repetitionTime: number): Regressor {
  const first = Math.max(0, Math.ceil(onset / repetitionTime - 1e-9));
  const last = Math.min(volumes - 1, Math.floor((onset + duration + KERNEL_SECONDS) / repetitionTime));
  const values = new Float64Array(Math.max(0, last - first + 1));
  const steps = Math.max(1, Math.round(duration / STEP));
  for (let t = first; t <= last; t++) {
    const time = t * repetitionTime;
    let sum = 0;
    for (let s = 0; s < steps; s++) {
      const k = Math.round((time - (onset + s * STEP)) / STEP);
      if (k >= 0 && k < kernel.length) sum += kernel[k]!;
    }
    values[t - first] = sum / plateau;
  }
  return { first, values };
}

/**
 * Signal change of every region voxel at every volume: row t, column v, from each trial's regressor
 * and the responses of the trial's image (`responses[s]` for stimulus index `stimulusOf[n]`).
 */
export function regionSignal(regressors: readonly Regressor[], stimulusOf: readonly number[], responses: readonly Float64Array[], volumes: number, voxels: number): Float32Array[] {
  const rows = Array.from({ length: volumes }, () => new Float32Array(voxels));
  regressors.forEach((reg, n) => {
    const response = responses[stimulusOf[n]!]!;
    reg.values.forEach((h, offset) => {
      if (h === 0) return;
      const row = rows[reg.first + offset]!;
      for (let v = 0; v < voxels; v++) row[v]! += h * response[v]!;
    });
  });
  return rows;
}
