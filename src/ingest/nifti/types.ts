/**
 * The shapes the NIfTI reader hands out. `NiftiImage` is what runs, references and masks become;
 * `NiftiHeaderSummary` is what `boldstream inspect` prints, without touching voxel data.
 */
import type { Warning } from '../../errors.js';
import type { VoxelGrid } from '../../volume.js';

/** Which of the three voxel-to-world rules produced the affine (see affine.ts). */
export type AffineSource = 'sform' | 'qform' | 'pixdim';

export interface NiftiExtensionSummary {
  /** NIfTI extension code (4 = AFNI, 6 = comment, 32 = CIfTI, ...). */
  readonly code: number;
  /** Bytes the extension occupies, its 8-byte esize/ecode prefix included. */
  readonly size: number;
}

export interface NiftiHeaderSummary {
  readonly version: 1 | 2;
  readonly byteOrder: 'little' | 'big';
  /** True when the bytes were gzip-compressed (decided by content, never by file name). */
  readonly compressed: boolean;
  readonly datatypeCode: number;
  /** 'int16', 'float32', ... or 'unknown(<code>)'. */
  readonly datatype: string;
  readonly bitpix: number;
  /** dim[1..dim[0]]. */
  readonly dims: readonly number[];
  /** pixdim[0..7] as stored (pixdim[0] is qfac). */
  readonly pixdim: readonly number[];
  /** Byte offset of voxel data as stored; extensions live between the header and here. */
  readonly voxOffset: number;
  readonly sclSlope: number;
  readonly sclInter: number;
  readonly spatialUnits: string;
  readonly temporalUnits: string;
  readonly qformCode: number;
  readonly sformCode: number;
  readonly intentCode: number;
  readonly intentName: string;
  readonly description: string;
  readonly extensions: readonly NiftiExtensionSummary[];
}

export interface NiftiImage {
  /** dims are the first three dims; voxelSize the first three pixdims (absolute values). */
  readonly grid: VoxelGrid;
  /** dim[4], or 1 for a 3D image. */
  readonly frames: number;
  /** Seconds, after unit sanity (see timing.ts); null when the header has none. */
  readonly repetitionTime: number | null;
  /** All frames, frame-major, after scaling: frame t is data.subarray(t * n, (t + 1) * n). */
  readonly data: Float32Array;
  /** A view (no copy) of frame t. */
  frame(t: number): Float32Array;
  /** Which rule gave grid.affine. */
  readonly affineSource: AffineSource;
  readonly warnings: readonly Warning[];
  readonly header: NiftiHeaderSummary;
}

/** What the writer accepts: a grid and voxel data; the NIfTI datatype follows the array type. */
export interface NiftiWritable {
  readonly grid: VoxelGrid;
  readonly data: Float32Array | Uint8Array | Int16Array;
  /** Defaults to data.length / voxel count. */
  readonly frames?: number;
  /** Seconds; written to pixdim[4] with xyzt_units seconds. */
  readonly repetitionTime?: number | null;
  /** Up to 79 ASCII characters, stored in descrip. */
  readonly description?: string;
}

export interface NiftiWriteOptions {
  readonly gzip?: boolean;
  readonly version?: 1 | 2;
}
