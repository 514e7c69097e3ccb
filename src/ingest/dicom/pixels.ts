/**
 * Stored pixel values to float32 (invariant 4: sign, bit depth, byte order and scaling resolved here, once).
 *
 * K17: BitsStored may be narrower than BitsAllocated. The value sits in bits HighBit-BitsStored+1 ..
 * HighBit; other bits of the cell are not part of it (old files put overlays there). Signed values are
 * two's complement within BitsStored, so a signed 12-bit 0xFFF is -1, not 4095. Unsigned 16-bit values
 * above 32767 stay positive (float32 holds every 16-bit integer exactly).
 * K16: a slope and intercept map stored values to real values, per frame where the file says so (the
 * caller resolves which: scaling.ts); a slope of 0 or a value that is not a number cannot be meant and is
 * ignored, as for NIfTI's scl_slope.
 * Compressed frames are decoded to little-endian cells first (codecs.ts) and then take the same path.
 */
import { BoldstreamError } from '../../errors.js';
import { encapsulatedFrameCells } from './codecs.js';
import type { DicomHeader } from './header.js';
import type { PixelCodec } from './syntax.js';
import { TAG } from './tags.js';

export interface PixelFormat {
  readonly rows: number;
  readonly columns: number;
  /** Frames in the pixel data: 1 for classic images, NumberOfFrames for enhanced ones. */
  readonly frames: number;
  readonly bitsAllocated: 8 | 16 | 32;
  readonly bitsStored: number;
  readonly highBit: number;
  readonly signed: boolean;
  /** Top-level RescaleSlope/RescaleIntercept (classic images); enhanced frames carry their own. */
  readonly slope: number;
  readonly intercept: number;
}

export interface Scaling {
  readonly slope: number;
  readonly intercept: number;
}

function malformed(detail: string): BoldstreamError {
  return new BoldstreamError('DICOM_MALFORMED', detail);
}

/** A slope of 0 or NaN is ignored; an absent intercept is 0. */
export function usableScaling(slope: number | undefined, intercept: number | undefined): Scaling {
  return { slope: slope !== undefined && slope !== 0 && Number.isFinite(slope) ? slope : 1, intercept: intercept !== undefined && Number.isFinite(intercept) ? intercept : 0 };
}

export function pixelFormat(header: DicomHeader, multiFrame = false): PixelFormat {
  const rows = header.uint16(TAG.Rows);
  const columns = header.uint16(TAG.Columns);
  if (!rows || !columns) throw malformed('Rows (0028,0010) or Columns (0028,0011) is missing or 0');
  const samples = header.uint16(TAG.SamplesPerPixel) ?? 1;
  if (samples !== 1) throw malformed(`${samples} samples per pixel; MR magnitude images have 1`);
  const frames = header.integer(TAG.NumberOfFrames) ?? 1;
  if (!multiFrame && frames !== 1) throw malformed(`${frames} frames in a classic MR image; expected 1`);
  if (!(frames >= 1)) throw malformed(`NumberOfFrames ${frames} is not a positive count`);
  const bitsAllocated = header.uint16(TAG.BitsAllocated);
  if (bitsAllocated !== 8 && bitsAllocated !== 16 && bitsAllocated !== 32) throw malformed(`BitsAllocated ${bitsAllocated ?? 'missing'} is not 8, 16 or 32`);
  const bitsStored = header.uint16(TAG.BitsStored) ?? bitsAllocated;
  const highBit = header.uint16(TAG.HighBit) ?? bitsStored - 1;
  if (bitsStored < 1 || bitsStored > bitsAllocated || highBit < bitsStored - 1 || highBit >= bitsAllocated) {
    throw malformed(`BitsStored ${bitsStored} / HighBit ${highBit} do not fit BitsAllocated ${bitsAllocated}`);
  }
  const representation = header.uint16(TAG.PixelRepresentation) ?? 0;
  if (representation !== 0 && representation !== 1) throw malformed(`PixelRepresentation ${representation} is neither 0 nor 1`);
  const { slope, intercept } = usableScaling(header.number(TAG.RescaleSlope), header.number(TAG.RescaleIntercept));
  return { rows, columns, frames, bitsAllocated, bitsStored, highBit, signed: representation === 1, slope, intercept };
}

/** Raw cells of one native frame as unsigned integers (a copy: aligned, and byte-swapped when big endian). */
function nativeCells(header: DicomHeader, format: PixelFormat, frame: number): Uint8Array | Uint16Array | Uint32Array {
  const el = header.element(TAG.PixelData);
  const count = format.rows * format.columns;
  const bytesPer = format.bitsAllocated / 8;
  if (!el || el.hadUndefinedLength) throw malformed('pixel data is encapsulated (undefined length) in an uncompressed transfer syntax');
  const need = count * bytesPer * format.frames;
  if (el.length < need) throw malformed(`pixel data holds ${el.length} bytes, ${format.frames} frame(s) of ${format.rows}x${format.columns} pixels need ${need}`);
  const start = el.dataOffset + frame * count * bytesPer;
  const bytes = header.bytes.subarray(start, start + count * bytesPer);
  if (bytesPer === 1) return bytes;
  const aligned = new Uint8Array(bytes);
  if (!header.littleEndian) {
    for (let p = 0; p < aligned.length; p += bytesPer) aligned.subarray(p, p + bytesPer).reverse();
  }
  // Typed arrays use the platform's byte order; every platform Node runs on is little endian.
  return bytesPer === 2 ? new Uint16Array(aligned.buffer) : new Uint32Array(aligned.buffer);
}

function cellsOf(header: DicomHeader, format: PixelFormat, frame: number, codec: PixelCodec | null): Uint8Array | Uint16Array | Uint32Array {
  if (codec === null) return nativeCells(header, format, frame);
  const bytes = encapsulatedFrameCells(header, format, frame, codec);
  const bytesPer = format.bitsAllocated / 8;
  if (bytesPer === 1) return bytes;
  const aligned = new Uint8Array(bytes); // decoders give little-endian cells; copied to align
  return bytesPer === 2 ? new Uint16Array(aligned.buffer) : new Uint32Array(aligned.buffer);
}

/** One frame as float32, row-major (columns fastest), after sign handling and the given scaling. */
export function decodeFrame(header: DicomHeader, format: PixelFormat, frame: number, codec: PixelCodec | null, scaling: Scaling): Float32Array {
  const count = format.rows * format.columns;
  const cells = cellsOf(header, format, frame, codec);
  const shift = format.highBit + 1 - format.bitsStored;
  const range = 2 ** format.bitsStored;
  const signBit = format.signed ? range / 2 : 0;
  const { slope, intercept } = scaling;
  const out = new Float32Array(count);
  if (format.bitsStored < 32) {
    // Below 32 bits the value and its sign fit JavaScript's 32-bit integer operators.
    const mask = range - 1;
    for (let p = 0; p < count; p++) {
      const v = (cells[p]! >>> shift) & mask;
      out[p] = ((v ^ signBit) - signBit) * slope + intercept;
    }
  } else {
    for (let p = 0; p < count; p++) {
      const v = cells[p]!;
      out[p] = (format.signed && v >= 0x80000000 ? v - 0x100000000 : v) * slope + intercept;
    }
  }
  return out;
}

/** The single image of a classic file (a mosaic), scaled by its top-level rescale tags. */
export function decodePixels(header: DicomHeader, format: PixelFormat, codec: PixelCodec | null = null): Float32Array {
  return decodeFrame(header, format, 0, codec, format);
}
