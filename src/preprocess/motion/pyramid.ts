/**
 * The registration images: a lightly smoothed full-resolution image and a coarse-to-fine pyramid.
 *
 * Large head turns (>10°) put the fine cost function's minimum beyond the reach of a Gauss-Newton step
 * (its basin is about a voxel wide), so each volume is first registered on smoothed, decimated copies
 * whose voxels are twice and four times as large. Each reduction smooths one axis with the 5-tap
 * binomial [1 4 6 4 1]/16 (Burt & Adelson 1983) and keeps every second sample, so level voxel m sits
 * exactly on finer voxel 2m and the level's affine is the finer affine with that axis' column doubled.
 * Non-finite voxels carry no weight (K22): kernels are renormalised over the finite taps, and a sample
 * with none stays NaN. Edges are renormalised the same way.
 */
import type { Mat4 } from '../../geometry/mat4.js';
import { filterAxis, REDUCE_TAPS, SMOOTH_TAPS } from './filter.js';

export type Dims = readonly [number, number, number];

export interface LevelGrid {
  readonly dims: Dims;
  /** Voxel → world mm of this level. */
  readonly affine: Mat4;
  readonly voxelSize: readonly [number, number, number];
  /** Axes halved on the way from the next finer level to this one. */
  readonly reduced: readonly [boolean, boolean, boolean];
}

/** Levels finest first. An axis is halved while its voxels stay within 1.5x the level's target size. */
export function planLevels(dims: Dims, voxelSize: readonly [number, number, number], affine: Mat4, levels: number): LevelGrid[] {
  const plan: LevelGrid[] = [{ dims, affine, voxelSize, reduced: [false, false, false] }];
  for (let l = 1; l < levels; l++) {
    const prev = plan[l - 1]!;
    const target = 2 * Math.min(...prev.voxelSize);
    const reduced = [0, 1, 2].map((a) => prev.voxelSize[a]! * 2 <= 1.5 * target && Math.ceil(prev.dims[a]! / 2) >= 4) as [boolean, boolean, boolean];
    if (!reduced.some(Boolean)) break;
    const f = reduced.map((r) => (r ? 2 : 1));
    const aff = Float64Array.from(prev.affine);
    for (let row = 0; row < 3; row++) for (let a = 0; a < 3; a++) aff[row * 4 + a]! *= f[a]!;
    plan.push({
      dims: [0, 1, 2].map((a) => (reduced[a] ? Math.ceil(prev.dims[a]! / 2) : prev.dims[a]!)) as unknown as Dims,
      affine: aff,
      voxelSize: [0, 1, 2].map((a) => prev.voxelSize[a]! * f[a]!) as unknown as [number, number, number],
      reduced,
    });
  }
  return plan;
}

/**
 * The full-resolution registration image: [1 2 1]/4 along each axis with more than one voxel (σ = 0.71
 * voxel; SPM's realign smooths by 5 mm). Trilinear interpolation blurs a sample by f(1 − f)/2 of the
 * curvature at fractional offset f, which pulls least squares off sub-voxel motion: a 1 mm slice shift
 * of the raw rtcloud volume came out 0.1 mm long, 0.04 mm after this smoothing. The kernel is the same
 * in voxels, so on 3x3x4 mm voxels it is wider along the slices, and a wider blur along one axis does
 * not commute with rotation: a 10° turn keeps a 0.1 mm error from that (0.04 mm with a kernel equal in
 * mm, which in turn raised the error of small slice-direction motion, the common case, by half).
 */
export function smoothForRegistration(data: Float32Array, dims: Dims, finite: boolean, scratch?: PyramidScratch): Float32Array {
  let cur = { data, dims };
  let flip = false;
  for (const axis of [0, 1, 2] as const) {
    if (dims[axis] === 1) continue;
    cur = filterAxis(cur.data, cur.dims, axis, SMOOTH_TAPS, false, finite, flip ? scratch?.b : scratch?.a);
    flip = !flip;
  }
  return cur.data;
}

/** Two full-size buffers the smoothing passes alternate between, so a TR allocates no large arrays. */
export interface PyramidScratch {
  readonly a: Float32Array;
  readonly b: Float32Array;
}

/**
 * The image at every planned level, finest first; level 0 is `data` smoothed unless `raw`. `finite`
 * says the volume holds no NaN or ±Inf, which allows the fast filters.
 */
export function buildPyramid(data: Float32Array, plan: readonly LevelGrid[], finite: boolean, raw = false, scratch?: PyramidScratch): Float32Array[] {
  return addCoarseLevels([raw ? data : smoothForRegistration(data, plan[0]!.dims, finite, scratch)], plan, finite);
}

/** The coarser levels below an existing level-0 image (built only when a volume needs them). */
export function addCoarseLevels(images: Float32Array[], plan: readonly LevelGrid[], finite: boolean): Float32Array[] {
  for (let l = images.length; l < plan.length; l++) {
    let cur = { data: images[l - 1]!, dims: plan[l - 1]!.dims };
    for (const axis of [0, 1, 2] as const) if (plan[l]!.reduced[axis]) cur = filterAxis(cur.data, cur.dims, axis, REDUCE_TAPS, true, finite);
    images.push(cur.data);
  }
  return images;
}
