/**
 * Masks: ROI masks given by the user (NIfTI in the run's space) and an automatic brain mask.
 *
 * A mask is kept as the sorted list of voxel indices it selects on the run grid; everything
 * downstream (realignment, z-scores, decoders) works on such index lists, never on whole volumes.
 */
import { BoldstreamError } from '../errors.js';
import { sameGrid } from '../geometry/mat4.js';
import type { VoxelGrid } from '../volume.js';

export interface Mask {
  readonly name: string;
  /** Sorted voxel indices (i fastest) on the run grid. */
  readonly indices: Uint32Array;
}

/**
 * A voxel belongs to a mask when its value is ≥ 0.5: binary masks (0/1 in any datatype) and
 * probability maps thresholded at one half both work, and float round-off of a resampled binary
 * mask (0.9999) does not drop voxels.
 */
export function maskFromImage(name: string, image: { grid: VoxelGrid; data: Float32Array }, runGrid: VoxelGrid): Mask {
  // Orientation rule (K21): the mask's affine comes from the same reader rule as the run's; a
  // different grid is refused rather than resampled, because a silently resampled ROI moves the signal.
  if (!sameGrid(image.grid, runGrid, 0.05)) {
    throw new BoldstreamError('MASK_GRID_MISMATCH', `${name}: mask ${image.grid.dims.join('x')} vs run ${runGrid.dims.join('x')} or a different affine`);
  }
  const n = runGrid.dims[0] * runGrid.dims[1] * runGrid.dims[2];
  const picked: number[] = [];
  for (let v = 0; v < n; v++) if (image.data[v]! >= 0.5) picked.push(v);
  if (picked.length === 0) throw new BoldstreamError('MASK_EMPTY', name);
  return { name, indices: Uint32Array.from(picked) };
}

/**
 * Automatic brain mask from one volume: voxels above `fraction` of a robust maximum (the 98th
 * percentile, so a few bright vessels or a fat rim do not set the level), then voxels with fewer
 * than 3 of their 6 neighbours in the mask are dropped to remove speckle outside the head. This is
 * the clip-level idea of AFNI's 3dAutomask, simplified: good enough to choose voxels for
 * registration and z-scoring, not a segmentation.
 */
export function autoBrainMask(data: Float32Array, grid: VoxelGrid, fraction: number): Mask {
  const [nx, ny, nz] = grid.dims;
  // A typed array sorts numerically in native code: ~100x faster than a JS array with a comparator.
  const positive = new Float32Array(data.length);
  let count = 0;
  for (let v = 0; v < data.length; v++) if (data[v]! > 0 && data[v]! < Infinity) positive[count++] = data[v]!;
  if (count === 0) throw new BoldstreamError('MASK_EMPTY', 'automatic brain mask: the reference volume has no positive voxels');
  const finite = positive.subarray(0, count).sort();
  const robustMax = finite[Math.min(count - 1, Math.floor(0.98 * count))]!;
  const level = fraction * robustMax;
  const inside = new Uint8Array(data.length);
  for (let v = 0; v < data.length; v++) inside[v] = data[v]! > level ? 1 : 0;
  const picked: number[] = [];
  const slab = nx * ny;
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        const v = i + nx * j + slab * k;
        if (!inside[v]) continue;
        // Neighbours inside the mask, and how many neighbours the grid has here (edges have fewer).
        const neighbours =
          (i > 0 ? inside[v - 1]! : 0) + (i < nx - 1 ? inside[v + 1]! : 0) +
          (j > 0 ? inside[v - nx]! : 0) + (j < ny - 1 ? inside[v + nx]! : 0) +
          (k > 0 ? inside[v - slab]! : 0) + (k < nz - 1 ? inside[v + slab]! : 0);
        const possible = (i > 0 ? 1 : 0) + (i < nx - 1 ? 1 : 0) + (j > 0 ? 1 : 0) + (j < ny - 1 ? 1 : 0) + (k > 0 ? 1 : 0) + (k < nz - 1 ? 1 : 0);
        // Thin volumes (one slice) have only 4 possible neighbours; ask for half of what is possible.
        if (neighbours >= Math.min(3, Math.ceil(possible / 2))) picked.push(v);
      }
    }
  }
  if (picked.length === 0) throw new BoldstreamError('MASK_EMPTY', 'automatic brain mask selected nothing');
  return { name: 'brain', indices: Uint32Array.from(picked) };
}

/** Sorted union of index lists, and for each input list the positions of its voxels in the union. */
export function unionOf(lists: readonly Uint32Array[]): { union: Uint32Array; positions: Uint32Array[] } {
  const all = new Set<number>();
  for (const list of lists) for (const v of list) all.add(v);
  const union = Uint32Array.from(all).sort();
  const where = new Map<number, number>();
  union.forEach((v, p) => where.set(v, p));
  const positions = lists.map((list) => Uint32Array.from(list, (v) => where.get(v)!));
  return { union, positions };
}
