/**
 * The encoding model: each visual voxel's response to each stimulus, as a fractional signal change
 * of a sustained presentation (the plateau of a long block; hrf.ts scales a short event down).
 *
 *   L_v(s) = Σ_p w_v(p) [lum(p) + c_rg rg(p) + c_by by(p)]                      pixel-linear drive
 *   E_v(s) = ( Σ_θ (1 + κ_v cos 2(θ − θ_v))/4 · Σ_p w_v(p) energy_θ(p) )^½      contrast-energy drive
 *   d_v(s) = α_v L_v(s)/rms_v(L) + (1 − α_v) E_v(s)/rms_v(E)
 *   r_v(s) = signal · g_v · d_v(s) / median_v rms_v(d)
 *
 * w_v is the voxel's Gaussian pRF normalised to a unit integral over the whole plane, so the part of a
 * pRF beyond the image sees the grey screen (zero drive) and a peripheral voxel responds weakly, as it
 * should. The square root is the compressive spatial summation of Kay et al. (2013, J Neurophysiol
 * 110:481). rms_v are taken over the training images only (test images must not shape the subject),
 * with a floor of a fifth of the region's median, so a voxel whose pRF lies off the screen is not
 * blown up to a full response. `signal` is the RMS response, across training images, of a typical
 * voxel: the --signal option, in percent.
 */
import { channelsOf, ORIENTATIONS, WORKING_SIZE, type Channels } from './channels.js';
import type { Picture } from '../stimuli/picture.js';
import type { VoxelTuning } from './prf.js';

/** A pRF sampled on the working grid: separable weights over a window of ±3σ. */
interface Window {
  readonly x0: number;
  readonly y0: number;
  readonly wx: Float64Array;
  readonly wy: Float64Array;
}

function windowOf(t: VoxelTuning, size: number): Window | null {
  // Image units → pixels: u = −1 is the left edge of pixel 0, u = 1 the right edge of pixel size−1.
  const cx = ((t.u + 1) / 2) * size - 0.5, cy = ((t.v + 1) / 2) * size - 0.5;
  const s = (t.sigma / 2) * size;
  const x0 = Math.max(0, Math.floor(cx - 3 * s)), x1 = Math.min(size - 1, Math.ceil(cx + 3 * s));
  const y0 = Math.max(0, Math.floor(cy - 3 * s)), y1 = Math.min(size - 1, Math.ceil(cy + 3 * s));
  if (x1 < x0 || y1 < y0) return null;
  // Unit integral of the 2D Gaussian: 1/(2π s²), split as 1/(√(2π) s) per axis.
  const norm = 1 / (Math.sqrt(2 * Math.PI) * s);
  const wx = Float64Array.from({ length: x1 - x0 + 1 }, (_, i) => norm * Math.exp(-((x0 + i - cx) ** 2) / (2 * s * s)));
  const wy = Float64Array.from({ length: y1 - y0 + 1 }, (_, i) => norm * Math.exp(-((y0 + i - cy) ** 2) / (2 * s * s)));
  return { x0, y0, wx, wy };
}

function pool(map: Float32Array, w: Window, size: number): number {
  let total = 0;
  for (let j = 0; j < w.wy.length; j++) {
    const row = (w.y0 + j) * size + w.x0;
    let s = 0;
    for (let i = 0; i < w.wx.length; i++) s += w.wx[i]! * map[row + i]!;
    total += w.wy[j]! * s;
  }
  return total;
}

/** Pixel-linear and energy drives of every voxel for one stimulus. */
function rawDrives(c: Channels, tunings: readonly VoxelTuning[], windows: readonly (Window | null)[]): { linear: Float64Array; energy: Float64Array } {
  const linear = new Float64Array(tunings.length), energy = new Float64Array(tunings.length);
  const coloured = c.redGreen.some((x) => x !== 0) || c.blueYellow.some((x) => x !== 0);
  tunings.forEach((t, v) => {
    const w = windows[v];
    if (!w) return;
    linear[v] = pool(c.luminance, w, c.size) + (coloured ? t.redGreen * pool(c.redGreen, w, c.size) + t.blueYellow * pool(c.blueYellow, w, c.size) : 0);
    let e = 0;
    ORIENTATIONS.forEach((theta, o) => (e += ((1 + t.orientationDepth * Math.cos(2 * (theta - t.orientation))) / 4) * pool(c.energy[o]!, w, c.size)));
    energy[v] = Math.sqrt(e);
  });
  return { linear, energy };
}

function rms(rows: readonly Float64Array[], v: number): number {
  let s = 0;
  for (const r of rows) s += r[v]! ** 2;
  return Math.sqrt(s / Math.max(1, rows.length));
}

function median(values: Float64Array): number {
  const sorted = Float64Array.from(values).sort();
  return sorted.length ? sorted[Math.floor(sorted.length / 2)]! : 0;
}

/**
 * Responses (fraction of baseline) of every voxel to every stimulus: row s, column v. Training
 * stimuli (`training[s]` true) set the normalisation.
 */
export function voxelResponses(pictures: readonly Picture[], training: readonly boolean[], tunings: readonly VoxelTuning[], signalPercent: number): Float64Array[] {
  const windows = tunings.map((t) => windowOf(t, WORKING_SIZE));
  const raw = pictures.map((p) => rawDrives(channelsOf(p), tunings, windows));
  const train = raw.filter((_, s) => training[s]);
  const scaleOf = (pick: (r: { linear: Float64Array; energy: Float64Array }) => Float64Array): Float64Array => {
    const each = Float64Array.from(tunings, (_, v) => rms(train.map(pick), v));
    const floor = 0.2 * median(each);
    return each.map((x) => Math.max(x, floor) || 1);
  };
  const linearScale = scaleOf((r) => r.linear), energyScale = scaleOf((r) => r.energy);
  const drives = raw.map((r) => Float64Array.from(tunings, (t, v) => (t.pixelShare * r.linear[v]!) / linearScale[v]! + ((1 - t.pixelShare) * r.energy[v]!) / energyScale[v]!));
  const trainDrives = drives.filter((_, s) => training[s]);
  const typical = median(Float64Array.from(tunings, (_, v) => rms(trainDrives, v))) || 1;
  return drives.map((d) => d.map((x, v) => ((signalPercent / 100) * tunings[v]!.gain * x) / typical));
}
