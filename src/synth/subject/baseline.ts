/**
 * What a real run gives a simulated subject: its grid, its mean image and each voxel's temporal noise
 * level. A real-time export may hold only a few volumes; they are enough for a mean and a per-voxel
 * standard deviation, and the simulated run is then as long as asked for, because its noise is
 * generated (subject/noise.ts) at the level measured here, not copied.
 *
 * The noise level is the standard deviation of each voxel's series after removing a straight line
 * (least squares, two degrees of freedom): a few volumes cannot support more, and a line already takes
 * out the signal creep of the first minute that would otherwise read as noise.
 */
import { BoldstreamError } from '../../errors.js';
import { openNiftiFrames } from '../../ingest/nifti/index.js';
import type { VoxelGrid } from '../../volume.js';

export interface Baseline {
  readonly file: string;
  readonly grid: VoxelGrid;
  readonly frames: number;
  /** Seconds, from the header; null when it has none. */
  readonly repetitionTime: number | null;
  readonly mean: Float32Array;
  /** Per voxel: standard deviation of the linearly detrended series (n − 2 in the denominator). */
  readonly noiseSd: Float32Array;
  /** The input stores whole numbers that int16 holds: the simulated runs are written as int16 too. */
  readonly integer: boolean;
}

/** Fewer volumes leave a noise estimate with almost no degrees of freedom. */
export const MIN_FRAMES = 4;

export async function readBaseline(file: string): Promise<Baseline> {
  const run = await openNiftiFrames(file);
  const n = run.frames;
  if (n < MIN_FRAMES) {
    throw new BoldstreamError('SIMULATE_INPUT_INVALID', `${file} has ${n} volume(s); at least ${MIN_FRAMES} are needed to measure each voxel's noise`);
  }
  const voxels = run.grid.dims[0] * run.grid.dims[1] * run.grid.dims[2];
  // Running sums against centred time give the line fit in one pass over the frames.
  const sum = new Float64Array(voxels), sumT = new Float64Array(voxels), sumSq = new Float64Array(voxels);
  const middle = (n - 1) / 2;
  let tt = 0;
  let whole = true;
  for (let t = 0; t < n; t++) {
    const frame = run.frame(t);
    const c = t - middle;
    tt += c * c;
    for (let v = 0; v < voxels; v++) {
      const y = frame[v]!;
      sum[v]! += y;
      sumT[v]! += c * y;
      sumSq[v]! += y * y;
      if (whole && y !== Math.round(y)) whole = false;
    }
  }
  const mean = new Float32Array(voxels), noiseSd = new Float32Array(voxels);
  for (let v = 0; v < voxels; v++) {
    if (!Number.isFinite(sum[v]!)) throw new BoldstreamError('SIMULATE_INPUT_INVALID', `${file}: voxel ${v} is not finite`);
    mean[v] = sum[v]! / n;
    const residual = sumSq[v]! - (sum[v]! * sum[v]!) / n - (sumT[v]! * sumT[v]!) / tt;
    noiseSd[v] = Math.sqrt(Math.max(0, residual) / (n - 2));
  }
  // int16 only when the input is whole numbers well inside its range (uint16 scanners can exceed it).
  const headroom = mean.reduce((m, x, v) => Math.max(m, x + 8 * noiseSd[v]!), 0) < 30_000;
  return { file, grid: run.grid, frames: n, repetitionTime: run.repetitionTime, mean, noiseSd, integer: whole && headroom && run.header.datatype.includes('int') };
}
