/**
 * Moving the head: a volume seen after head motion H holds at each scanner position x the tissue
 * that was at H⁻¹(x), so the moved image is the still image sampled (trilinearly) at H⁻¹(x), the
 * record's `matrix`. Positions beyond the grid read the nearest edge voxel: tissue that moves into
 * the field of view from outside it is unknown, and the edge is the best guess.
 *
 * Noise is added after this step (run.ts): thermal noise arises in the receiver, not in the head, and
 * interpolating it would smooth it and lower the noise level the run is meant to have.
 */
import { invert, multiply, type Mat4 } from '../../geometry/mat4.js';
import type { VoxelGrid } from '../../volume.js';

export function warpVolume(still: Float32Array, grid: VoxelGrid, matrix: Mat4, out: Float32Array = new Float32Array(still.length)): Float32Array {
  const [nx, ny, nz] = grid.dims;
  // Voxel (i, j, k) of the moved volume → continuous voxel position in the still one.
  const m = multiply(invert(grid.affine), multiply(matrix, grid.affine));
  const slab = nx * ny;
  const clamp = (p: number, n: number): number => (p < 0 ? 0 : p > n - 1 ? n - 1 : p);
  let v = 0;
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      let px = m[1]! * j + m[2]! * k + m[3]!, py = m[5]! * j + m[6]! * k + m[7]!, pz = m[9]! * j + m[10]! * k + m[11]!;
      for (let i = 0; i < nx; i++, v++, px += m[0]!, py += m[4]!, pz += m[8]!) {
        const x = clamp(px, nx), y = clamp(py, ny), z = clamp(pz, nz);
        const i0 = Math.min(Math.floor(x), nx - 2), j0 = Math.min(Math.floor(y), ny - 2), k0 = Math.min(Math.floor(z), nz - 2);
        const fx = x - i0, fy = y - j0, fz = z - k0;
        const b = i0 + nx * j0 + slab * k0;
        const c00 = still[b]! + fx * (still[b + 1]! - still[b]!);
        const c10 = still[b + nx]! + fx * (still[b + nx + 1]! - still[b + nx]!);
        const c01 = still[b + slab]! + fx * (still[b + slab + 1]! - still[b + slab]!);
        const c11 = still[b + slab + nx]! + fx * (still[b + slab + nx + 1]! - still[b + slab + nx]!);
        const c0 = c00 + fy * (c10 - c00), c1 = c01 + fy * (c11 - c01);
        out[v] = c0 + fz * (c1 - c0);
      }
    }
  }
  return out;
}
