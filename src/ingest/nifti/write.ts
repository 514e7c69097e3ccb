/**
 * Writing NIfTI-1 or NIfTI-2 (little-endian, single file) that every reader places identically.
 *
 * Both forms are written with code 1 (scanner anatomical): the sform carries the affine exactly, the
 * qform its nearest rotation with the right qfac, so tools that read only the qform (some viewers,
 * old FSL) agree with those that prefer the sform. pixdim[1..3] are the affine's column lengths,
 * because the qform is built from them. Files are written under a temporary name and renamed, so a
 * folder watcher never sees a half-written volume (K02).
 */
import { rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { BoldstreamError } from '../../errors.js';
import { voxelCount } from '../../volume.js';
import { rotationToQform } from './quaternion.js';
import type { NiftiWritable, NiftiWriteOptions } from './types.js';
import { HOST_LITTLE_ENDIAN, swapInPlace } from './voxels.js';

/** Byte offsets of the fields we write, for each version (nifti1.h, nifti2.h). */
const FIELDS = {
  1: { size: 348, dim: 40, datatype: 70, bitpix: 72, pixdim: 76, voxOffset: 108, slope: 112, inter: 116, units: 123, descrip: 148, qformCode: 252, sformCode: 254, quatern: 256, qoffset: 268, srow: 280, magic: 344 },
  2: { size: 540, dim: 16, datatype: 12, bitpix: 14, pixdim: 104, voxOffset: 168, slope: 176, inter: 184, units: 500, descrip: 240, qformCode: 344, sformCode: 348, quatern: 352, qoffset: 376, srow: 400, magic: 4 },
} as const;

const MAGIC = { 1: [0x6e, 0x2b, 0x31, 0], 2: [0x6e, 0x2b, 0x32, 0, 0x0d, 0x0a, 0x1a, 0x0a] } as const;
const XFORM_SCANNER_ANAT = 1;
const UNITS_MM_SEC = 2 | 8;

function datatypeFor(data: NiftiWritable['data']): { code: number; bitpix: number } {
  if (data instanceof Float32Array) return { code: 16, bitpix: 32 };
  if (data instanceof Int16Array) return { code: 4, bitpix: 16 };
  return { code: 2, bitpix: 8 };
}

function checkShape(image: NiftiWritable, version: 1 | 2): { frames: number; dims: number[] } {
  const [nx, ny, nz] = image.grid.dims;
  const n = voxelCount(image.grid);
  if (![nx, ny, nz].every((d) => Number.isInteger(d) && d >= 1)) throw new BoldstreamError('NIFTI_BAD_DIMS', `cannot write dims ${image.grid.dims.join('x')}`);
  const frames = image.frames ?? image.data.length / n;
  if (!Number.isInteger(frames) || frames < 1 || frames * n !== image.data.length) {
    throw new BoldstreamError('NIFTI_BAD_DIMS', `${image.data.length} values do not fill ${frames} frame(s) of ${n} voxels`);
  }
  const withTime = frames > 1 || (image.repetitionTime ?? 0) > 0;
  const dims = withTime ? [4, nx, ny, nz, frames, 1, 1, 1] : [3, nx, ny, nz, 1, 1, 1, 1];
  if (version === 1 && dims.some((d) => d > 32767)) throw new BoldstreamError('NIFTI_BAD_DIMS', 'a dimension exceeds NIfTI-1 int16; write version 2');
  return { frames, dims };
}

function encodeHeader(image: NiftiWritable, version: 1 | 2, dims: readonly number[], voxOffset: number, view: DataView): void {
  const f = FIELDS[version];
  const a = image.grid.affine;
  if (a.length !== 16 || !a.every(Number.isFinite)) throw new BoldstreamError('NIFTI_BAD_AFFINE', 'affine is not a finite 4x4 matrix');
  const qform = rotationToQform([a[0]!, a[1]!, a[2]!, a[4]!, a[5]!, a[6]!, a[8]!, a[9]!, a[10]!]);
  if (!qform) throw new BoldstreamError('NIFTI_BAD_AFFINE', 'affine is singular and cannot be written');
  const tr = image.repetitionTime ?? 0;
  if (!Number.isFinite(tr) || tr < 0) throw new BoldstreamError('NIFTI_BAD_HEADER', `repetition time ${tr} cannot be written`);
  const { code, bitpix } = datatypeFor(image.data);

  // NIfTI-1 stores dims and form codes as int16 and reals as float32; NIfTI-2 widens them to int64/int32/float64.
  const dimension = (at: number, v: number): void => (version === 1 ? view.setInt16(at, v, true) : view.setBigInt64(at, BigInt(v), true));
  const real = (at: number, v: number): void => (version === 1 ? view.setFloat32(at, v, true) : view.setFloat64(at, v, true));
  const step = version === 1 ? 4 : 8;
  const formCode = (at: number, v: number): void => (version === 1 ? view.setInt16(at, v, true) : view.setInt32(at, v, true));

  view.setInt32(0, f.size, true);
  MAGIC[version].forEach((byte, i) => view.setUint8(f.magic + i, byte));
  if (version === 1) view.setUint8(38, 0x72); // 'regular' = 'r', which Analyze-era readers still check
  dims.forEach((d, i) => dimension(f.dim + i * (version === 1 ? 2 : 8), d));
  view.setInt16(f.datatype, code, true);
  view.setInt16(f.bitpix, bitpix, true);
  const pixdim = [qform.qfac, ...qform.zooms, tr, 0, 0, 0];
  pixdim.forEach((p, i) => real(f.pixdim + i * step, p));
  if (version === 1) view.setFloat32(f.voxOffset, voxOffset, true);
  else view.setBigInt64(f.voxOffset, BigInt(voxOffset), true);
  real(f.slope, 1);
  real(f.inter, 0);
  if (version === 1) view.setUint8(f.units, UNITS_MM_SEC);
  else view.setInt32(f.units, UNITS_MM_SEC, true);
  const descrip = (image.description ?? '').replace(/[^\x20-\x7e]/g, '?').slice(0, 79);
  for (let i = 0; i < descrip.length; i++) view.setUint8(f.descrip + i, descrip.charCodeAt(i));
  formCode(f.qformCode, XFORM_SCANNER_ANAT);
  formCode(f.sformCode, XFORM_SCANNER_ANAT);
  qform.quatern.forEach((q, i) => real(f.quatern + i * step, q));
  [a[3]!, a[7]!, a[11]!].forEach((t, i) => real(f.qoffset + i * step, t));
  for (let i = 0; i < 12; i++) real(f.srow + i * step, a[i]!);
}

/** A complete NIfTI file in memory; gzip-compressed when options.gzip. */
export function writeNifti(image: NiftiWritable, options: NiftiWriteOptions = {}): Uint8Array {
  const version = options.version ?? 1;
  const { dims } = checkShape(image, version);
  // The header, then 4 zero extender bytes (no extensions): 352 or 544, both multiples of 16.
  const voxOffset = FIELDS[version].size + 4;
  const out = new Uint8Array(voxOffset + image.data.byteLength);
  encodeHeader(image, version, dims, voxOffset, new DataView(out.buffer));
  const body = out.subarray(voxOffset);
  body.set(new Uint8Array(image.data.buffer, image.data.byteOffset, image.data.byteLength));
  if (!HOST_LITTLE_ENDIAN && image.data.BYTES_PER_ELEMENT > 1) swapInPlace(body, image.data.BYTES_PER_ELEMENT);
  return options.gzip ? gzipSync(out) : out;
}

let temporaryCounter = 0;

/** Writes a file atomically; gzip-compressed when the path ends in .gz unless options.gzip says otherwise. */
export async function writeNiftiFile(file: string, image: NiftiWritable, options: NiftiWriteOptions = {}): Promise<void> {
  const bytes = writeNifti(image, { ...options, gzip: options.gzip ?? file.endsWith('.gz') });
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${temporaryCounter++}.tmp`);
  try {
    await writeFile(temporary, bytes);
    await rename(temporary, file);
  } catch (thrown) {
    await unlink(temporary).catch(() => undefined);
    throw new BoldstreamError('OUTPUT_NOT_WRITABLE', `${file}: ${(thrown as NodeJS.ErrnoException).code ?? String(thrown)}`, { cause: thrown });
  }
}
