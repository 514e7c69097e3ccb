/**
 * The unit that flows through a session: one brain volume, in float32, on a known voxel grid.
 *
 * Readers resolve byte order, sign, scaling and orientation once (docs/architecture.md, rule 4);
 * everything after them sees only this shape.
 */
import type { Warning } from './errors.js';
import type { Mat4 } from './geometry/mat4.js';

export interface VoxelGrid {
  /** Voxels along i, j, k (i fastest in `data`). */
  readonly dims: readonly [number, number, number];
  /** Voxel size in mm along i, j, k. */
  readonly voxelSize: readonly [number, number, number];
  /** Row-major 4x4 map from voxel index (i, j, k, 1) to world RAS+ mm (NIfTI convention). */
  readonly affine: Mat4;
}

/** Where a volume came from, as far as its header says; used to order and de-duplicate. */
export interface VolumeIdentity {
  /** Series identity (DICOM SeriesInstanceUID hash or series number; file path for NIfTI). */
  readonly series: string;
  /** 0-based position of this volume in its run, from the header (never from a file name). */
  readonly index: number;
  /** DICOM SOPInstanceUID hash when there is one: two files with the same one are the same image. */
  readonly instance?: string;
}

export interface Volume {
  readonly identity: VolumeIdentity;
  readonly grid: VoxelGrid;
  /** Voxel values after scaling, i fastest then j then k; length dims[0]*dims[1]*dims[2]. */
  readonly data: Float32Array;
  /** Scanner clock: seconds since midnight of the acquisition (DICOM AcquisitionTime), or run time for NIfTI. */
  readonly acquisitionTime: number | null;
  /** Server clock when the volume became complete: Unix epoch milliseconds. */
  readonly receivedAt: number;
  /** Seconds, after unit sanity (see HEADER_TR_UNITS), or null when the header has none. */
  readonly repetitionTime: number | null;
  /** Seconds from the start of the volume to each slice's acquisition, in k order, when known. */
  readonly sliceTiming?: readonly number[];
  /** Problems the reader noticed that do not make the volume unusable. */
  readonly warnings: readonly Warning[];
}

export function voxelCount(grid: VoxelGrid): number {
  return grid.dims[0] * grid.dims[1] * grid.dims[2];
}
