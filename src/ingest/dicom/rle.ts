/**
 * RLE Lossless (1.2.840.10008.1.2.5), as PS3.5 Annex G describes it.
 *
 * A frame starts with a 64-byte header: the number of segments (uint32) and 15 segment offsets. Each
 * segment holds one byte plane of the image, most significant first (a 16-bit image has two: high bytes,
 * then low bytes), compressed with the PackBits scheme: a control byte n in 0..127 copies the next n+1
 * bytes; -127..-1 repeats the next byte 1-n times; -128 does nothing.
 * Every read is bounds-checked: a damaged frame is DICOM_MALFORMED, never a read past the buffer.
 */
import { BoldstreamError } from '../../errors.js';

const malformed = (detail: string) => new BoldstreamError('DICOM_MALFORMED', `RLE: ${detail}`);

/** Decodes one PackBits segment into `plane` (exactly `plane.length` bytes, or malformed). */
function unpackSegment(data: Uint8Array, start: number, end: number, plane: Uint8Array): void {
  let p = start;
  let o = 0;
  while (o < plane.length) {
    if (p >= end) throw malformed(`segment ends after ${o} of ${plane.length} bytes`);
    const n = (data[p++]! << 24) >> 24; // as int8
    if (n >= 0) {
      const count = n + 1;
      if (p + count > end || o + count > plane.length) throw malformed('a literal run overflows its segment');
      plane.set(data.subarray(p, p + count), o);
      p += count;
      o += count;
    } else if (n !== -128) {
      const count = 1 - n;
      if (p >= end || o + count > plane.length) throw malformed('a repeat run overflows its segment');
      plane.fill(data[p++]!, o, o + count);
      o += count;
    }
  }
}

/** Cells of one frame, little endian: `pixels` values of `bytesPer` bytes each. */
export function decodeRle(data: Uint8Array, pixels: number, bytesPer: number): Uint8Array {
  if (data.length < 64) throw malformed('frame shorter than its 64-byte header');
  const view = new DataView(data.buffer, data.byteOffset, data.length);
  const segments = view.getUint32(0, true);
  if (segments !== bytesPer) throw malformed(`${segments} segments for ${bytesPer}-byte samples (one grey channel expected)`);
  const offsets = Array.from({ length: segments }, (_, s) => view.getUint32(4 + s * 4, true));
  const out = new Uint8Array(pixels * bytesPer);
  const plane = new Uint8Array(pixels);
  for (let s = 0; s < segments; s++) {
    const start = offsets[s]!;
    const end = s + 1 < segments ? offsets[s + 1]! : data.length;
    if (start < 64 || end > data.length || end < start) throw malformed(`segment ${s + 1} offsets do not fit the frame`);
    unpackSegment(data, start, end, plane);
    // Segment 0 is the most significant byte: in a little-endian cell it goes last.
    const byte = bytesPer - 1 - s;
    for (let i = 0; i < pixels; i++) out[i * bytesPer + byte] = plane[i]!;
  }
  return out;
}
