/**
 * Trilinear sampling of a volume at positions given by a voxel-to-voxel affine map: the hot loop of
 * both motion estimation (the moving volume at the reference's registration voxels, every iteration)
 * and realignment (the moving volume at the pipeline's chosen voxels, once per TR).
 *
 * Edges: a position up to half a voxel outside the grid reads the edge voxel, as the scanner's voxel
 * there covers it; further out there is no data and the sample is NaN. Without that half-voxel margin
 * the outermost slices (where a 4 mm slab ends inside the head) would turn NaN in realignment at the
 * slightest motion. Any non-finite voxel among the 8 neighbours gives NaN (K22).
 */
import type { Mat4 } from '../../geometry/mat4.js';
import type { Dims } from './pyramid.js';

/**
 * Voxel map u = A⁻¹ H A v of a world transform H on a grid with affine A, as I + A⁻¹ (H − I) A: when
 * H is exactly the identity the map is exactly the identity, so an unmoved volume is read back
 * bit-for-bit instead of through rounding in A⁻¹A.
 */
export function voxelMap(affine: Mat4, inverseAffine: Mat4, h: Mat4): Float64Array {
  const d = Float64Array.from(h);
  d[0]! -= 1;
  d[5]! -= 1;
  d[10]! -= 1;
  d[15]! -= 1;
  const out = new Float64Array(12);
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 4; c++) {
      let s = 0;
      for (let k = 0; k < 4; k++) {
        let dk = 0;
        for (let m = 0; m < 4; m++) dk += d[k * 4 + m]! * affine[m * 4 + c]!;
        s += inverseAffine[r * 4 + k]! * dk;
      }
      out[r * 4 + c] = s + (r === c ? 1 : 0);
    }
  }
  return out;
}

/** Value at continuous voxel position (x, y, z), or NaN outside the half-voxel margin or next to a non-finite voxel. */
export function trilinear(data: Float32Array, dims: Dims, x: number, y: number, z: number): number {
  const n0 = dims[0], n1 = dims[1], n2 = dims[2];
  if (!(x >= -0.5 && x <= n0 - 0.5 && y >= -0.5 && y <= n1 - 0.5 && z >= -0.5 && z <= n2 - 0.5)) return NaN;
  const cx = x < 0 ? 0 : x > n0 - 1 ? n0 - 1 : x;
  const cy = y < 0 ? 0 : y > n1 - 1 ? n1 - 1 : y;
  const cz = z < 0 ? 0 : z > n2 - 1 ? n2 - 1 : z;
  // The lower corner stays one short of the last voxel so that the upper corner exists; a one-voxel
  // axis (a single slice) steps by 0 and reads its only plane.
  const i0 = n0 > 1 ? Math.min(Math.floor(cx), n0 - 2) : 0;
  const j0 = n1 > 1 ? Math.min(Math.floor(cy), n1 - 2) : 0;
  const k0 = n2 > 1 ? Math.min(Math.floor(cz), n2 - 2) : 0;
  const fx = cx - i0, fy = cy - j0, fz = cz - k0;
  const si = n0 > 1 ? 1 : 0;
  const sj = n1 > 1 ? n0 : 0;
  const sk = n2 > 1 ? n0 * n1 : 0;
  const b = i0 + n0 * (j0 + n1 * k0);
  const c00 = data[b]! + fx * (data[b + si]! - data[b]!);
  const c10 = data[b + sj]! + fx * (data[b + sj + si]! - data[b + sj]!);
  const c01 = data[b + sk]! + fx * (data[b + sk + si]! - data[b + sk]!);
  const c11 = data[b + sk + sj]! + fx * (data[b + sk + sj + si]! - data[b + sk + sj]!);
  const c0 = c00 + fy * (c10 - c00);
  const c1 = c01 + fy * (c11 - c01);
  const v = c0 + fz * (c1 - c0);
  return v - v === 0 ? v : NaN;
}

/**
 * Samples `data` at map · (i, j, k) for each of `count` positions in `vox` (i, j, k interleaved),
 * writing NaN where there is no data; returns how many samples are finite. `trilinear` inlined by hand:
 * this loop runs over ~50 000 voxels several times per TR.
 */
export function sampleMapped(data: Float32Array, dims: Dims, map: Float64Array, vox: Float64Array, count: number, out: Float64Array): number {
  const m0 = map[0]!, m1 = map[1]!, m2 = map[2]!, m3 = map[3]!;
  const m4 = map[4]!, m5 = map[5]!, m6 = map[6]!, m7 = map[7]!;
  const m8 = map[8]!, m9 = map[9]!, m10 = map[10]!, m11 = map[11]!;
  const n0 = dims[0], n1 = dims[1], n2 = dims[2];
  const e0 = n0 - 1, e1 = n1 - 1, e2 = n2 - 1;
  const l0 = n0 > 1 ? n0 - 2 : 0, l1 = n1 > 1 ? n1 - 2 : 0, l2 = n2 > 1 ? n2 - 2 : 0;
  const si = n0 > 1 ? 1 : 0, sj = n1 > 1 ? n0 : 0, sk = n2 > 1 ? n0 * n1 : 0;
  const plane = n0 * n1;
  let valid = 0;
  for (let n = 0, p = 0; n < count; n++, p += 3) {
    const i = vox[p]!, j = vox[p + 1]!, k = vox[p + 2]!;
    const x = m0 * i + m1 * j + m2 * k + m3;
    const y = m4 * i + m5 * j + m6 * k + m7;
    const z = m8 * i + m9 * j + m10 * k + m11;
    if (!(x >= -0.5 && x <= e0 + 0.5 && y >= -0.5 && y <= e1 + 0.5 && z >= -0.5 && z <= e2 + 0.5)) {
      out[n] = NaN;
      continue;
    }
    const cx = x < 0 ? 0 : x > e0 ? e0 : x;
    const cy = y < 0 ? 0 : y > e1 ? e1 : y;
    const cz = z < 0 ? 0 : z > e2 ? e2 : z;
    let i0 = cx | 0, j0 = cy | 0, k0 = cz | 0;
    if (i0 > l0) i0 = l0;
    if (j0 > l1) j0 = l1;
    if (k0 > l2) k0 = l2;
    const fx = cx - i0, fy = cy - j0, fz = cz - k0;
    const b = i0 + n0 * j0 + plane * k0;
    const d000 = data[b]!, d100 = data[b + si]!, d010 = data[b + sj]!, d110 = data[b + sj + si]!;
    const d001 = data[b + sk]!, d101 = data[b + sk + si]!, d011 = data[b + sk + sj]!, d111 = data[b + sk + sj + si]!;
    const c00 = d000 + fx * (d100 - d000);
    const c10 = d010 + fx * (d110 - d010);
    const c01 = d001 + fx * (d101 - d001);
    const c11 = d011 + fx * (d111 - d011);
    const c0 = c00 + fy * (c10 - c00);
    const c1 = c01 + fy * (c11 - c01);
    const v = c0 + fz * (c1 - c0);
    if (v - v === 0) {
      out[n] = v;
      valid++;
    } else {
      out[n] = NaN;
    }
  }
  return valid;
}
