/**
 * A small DICOM writer for tests, written from the standard (PS3.5 encoding) and separate from
 * src/ingest/dicom on purpose: explicit or implicit VR little endian, nested sequences (defined
 * lengths), encapsulated pixel data, a Part 10 file around it, and a JPEG Lossless encoder (T.81).
 * dicom-export.ts builds each vendor's export of a known series with it.
 */
import { createHash } from 'node:crypto';

export type Vr = 'AE' | 'AS' | 'AT' | 'CS' | 'DA' | 'DS' | 'DT' | 'FD' | 'FL' | 'IS' | 'LO' | 'OB' | 'OW' | 'PN' | 'SH' | 'SL' | 'SQ' | 'SS' | 'ST' | 'TM' | 'UI' | 'UL' | 'US';
export type Value = string | number | readonly (string | number)[] | Uint8Array | readonly El[][] | { readonly fragments: readonly Uint8Array[] };
export interface El {
  readonly tag: number;
  readonly vr: Vr;
  readonly value: Value;
}

export const EXPLICIT = '1.2.840.10008.1.2.1';
export const IMPLICIT = '1.2.840.10008.1.2';
export const RLE = '1.2.840.10008.1.2.5';
export const JPEG_LOSSLESS_SV1 = '1.2.840.10008.1.2.4.70';
export const MR = '1.2.840.10008.5.1.4.1.1.4';
export const ENHANCED_MR = '1.2.840.10008.5.1.4.1.1.4.1';
const LONG = new Set<Vr>(['OB', 'OW', 'SQ']);
const BINARY: Partial<Record<Vr, [number, (v: DataView, at: number, x: number) => void]>> = {
  AT: [
    4,
    (v, a, x) => {
      v.setUint16(a, x >>> 16, true);
      v.setUint16(a + 2, x & 0xffff, true);
    },
  ],
  US: [2, (v, a, x) => v.setUint16(a, x, true)],
  SS: [2, (v, a, x) => v.setInt16(a, x, true)],
  UL: [4, (v, a, x) => v.setUint32(a, x, true)],
  SL: [4, (v, a, x) => v.setInt32(a, x, true)],
  FL: [4, (v, a, x) => v.setFloat32(a, x, true)],
  FD: [8, (v, a, x) => v.setFloat64(a, x, true)],
};

export const el = (tag: number, vr: Vr, value: Value): El => ({ tag, vr, value });
export const uid = (seed: string): string => `2.25.${BigInt(`0x${createHash('sha256').update(seed).digest('hex').slice(0, 30)}`).toString()}`.slice(0, 64);

