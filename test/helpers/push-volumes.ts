/**
 * Volumes to push into a push session, as a scanner-side client would send them (VolumePush in the
 * proto). The run is read with nibabel (the reference reader, not the code under test), so that a push
 * test depends on nothing in src/ingest.
 */
import type { VolumePush } from '../../src/generated/boldstream.js';
import { readNifti, type ReferenceNifti } from './dicom-fixtures.js';

export interface PushableRun {
  readonly dims: [number, number, number];
  readonly voxelSize: [number, number, number];
  /** Row-major voxel → world, 16 numbers. */
  readonly affine: number[];
  readonly frames: number;
  /** One frame's voxels, i fastest (a fresh copy each call, free to damage). */
  frame(t: number): Float32Array;
}

export function pushableRun(file: string): PushableRun {
  const image: ReferenceNifti = readNifti(file);
  const [nx, ny, nz] = image.shape as [number, number, number];
  const frames = image.shape[3] ?? 1;
  const n = nx * ny * nz;
  const a = image.affine;
  const column = (c: number): number => Math.hypot(a[0]![c]!, a[1]![c]!, a[2]![c]!);
  return {
    dims: [nx, ny, nz],
    voxelSize: [column(0), column(1), column(2)],
    affine: a.flat(),
    frames,
    frame: (t) => image.data.slice(t * n, (t + 1) * n),
  };
}

/** A float32 push (little-endian, as the protocol says). */
export function floatPush(session: string, index: number, run: Pick<PushableRun, 'voxelSize' | 'affine'>, dims: readonly number[], data: Float32Array, extra: Partial<VolumePush> = {}): VolumePush {
  const bytes = new Uint8Array(data.length * 4);
  const view = new DataView(bytes.buffer);
  data.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return { session, index, dims: [...dims], voxelSize: [...run.voxelSize], affine: [...run.affine], dtype: 'float32', data: bytes, warnings: [], ...extra };
}
