/**
 * The visual region of a simulated subject, chosen on the real EPI: the brain voxels nearest the
 * occipital pole. The product's automatic brain mask (preprocess/mask.ts) is eroded by one voxel so
 * that scalp and partial-volume rim stay out; the pole is the most posterior part of the brain in a
 * band of mid heights (below it lies the cerebellum, above it parietal cortex); the region is the
 * `count` voxels nearest the pole, with height counting 1.5× so that the cap stays flat like the
 * occipital lobe instead of reaching down into the cerebellum.
 *
 * World axes are NIfTI RAS+: y grows towards the nose, z towards the vertex.
 */
import { BoldstreamError } from '../../errors.js';
import { autoBrainMask } from '../../preprocess/mask.js';
import type { VoxelGrid } from '../../volume.js';

export type Vec3 = [number, number, number];

export interface VisualRegion {
  /** Voxel indices on the run grid, ascending (the order of a mask's voxels everywhere in the product). */
  readonly indices: Uint32Array;
  /** World position (mm) of each voxel, in the order of `indices`. */
  readonly positions: readonly Vec3[];
  /** Distance from the pole (mm, height weighted), in the order of `indices`. */
  readonly distances: Float64Array;
  /** The occipital pole the region is centred on (mm). */
  readonly pole: Vec3;
  /** x (mm) of the midline between the hemispheres. */
  readonly midline: number;
}

const HEIGHT_WEIGHT = 1.5;

function eroded(indices: Uint32Array, dims: readonly [number, number, number]): number[] {
  const [nx, ny, nz] = dims;
  const inside = new Uint8Array(nx * ny * nz);
  for (const v of indices) inside[v] = 1;
  const kept: number[] = [];
  for (const v of indices) {
    const i = v % nx, j = Math.floor(v / nx) % ny, k = Math.floor(v / (nx * ny));
    if (i === 0 || j === 0 || k === 0 || i === nx - 1 || j === ny - 1 || k === nz - 1) continue;
    if (inside[v - 1] && inside[v + 1] && inside[v - nx] && inside[v + nx] && inside[v - nx * ny] && inside[v + nx * ny]) kept.push(v);
  }
  return kept;
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))]!;
}

function worldOf(grid: VoxelGrid, v: number): Vec3 {
  const [nx, ny] = grid.dims;
  const i = v % nx, j = Math.floor(v / nx) % ny, k = Math.floor(v / (nx * ny));
  const a = grid.affine;
  return [a[0]! * i + a[1]! * j + a[2]! * k + a[3]!, a[4]! * i + a[5]! * j + a[6]! * k + a[7]!, a[8]! * i + a[9]! * j + a[10]! * k + a[11]!];
}

export function chooseVisualRegion(mean: Float32Array, grid: VoxelGrid, count: number, brainFraction: number): VisualRegion {
  if (grid.dims.some((d) => d < 3)) throw new BoldstreamError('SIMULATE_INPUT_INVALID', `a ${grid.dims.join('x')} grid is too thin for a 3D visual region`);
  const brain = eroded(autoBrainMask(mean, grid, brainFraction).indices, grid.dims);
  if (brain.length < 2 * count) throw new BoldstreamError('SIMULATE_INPUT_INVALID', `the brain holds ${brain.length} interior voxels; ${count} visual voxels need at least twice as many`);
  const world = brain.map((v) => worldOf(grid, v));
  const midline = quantile(world.map((p) => p[0]), 0.5);
  const zLow = quantile(world.map((p) => p[2]), 0.05);
  const zHigh = quantile(world.map((p) => p[2]), 0.95);
  const band = world.filter((p) => p[2] >= zLow + 0.25 * (zHigh - zLow) && p[2] <= zLow + 0.55 * (zHigh - zLow) && Math.abs(p[0] - midline) < 20);
  // The 2% most posterior of the band, not the single most posterior voxel: one stray voxel must not move the region.
  const back = quantile(band.map((p) => p[1]), 0.02);
  const tip = band.filter((p) => p[1] <= back);
  const pole: Vec3 = [midline, back, tip.reduce((s, p) => s + p[2], 0) / tip.length];
  const distance = (p: Vec3): number => Math.hypot(p[0] - pole[0], p[1] - pole[1], HEIGHT_WEIGHT * (p[2] - pole[2]));
  const chosen = brain
    .map((v, n) => ({ v, p: world[n]!, d: distance(world[n]!) }))
    .sort((a, b) => a.d - b.d || a.v - b.v)
    .slice(0, count)
    .sort((a, b) => a.v - b.v);
  return { indices: Uint32Array.from(chosen, (o) => o.v), positions: chosen.map((o) => o.p), distances: Float64Array.from(chosen, (o) => o.d), pole, midline };
}
