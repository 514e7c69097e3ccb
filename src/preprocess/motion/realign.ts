/**
 * Realignment: this volume's values at the reference grid's voxels, motion undone. The pipeline asks
 * only for the voxels it uses (a brain mask, ROIs), so only those are sampled.
 *
 * The value at reference voxel v is this volume at A⁻¹ H A v with H = matrix⁻¹ the head motion: the
 * tissue that sat at v in the reference sits there now. Trilinear, like the estimator, so an estimate
 * of exactly zero returns the volume's own values bit-for-bit. A voxel whose tissue moved more than half
 * a voxel out of the field of view, or next to a non-finite voxel, is NaN: there is no data for it,
 * and the stages after this one count and skip non-finite values (K22) rather than meet an invented one.
 */
import type { Mat4 } from '../../geometry/mat4.js';
import type { VoxelGrid } from '../../volume.js';
import { invertRigid } from './rigid.js';
import { trilinear, voxelMap } from './sampler.js';

export function realignVoxels(
  data: Float32Array,
  grid: VoxelGrid,
  inverseAffine: Mat4,
  matrix: Mat4,
  voxelIndices: Uint32Array,
  out: Float32Array = new Float32Array(voxelIndices.length),
): Float32Array {
  if (out.length < voxelIndices.length) throw new RangeError(`realign output holds ${out.length} values, ${voxelIndices.length} needed`);
  const [n0, n1] = grid.dims;
  const plane = n0 * n1;
  const m = voxelMap(grid.affine, inverseAffine, invertRigid(matrix));
  for (let n = 0; n < voxelIndices.length; n++) {
    const idx = voxelIndices[n]!;
    const k = Math.floor(idx / plane);
    const rest = idx - k * plane;
    const j = Math.floor(rest / n0);
    const i = rest - j * n0;
    out[n] = trilinear(
      data,
      grid.dims,
      m[0]! * i + m[1]! * j + m[2]! * k + m[3]!,
      m[4]! * i + m[5]! * j + m[6]! * k + m[7]!,
      m[8]! * i + m[9]! * j + m[10]! * k + m[11]!,
    );
  }
  return out;
}
