/**
 * Typed, bounds-checked access to the top-level attributes of one parsed DICOM dataset.
 *
 * dicom-parser's own getters read past an element's end into the next one when a value is shorter than
 * asked for (a damaged file) and throw strings on a buffer overrun; every read here stays inside the
 * element's declared bytes and returns `undefined` instead.
 */
import type { DataSet, Element } from 'dicom-parser';

const latin1 = new TextDecoder('latin1');

export class DicomHeader {
  constructor(
    private readonly dataSet: DataSet,
    /** The whole file (or raw dataset) the elements point into. */
    readonly bytes: Uint8Array,
    readonly transferSyntax: string,
    /** Byte order of the dataset's binary values; the file meta group is always little endian. */
    readonly littleEndian: boolean,
  ) {}

  element(key: string): Element | undefined {
    return Object.prototype.hasOwnProperty.call(this.dataSet.elements, key) ? this.dataSet.elements[key] : undefined;
  }

  has(key: string): boolean {
    return this.element(key) !== undefined;
  }

  keys(): string[] {
    return Object.keys(this.dataSet.elements);
  }

  /** The element's value bytes, or undefined when absent, empty or (defensively) out of the buffer. */
  value(key: string): Uint8Array | undefined {
    const el = this.element(key);
    if (!el || el.length <= 0 || el.hadUndefinedLength) return undefined;
    const end = el.dataOffset + el.length;
    if (el.dataOffset < 0 || end > this.bytes.length) return undefined;
    return this.bytes.subarray(el.dataOffset, end);
  }

  /** A string value with DICOM padding (trailing spaces and NULs, leading spaces) removed. */
  text(key: string): string | undefined {
    const raw = this.value(key);
    if (!raw) return undefined;
    const s = latin1.decode(raw).replace(/[\s\0]+$/, '').replace(/^ +/, '');
    return s.length > 0 ? s : undefined;
  }

  /** A multi-valued string (values separated by backslashes), each value trimmed. */
  texts(key: string): string[] {
    const s = this.text(key);
    return s === undefined ? [] : s.split('\\').map((v) => v.trim());
  }

  /** Decimal or integer strings (DS, IS) as numbers; NaN marks a value that is not a number. */
  numbers(key: string): number[] {
    return this.texts(key).map((v) => (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v) ? Number(v) : Number.NaN));
  }

  /** The first DS/IS value when it is a finite number. */
  number(key: string): number | undefined {
    const v = this.numbers(key)[0];
    return v !== undefined && Number.isFinite(v) ? v : undefined;
  }

  /** An integer string (IS) value, only when it is a whole number. */
  integer(key: string): number | undefined {
    const v = this.number(key);
    return v !== undefined && Number.isInteger(v) ? v : undefined;
  }

  /** Binary unsigned 16-bit values (US), in the dataset's byte order (group 0002 is always little endian). */
  uint16(key: string, index = 0): number | undefined {
    const raw = this.value(key);
    if (!raw || raw.length < (index + 1) * 2) return undefined;
    const view = new DataView(raw.buffer, raw.byteOffset, raw.length);
    return view.getUint16(index * 2, this.littleEndian || key.startsWith('x0002'));
  }

  /** A binary value (US, SS, UL, SL, FL, FD) by its VR, in the dataset's byte order; undefined when absent or short. */
  binary(key: string, vr: 'US' | 'SS' | 'UL' | 'SL' | 'FL' | 'FD', index = 0): number | undefined {
    const raw = this.value(key);
    const size = vr === 'FD' ? 8 : vr === 'US' || vr === 'SS' ? 2 : 4;
    if (!raw || raw.length < (index + 1) * size) return undefined;
    const view = new DataView(raw.buffer, raw.byteOffset, raw.length);
    const le = this.littleEndian;
    const at = index * size;
    switch (vr) {
      case 'US':
        return view.getUint16(at, le);
      case 'SS':
        return view.getInt16(at, le);
      case 'UL':
        return view.getUint32(at, le);
      case 'SL':
        return view.getInt32(at, le);
      case 'FL':
        return view.getFloat32(at, le);
      case 'FD':
        return view.getFloat64(at, le);
    }
  }

  /**
   * The items of a sequence as headers over the same bytes (functional groups, private sequences); [] when
   * the element is absent or is not a sequence.
   */
  items(key: string): DicomHeader[] {
    const el = this.element(key);
    return (el?.items ?? []).flatMap((item) => (item.dataSet ? [new DicomHeader(item.dataSet, this.bytes, this.transferSyntax, this.littleEndian)] : []));
  }

  /** The parser's own view, for the encapsulated pixel data helpers (codecs.ts). */
  get parsed(): DataSet {
    return this.dataSet;
  }

  uint16s(key: string): number[] {
    const raw = this.value(key);
    const out: number[] = [];
    if (!raw) return out;
    for (let i = 0; (i + 1) * 2 <= raw.length; i++) out.push(this.uint16(key, i)!);
    return out;
  }
}
