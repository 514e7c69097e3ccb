/**
 * Where the voxels are and how many: dims, frames and the data offset, checked before any
 * allocation so a damaged header cannot ask for gigabytes; and the summary `inspect` prints.
 */
import { BoldstreamError } from '../../errors.js';
import type { RawHeader } from './header.js';
import { SPACE_UNIT_NAMES, TIME_UNIT_NAMES } from './timing.js';
import type { NiftiExtensionSummary, NiftiHeaderSummary } from './types.js';
import { datatypeName } from './voxels.js';

export interface Layout {
  readonly dims: readonly [number, number, number];
  readonly frames: number;
  /** Where voxel data starts in the decompressed bytes. */
  readonly dataOffset: number;
}

export function layoutOf(h: RawHeader, source: string): Layout {
  const ndim = h.dim[0] ?? 0;
  if (!Number.isInteger(ndim) || ndim < 1 || ndim > 7) throw new BoldstreamError('NIFTI_BAD_DIMS', `${source}: dim[0] is ${ndim}`);
  const dim = (i: number): number => (i <= ndim ? h.dim[i]! : 1);
  for (let i = 1; i <= ndim; i++) {
    if (!Number.isInteger(h.dim[i]) || h.dim[i]! < 1) throw new BoldstreamError('NIFTI_BAD_DIMS', `${source}: dim[${i}] is ${h.dim[i]}`);
  }
  // Dims 5-7 hold vector, complex or per-voxel statistics; with size 1 they are only padding.
  for (let i = 5; i <= ndim; i++) {
    if (dim(i) !== 1) throw new BoldstreamError('NIFTI_BAD_DIMS', `${source}: dim[${i}] is ${dim(i)}; only 3D and 4D images are read`);
  }
  // Single-file NIfTI puts data at vox_offset, at least past the header and its 4 extender bytes.
  // Some writers leave it 0; the data is then where the standard's minimum puts it (nibabel would
  // read from byte 0, which is the header itself).
  const minimum = h.headerSize + 4;
  const stored = h.voxOffset;
  if (!Number.isInteger(stored) || (stored !== 0 && stored < minimum)) {
    throw new BoldstreamError('NIFTI_BAD_HEADER', `${source}: vox_offset ${stored} is inside the header (minimum ${minimum})`);
  }
  return { dims: [dim(1), dim(2), dim(3)], frames: dim(4), dataOffset: stored === 0 ? minimum : stored };
}

/**
 * Extensions between the header and the data, for `inspect` only: reading skips them by
 * vox_offset (K19), so a damaged extension list ends the listing instead of failing the file.
 */
export function listExtensions(bytes: Uint8Array, h: RawHeader, dataOffset: number): NiftiExtensionSummary[] {
  const out: NiftiExtensionSummary[] = [];
  if (bytes.length <= h.headerSize || bytes[h.headerSize] === 0) return out;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = Math.min(dataOffset, bytes.length);
  for (let at = h.headerSize + 4; at + 8 <= end; ) {
    const size = view.getInt32(at, h.littleEndian);
    if (size < 16 || size % 16 !== 0 || at + size > end) break;
    out.push({ code: view.getInt32(at + 4, h.littleEndian), size });
    at += size;
  }
  return out;
}

export function summarise(h: RawHeader, compressed: boolean, extensions: readonly NiftiExtensionSummary[]): NiftiHeaderSummary {
  const ndim = Math.max(0, Math.min(7, h.dim[0] ?? 0));
  return {
    version: h.version,
    byteOrder: h.littleEndian ? 'little' : 'big',
    compressed,
    datatypeCode: h.datatype,
    datatype: datatypeName(h.datatype),
    bitpix: h.bitpix,
    dims: h.dim.slice(1, ndim + 1),
    pixdim: [...h.pixdim],
    voxOffset: h.voxOffset,
    sclSlope: h.sclSlope,
    sclInter: h.sclInter,
    spatialUnits: SPACE_UNIT_NAMES.get(h.xyztUnits & 0x07) ?? 'unknown',
    temporalUnits: TIME_UNIT_NAMES.get(h.xyztUnits & 0x38) ?? 'unknown',
    qformCode: h.qformCode,
    sformCode: h.sformCode,
    intentCode: h.intentCode,
    intentName: h.intentName,
    description: h.description,
    extensions,
  };
}