const cat = (parts: readonly Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

function header(tag: number, vr: Vr, length: number, explicit: boolean): Uint8Array {
  const long = LONG.has(vr);
  const out = new Uint8Array(explicit && long ? 12 : 8);
  const v = new DataView(out.buffer);
  v.setUint16(0, tag >>> 16, true);
  v.setUint16(2, tag & 0xffff, true);
  if (!explicit) v.setUint32(4, length, true);
  else {
    out.set([vr.charCodeAt(0), vr.charCodeAt(1)], 4);
    if (long) v.setUint32(8, length, true);
    else v.setUint16(6, length, true);
  }
  return out;
}

const item = (body: Uint8Array, tag = 0xe000): Uint8Array => {
  const head = new Uint8Array(8);
  const v = new DataView(head.buffer);
  v.setUint16(0, 0xfffe, true);
  v.setUint16(2, tag, true);
  v.setUint32(4, body.length, true);
  return cat([head, body]);
};

function valueBytes(vr: Vr, value: Value, explicit: boolean): Uint8Array {
  if (vr === 'SQ') return cat((value as readonly El[][]).map((items) => item(encode(items, explicit))));
  if (value instanceof Uint8Array) return value.length % 2 ? cat([value, new Uint8Array(1)]) : value;
  const list = (Array.isArray(value) ? value : [value]) as readonly (string | number)[];
  const binary = BINARY[vr];
  if (binary) {
    const out = new Uint8Array(list.length * binary[0]);
    list.forEach((x, i) => binary[1](new DataView(out.buffer), i * binary[0], Number(x)));
    return out;
  }
  const text = list.map(String).join('\\');
  return new Uint8Array(Buffer.from(text.length % 2 ? text + (vr === 'UI' ? '\0' : ' ') : text, 'latin1'));
}

/** A dataset's elements in tag order; encapsulated pixel data gets undefined length, an empty offset table and one fragment per frame. */
export function encode(elements: readonly El[], explicit: boolean): Uint8Array {
  return cat(
    [...elements]
      .sort((a, b) => a.tag - b.tag)
      .map((e) => {
        if (typeof e.value === 'object' && 'fragments' in e.value) {
          const body = cat([item(new Uint8Array(0)), ...e.value.fragments.map((f) => item(f.length % 2 ? cat([f, new Uint8Array(1)]) : f)), item(new Uint8Array(0), 0xe0dd)]);
          return cat([header(e.tag, e.vr, 0xffffffff, explicit), body]);
        }
        const bytes = valueBytes(e.vr, e.value, explicit);
        return cat([header(e.tag, e.vr, bytes.length, explicit), bytes]);
      }),
  );
}

/** A Part 10 file: preamble, DICM, meta group (always explicit little endian), then the dataset. */
export function part10(elements: readonly El[], syntax = EXPLICIT): Uint8Array {
  const sop = elements.find((e) => e.tag === 0x00080016)!.value as string;
  const instance = elements.find((e) => e.tag === 0x00080018)!.value as string;
  const metaBody = encode([el(0x00020001, 'OB', new Uint8Array([0, 1])), el(0x00020002, 'UI', sop), el(0x00020003, 'UI', instance), el(0x00020010, 'UI', syntax), el(0x00020012, 'UI', '1.2.3.4')], true);
  const groupLength = encode([el(0x00020000, 'UL', metaBody.length)], true);
  return cat([new Uint8Array(128), new Uint8Array(Buffer.from('DICM')), groupLength, metaBody, encode(elements, syntax !== IMPLICIT)]);
}

// ---------------------------------------------------------------------------------------------------
// JPEG Lossless (ITU T.81 process 14, first-order prediction), written from the standard: one grey
// component of 16 bits, predictor 1 (left; the row above at a row start), one Huffman table whose 17
// difference categories all get 5-bit codes. Enough to make files that dcm2niix decodes (the reference).

export function jpegLosslessEncode(cells: Uint8Array, rows: number, columns: number): Uint8Array {
  const view = new DataView(cells.buffer, cells.byteOffset, cells.length);
  const sample = (r: number, c: number) => view.getUint16((r * columns + c) * 2, true);
  const bytes: number[] = [];
  let acc = 0;
  let count = 0;
  const put = (value: number, bits: number) => {
    for (let b = bits - 1; b >= 0; b--) {
      acc = (acc << 1) | ((value >>> b) & 1);
      if (++count === 8) {
        bytes.push(acc);
        if (acc === 0xff) bytes.push(0); // byte stuffing
        acc = 0;
        count = 0;
      }
    }
  };
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c++) {
      const predicted = c > 0 ? sample(r, c - 1) : r > 0 ? sample(r - 1, c) : 1 << 15;
      let diff = (sample(r, c) - predicted) & 0xffff;
      if (diff >= 0x8000) diff -= 0x10000;
      const category = diff === 0 ? 0 : diff === -32768 ? 16 : Math.floor(Math.log2(Math.abs(diff))) + 1;
      put(category, 5);
      if (category > 0 && category < 16) put(diff > 0 ? diff : diff + (1 << category) - 1, category);
    }
  }
  if (count > 0) put(0xff, 8 - count); // pad with ones
  const segment = (marker: number, body: number[]) => [0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 0xff, ...body];
  const lengths = Array.from({ length: 16 }, (_, i) => (i === 4 ? 17 : 0));
  return new Uint8Array([
    0xff, 0xd8,
    ...segment(0xc3, [16, rows >> 8, rows & 0xff, columns >> 8, columns & 0xff, 1, 1, 0x11, 0]),
    ...segment(0xc4, [0x00, ...lengths, ...Array.from({ length: 17 }, (_, i) => i)]),
    ...segment(0xda, [1, 1, 0x00, 1, 0, 0]),
    ...bytes,
    0xff, 0xd9,
  ]);
}
