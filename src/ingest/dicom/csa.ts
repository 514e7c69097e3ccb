/**
 * Siemens CSA header reader (the binary blob in private element (0029,xx10) "CSA Image Header Info").
 *
 * Layout, always little endian, as documented by SPM's spm_dicom_headers and nibabel's "Siemens CSA"
 * notes:
 *   CSA2: "SV10", 4 unused bytes, uint32 tag count, uint32 (77), then the tags.
 *   CSA1: no marker; uint32 tag count, uint32 unused, then the tags.
 *   tag:  64-byte NUL-terminated name, int32 VM, 4-byte VR, int32 SyngoDT, int32 item count,
 *         int32 check (77 or 205), then the items.
 *   item: four int32; the value length is the 2nd (CSA2) or the 1st minus the first tag's item count
 *         (CSA1, a quirk SPM found); then the value, padded to 4 bytes (CSA1 pads a further 4 when aligned).
 *
 * Every count and length is checked against the buffer before it is used, and counts are capped, so a
 * damaged header gives DICOM_CSA_MALFORMED in time linear in its size, never an exception or a hang.
 */
import { BoldstreamError } from '../../errors.js';

export interface CsaElement {
  readonly vm: number;
  readonly vr: string;
  /** Non-empty item values as text (numbers are stored as text in CSA). */
  readonly items: readonly string[];
}

export type CsaHeader = ReadonlyMap<string, CsaElement>;

const TAG_BYTES = 84;
const ITEM_HEADER_BYTES = 16;
const MAX_TAGS = 1000;
const MAX_ITEMS = 1000;
const latin1 = new TextDecoder('latin1');

function malformed(detail: string): BoldstreamError {
  return new BoldstreamError('DICOM_CSA_MALFORMED', detail);
}

function cString(bytes: Uint8Array, start: number, length: number): string {
  let end = start;
  while (end < start + length && bytes[end] !== 0) end++;
  return latin1.decode(bytes.subarray(start, end));
}

export function parseCsa(bytes: Uint8Array): CsaHeader {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const need = (pos: number, n: number, what: string) => {
    if (pos < 0 || n < 0 || pos + n > bytes.length) throw malformed(`${what} at byte ${pos} runs past the end (${bytes.length} bytes)`);
  };
  const csa2 = cString(bytes, 0, Math.min(4, bytes.length)) === 'SV10';
  let pos = csa2 ? 8 : 0;
  need(pos, 8, 'header');
  const tagCount = view.getUint32(pos, true);
  if (csa2 && view.getUint32(pos + 4, true) !== 77) throw malformed('CSA2 header check value is not 77');
  if (tagCount < 1 || tagCount > MAX_TAGS) throw malformed(`tag count ${tagCount} is outside 1..${MAX_TAGS}`);
  pos += 8;

  const elements = new Map<string, CsaElement>();
  let firstTagItems = 0;
  for (let t = 0; t < tagCount; t++) {
    need(pos, TAG_BYTES, `tag ${t}`);
    const name = cString(bytes, pos, 64);
    const vm = view.getInt32(pos + 64, true);
    const vr = cString(bytes, pos + 68, 4);
    const itemCount = view.getInt32(pos + 76, true);
    const check = view.getInt32(pos + 80, true);
    if (check !== 77 && check !== 205) throw malformed(`tag ${t} check value ${check} is neither 77 nor 205`);
    if (itemCount < 0 || itemCount > MAX_ITEMS) throw malformed(`tag ${t} item count ${itemCount} is outside 0..${MAX_ITEMS}`);
    if (t === 0) firstTagItems = itemCount;
    pos += TAG_BYTES;

    const items: string[] = [];
    for (let i = 0; i < itemCount; i++) {
      need(pos, ITEM_HEADER_BYTES, `item ${i} of tag ${t}`);
      const length = csa2 ? view.getInt32(pos + 4, true) : view.getInt32(pos, true) - firstTagItems;
      pos += ITEM_HEADER_BYTES;
      if (!csa2 && (length < 0 || pos + length > bytes.length)) break; // CSA1 ends a tag's items this way (SPM)
      need(pos, length, `item ${i} of tag ${t}`);
      if (length > 0) items.push(cString(bytes, pos, length).trim());
      pos += length + (csa2 ? (4 - (length % 4)) % 4 : 4 - (length % 4));
    }
    elements.set(name, { vm, vr, items: items.filter((v) => v.length > 0) });
  }
  return elements;
}

/** The numeric items of one element; an element that is absent or empty gives []. Text that is not a number is malformed. */
export function csaNumbers(csa: CsaHeader, name: string): number[] {
  const items = csa.get(name)?.items ?? [];
  return items.map((item) => {
    const v = Number(item);
    if (!Number.isFinite(v)) throw malformed(`${name} holds a value that is not a number`);
    return v;
  });
}
