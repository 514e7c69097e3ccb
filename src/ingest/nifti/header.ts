/**
 * Decoding the fixed NIfTI-1 (348-byte) and NIfTI-2 (540-byte) headers into one plain shape.
 *
 * nifti-reader-js decodes most numeric fields and is right about them in both byte orders. We do
 * the rest ourselves because, as checked against its 0.8 source:
 * - its int64 reader, for big-endian NIfTI-2, reads the low word as signed, so a dim or vox_offset
 *   whose low 32 bits reach 2^31 comes out wrong (K18);
 * - for NIfTI-1 it reads srow_* only when it has chosen the sform, and its choice of form differs
 *   from ours (it prefers a qform whose code is higher), so srow and the affine rule are ours;
 * - it keeps reading strings past their NUL terminator, so descrip can carry trailing garbage;
 * - its extension walk trusts esize: a negative esize walks backwards and can loop forever on a
 *   damaged file. We hand it exactly the fixed header, never the extensions, and list those ourselves.
 */
import { NIFTI1, NIFTI2 } from 'nifti-reader-js';
import { BoldstreamError } from '../../errors.js';

export interface RawHeader {
  readonly version: 1 | 2;
  readonly littleEndian: boolean;
  /** 348 or 540: where extensions may start (after 4 more extender bytes). */
  readonly headerSize: number;
  /** dim[0..7] as stored. */
  readonly dim: readonly number[];
  readonly datatype: number;
  readonly bitpix: number;
  /** pixdim[0..7] as stored. */
  readonly pixdim: readonly number[];
  readonly voxOffset: number;
  readonly sclSlope: number;
  readonly sclInter: number;
  readonly xyztUnits: number;
  readonly qformCode: number;
  readonly sformCode: number;
  /** quatern_b, quatern_c, quatern_d. */
  readonly quatern: readonly [number, number, number];
  readonly qoffset: readonly [number, number, number];
  /** srow_x, srow_y, srow_z: 12 numbers, row-major. */
  readonly srow: readonly number[];
  readonly intentCode: number;
  readonly intentName: string;
  readonly description: string;
}

const NIFTI1_SIZE = 348;
const NIFTI2_SIZE = 540;

/** Version and byte order from sizeof_hdr, read both ways; then the magic must agree. */
function identify(view: DataView, source: string): { version: 1 | 2; littleEndian: boolean } {
  if (view.byteLength < 4) throw new BoldstreamError('NIFTI_TRUNCATED', `${source}: ${view.byteLength} bytes, no header`);
  const le = view.getInt32(0, true);
  const be = view.getInt32(0, false);
  const version = le === NIFTI1_SIZE || be === NIFTI1_SIZE ? 1 : le === NIFTI2_SIZE || be === NIFTI2_SIZE ? 2 : null;
  if (version === null) throw new BoldstreamError('NIFTI_NOT_NIFTI', `${source}: sizeof_hdr is neither 348 nor 540`);
  const size = version === 1 ? NIFTI1_SIZE : NIFTI2_SIZE;
  if (view.byteLength < size) throw new BoldstreamError('NIFTI_TRUNCATED', `${source}: ${view.byteLength} bytes, header needs ${size}`);
  const magic = readString(view, version === 1 ? 344 : 4, 4);
  if (magic === `ni${version}`) {
    throw new BoldstreamError('NIFTI_NOT_NIFTI', `${source}: header of a .hdr/.img pair; only single-file NIfTI is read`);
  }
  if (magic !== `n+${version}`) throw new BoldstreamError('NIFTI_NOT_NIFTI', `${source}: magic is "${magic}", not "n+${version}"`);
  return { version, littleEndian: le === size };
}

/** C string: stops at the first NUL; non-printable bytes are dropped so messages stay readable. */
function readString(view: DataView, offset: number, length: number): string {
  let out = '';
  for (let i = offset; i < offset + length; i++) {
    const c = view.getUint8(i);
    if (c === 0) break;
    if (c >= 0x20 && c < 0x7f) out += String.fromCharCode(c);
  }
  return out;
}

/** Signed 64-bit integer; values past 2^53 cannot be sizes of anything we could hold. */
function readInt64(view: DataView, offset: number, littleEndian: boolean, source: string): number {
  const value = view.getBigInt64(offset, littleEndian);
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new BoldstreamError('NIFTI_BAD_HEADER', `${source}: 64-bit field at byte ${offset} is out of range`);
  }
  return Number(value);
}

function decodeNifti1(view: DataView, littleEndian: boolean): RawHeader {
  const lib = new NIFTI1();
  lib.readHeader(view.buffer.slice(view.byteOffset, view.byteOffset + NIFTI1_SIZE) as ArrayBuffer);
  const srow = Array.from({ length: 12 }, (_, i) => view.getFloat32(280 + i * 4, littleEndian));
  return {
    version: 1, littleEndian, headerSize: NIFTI1_SIZE,
    dim: lib.dims.slice(0, 8), datatype: lib.datatypeCode, bitpix: lib.numBitsPerVoxel, pixdim: lib.pixDims.slice(0, 8),
    voxOffset: lib.vox_offset, sclSlope: lib.scl_slope, sclInter: lib.scl_inter, xyztUnits: lib.xyzt_units,
    qformCode: lib.qform_code, sformCode: lib.sform_code,
    quatern: [lib.quatern_b, lib.quatern_c, lib.quatern_d], qoffset: [lib.qoffset_x, lib.qoffset_y, lib.qoffset_z],
    srow, intentCode: lib.intent_code, intentName: readString(view, 328, 16), description: readString(view, 148, 80),
  };
}

function decodeNifti2(view: DataView, littleEndian: boolean, source: string): RawHeader {
  const lib = new NIFTI2();
  lib.readHeader(view.buffer.slice(view.byteOffset, view.byteOffset + NIFTI2_SIZE) as ArrayBuffer);
  const dim = Array.from({ length: 8 }, (_, i) => readInt64(view, 16 + i * 8, littleEndian, source));
  const srow = lib.affine.slice(0, 3).flatMap((row) => row.slice(0, 4));
  return {
    version: 2, littleEndian, headerSize: NIFTI2_SIZE,
    dim, datatype: lib.datatypeCode, bitpix: lib.numBitsPerVoxel, pixdim: lib.pixDims.slice(0, 8),
    voxOffset: readInt64(view, 168, littleEndian, source), sclSlope: lib.scl_slope, sclInter: lib.scl_inter,
    xyztUnits: lib.xyzt_units, qformCode: lib.qform_code, sformCode: lib.sform_code,
    quatern: [lib.quatern_b, lib.quatern_c, lib.quatern_d], qoffset: [lib.qoffset_x, lib.qoffset_y, lib.qoffset_z],
    srow, intentCode: lib.intent_code, intentName: readString(view, 508, 16), description: readString(view, 240, 80),
  };
}

/** Decodes the fixed header at the start of already-decompressed bytes. */
export function decodeHeader(bytes: Uint8Array, source: string): RawHeader {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { version, littleEndian } = identify(view, source);
  try {
    return version === 1 ? decodeNifti1(view, littleEndian) : decodeNifti2(view, littleEndian, source);
  } catch (thrown) {
    if (thrown instanceof BoldstreamError) throw thrown;
    throw new BoldstreamError('NIFTI_NOT_NIFTI', `${source}: header cannot be decoded`, { cause: thrown });
  }
}
