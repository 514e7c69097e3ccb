/**
 * Compressed (encapsulated) pixel data: the bytes of one frame, found among the fragments, then decoded
 * to little-endian cells that pixels.ts reads like uncompressed ones.
 *
 * PS3.5 A.4: the pixel data element has undefined length; its first item is the basic offset table (may
 * be empty), then one or more fragments per frame. With an offset table the frame is found from it; without
 * one, the usual layouts are one fragment per frame or a single frame spread over all fragments. Anything
 * else cannot be split into frames without decoding and is refused.
 *
 * RLE Lossless is decoded here (rle.ts, from the standard's own description). JPEG Lossless needs the
 * optional package jpeg-lossless-decoder-js (jpeg-lossless.ts); without it the file is refused as an
 * unsupported transfer syntax, naming the package.
 */
import dicomParser from 'dicom-parser';
import { BoldstreamError } from '../../errors.js';
import type { DicomHeader } from './header.js';
import { decodeJpegLossless } from './jpeg-lossless.js';
import type { PixelFormat } from './pixels.js';
import { decodeRle } from './rle.js';
import type { PixelCodec } from './syntax.js';
import { TAG } from './tags.js';

function malformed(detail: string): BoldstreamError {
  return new BoldstreamError('DICOM_MALFORMED', detail);
}

/** The compressed bytes of one frame. */
function frameBytes(header: DicomHeader, format: PixelFormat, frame: number): Uint8Array {
  const el = header.element(TAG.PixelData);
  if (!el || !el.encapsulatedPixelData || !el.fragments) throw malformed('a compressed transfer syntax, but the pixel data is not encapsulated');
  const fragments = el.fragments;
  if (fragments.length === 0) throw malformed('encapsulated pixel data holds no fragment');
  try {
    if (el.basicOffsetTable && el.basicOffsetTable.length === format.frames) {
      return dicomParser.readEncapsulatedImageFrame(header.parsed, el, frame, el.basicOffsetTable, fragments);
    }
    if (fragments.length === format.frames) return dicomParser.readEncapsulatedPixelDataFromFragments(header.parsed, el, frame, 1, fragments);
    if (format.frames === 1) return dicomParser.readEncapsulatedPixelDataFromFragments(header.parsed, el, 0, fragments.length, fragments);
  } catch (thrown) {
    throw malformed(`encapsulated frame ${frame + 1} cannot be read (${thrown instanceof Error ? thrown.name : 'parser error'})`);
  }
  throw malformed(`${fragments.length} fragments for ${format.frames} frames and no basic offset table: frames cannot be told apart`);
}

/** One frame's cells, little endian, exactly rows x columns x BitsAllocated/8 bytes. */
export function encapsulatedFrameCells(header: DicomHeader, format: PixelFormat, frame: number, codec: PixelCodec): Uint8Array {
  const compressed = frameBytes(header, format, frame);
  const bytesPer = format.bitsAllocated / 8;
  const size = format.rows * format.columns * bytesPer;
  const cells = codec === 'rle' ? decodeRle(compressed, format.rows * format.columns, bytesPer) : decodeJpegLossless(compressed, header.transferSyntax);
  if (cells.length < size) throw malformed(`frame ${frame + 1} decodes to ${cells.length} bytes, ${size} expected`);
  return cells.subarray(0, size);
}
