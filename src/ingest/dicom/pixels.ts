/**
 * Stored pixel values to float32 (invariant 4: sign, bit depth, byte order and scaling resolved here, once).
 *
 * K17: BitsStored may be narrower than BitsAllocated. The value sits in bits HighBit-BitsStored+1 ..
 * HighBit; other bits of the cell are not part of it (old files put overlays there). Signed values are
 * two's complement within BitsStored, so a signed 12-bit 0xFFF is -1, not 4095. Unsigned 16-bit values
 * above 32767 stay positive (float32 holds every 16-bit integer exactly).
 * K16: RescaleSlope/RescaleIntercept map stored values to real values; a slope of 0 or a value that is not
 * a number cannot be meant and is ignored, as for NIfTI's scl_slope.
 */
import { BoldstreamError } from '../../errors.js';
import type { DicomHeader } from './header.js';
import { TAG } from './tags.js';

export interface PixelFormat {
  readonly rows: number;
  readonly columns: number;
  readonly bitsAllocated: 8 | 16 | 32;
  readonly bitsStored: number;
  readonly highBit: number;
  readonly signed: boolean;
  readonly slope: number;
  readonly intercept: number;
}

function malformed(detail: string): BoldstreamError {
  return new BoldstreamError('DICOM_MALFORMED', detail);
}

export function pixelFormat(header: DicomHeader): PixelFormat {
  const rows = header.uint16(TAG.Rows);
  const columns = header.uint16(TAG.Columns);
  if (!rows || !columns) throw malformed('Rows (0028,0010) or Columns (0028,0011) is missing or 0');
  const samples = header.uint16(TAG.SamplesPerPixel) ?? 1;
  if (samples !== 1) throw malformed(`${samples} samples per pixel; MR magnitude images have 1`);
  const frames = header.integer(TAG.NumberOfFrames) ?? 1;
  if (frames !== 1) throw malformed(`${frames} frames in a classic MR image; expected 1`);
  const bitsAllocated = header.uint16(TAG.BitsAllocated);
  if (bitsAllocated !== 8 && bitsAllocated !== 16 && bitsAllocated !== 32) throw malformed(`BitsAllocated ${bitsAllocated ?? 'missing'} is not 8, 16 or 32`);
  const bitsStored = header.uint16(TAG.BitsStored) ?? bitsAllocated;
  const highBit = header.uint16(TAG.HighBit) ?? bitsStored - 1;
  if (bitsStored < 1 || bitsStored > bitsAllocated || highBit < bitsStored - 1 || highBit >= bitsAllocated) {
    throw malformed(`BitsStored ${bitsStored} / HighBit ${highBit} do not fit BitsAllocated ${bitsAllocated}`);
  }
  const representation = header.uint16(TAG.PixelRepresentation) ?? 0;
  if (representation !== 0 && representation !== 1) throw malformed(`PixelRepresentation ${representation} is neither 0 nor 1`);
  const slope = header.number(TAG.RescaleSlope);
  const intercept = header.number(TAG.RescaleIntercept);
  return {
    rows,
    columns,
    bitsAllocated,
    bitsStored,
    highBit,
    signed: representation === 1,
    slope: slope !== undefined && slope !== 0 ? slope : 1,
    intercept: intercept ?? 0,
  };
}

/** Raw cells of the pixel data as unsigned integers, in the file's byte order. */
function readCells(header: DicomHeader, offset: number, count: number, bytesPer: number): Uint8Array | Uint16Array | Uint32Array {
  const bytes = header.bytes.subarray(offset, offset + count * bytesPer);
  if (bytesPer === 1) return bytes;
  const aligned = new Uint8Array(bytes); // a copy: aligned, and byte-swappable without touching the input
  if (!header.littleEndian) {
    for (let p = 0; p < aligned.length; p += bytesPer) aligned.subarray(p, p + bytesPer).reverse();
  }
  // Typed arrays use the platform's byte order; every platform Node runs on is little endian.
  return bytesPer === 2 ? new Uint16Array(aligned.buffer) : new Uint32Array(aligned.buffer);
}

/** The image as float32, row-major (columns fastest), after sign handling and rescaling. */
export function decodePixels(header: DicomHeader, format: PixelFormat): Float32Array {
  const el = header.element(TAG.PixelData);
  const count = format.rows * format.columns;
  const bytesPer = format.bitsAllocated / 8;
  if (!el || el.hadUndefinedLength) throw malformed('pixel data is encapsulated (undefined length) in an uncompressed transfer syntax');
  if (el.length < count * bytesPer) throw malformed(`pixel data holds ${el.length} bytes, ${format.rows}x${format.columns} pixels need ${count * bytesPer}`);

  const cells = readCells(header, el.dataOffset, count, bytesPer);
  const shift = format.highBit + 1 - format.bitsStored;
  const range = 2 ** format.bitsStored;
  const signBit = format.signed ? range / 2 : 0;
  const { slope, intercept } = format;
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
