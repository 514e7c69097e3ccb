/**
 * From bytes to a complete, bounds-checked dataset, or a coded error.
 *
 * dicom-parser does the element walk. Around it this file adds what a real-time reader needs:
 * - a file that is still being written (K01/K02/K08) must never parse as an image: dicom-parser silently
 *   accepts an element whose length runs past the end of the buffer (implicit VR) and stretches an
 *   undefined-length element to the end, so every element is checked against the buffer, and a dataset
 *   that stops before its pixel data counts as truncated;
 * - dicom-parser throws strings, plain objects and Errors; all of them become BoldstreamErrors here, and
 *   none carries the parser's dataset (it holds the patient's name) as a cause;
 * - the transfer syntax is checked before the dataset is parsed, so a deflated file is never inflated;
 * - in implicit VR the parser is told which tags are sequences (functional groups of enhanced MR), since a
 *   sequence of defined length cannot be told from any other value there.
 */
import dicomParser from 'dicom-parser';
import type { DataSet, Element } from 'dicom-parser';
import { BoldstreamError } from '../../errors.js';
import { DicomHeader } from './header.js';
import { EXPLICIT_LITTLE, IMPLICIT_LITTLE, type ReadableSyntax, requireMrImage, requireReadableSyntax } from './syntax.js';
import { SEQUENCE_TAGS, TAG } from './tags.js';

const PREAMBLE = 128;
const MAGIC = [0x44, 0x49, 0x43, 0x4d]; // "DICM"

function hasMagic(bytes: Uint8Array): boolean {
  return bytes.length >= PREAMBLE + 4 && MAGIC.every((b, i) => bytes[PREAMBLE + i] === b);
}

/**
 * Fewer bytes than preamble and marker: nothing tells a DICOM file being written from another file yet
 * (preambles are free-form; Siemens writes zeros, other writers do not), so the caller should wait.
 */
function tooShortToTell(bytes: Uint8Array): boolean {
  return bytes.length < PREAMBLE + 4;
}

/**
 * A dataset stored without preamble and meta header (old exports, network captures) starts with a
 * group 0002 or 0008 element. Explicit VR shows two upper-case letters after the tag; implicit VR a
 * 32-bit length that fits the file.
 */
function rawDatasetSyntax(bytes: Uint8Array): string | undefined {
  if (bytes.length < 8) return undefined;
  const group = bytes[0]! | (bytes[1]! << 8);
  if (group !== 0x0002 && group !== 0x0008) return undefined;
  const isUpper = (c: number) => c >= 0x41 && c <= 0x5a;
  if (isUpper(bytes[4]!) && isUpper(bytes[5]!)) return EXPLICIT_LITTLE;
  const length = (bytes[4]! | (bytes[5]! << 8) | (bytes[6]! << 16)) + bytes[7]! * 0x1000000;
  return length + 8 <= bytes.length ? IMPLICIT_LITTLE : undefined;
}

export function isProbablyDicom(bytes: Uint8Array): boolean {
  return hasMagic(bytes) || rawDatasetSyntax(bytes) !== undefined;
}

/** Turns whatever dicom-parser threw into a coded error; running off the end of the buffer means truncated. */
function parserFailure(thrown: unknown, stage: string): BoldstreamError {
  if (thrown instanceof BoldstreamError) return thrown;
  const inner = typeof thrown === 'object' && thrown !== null && 'exception' in thrown ? (thrown as { exception: unknown }).exception : thrown;
  const text = inner instanceof Error ? inner.message : typeof inner === 'string' ? inner : 'unreadable element';
  // dicom-parser's messages hold function names, tags and offsets only; keep them short and plain anyway.
  const plain = text.replace(/[^\w .,:'()-]/g, '').slice(0, 160);
  // An item longer than what is left surfaces as an invalid 'maxPosition'; a file that ends right after
  // its meta header as a stream starting at the end of the buffer.
  const truncated = /past end|overread|overrun|maxP ?osition|greater than or equal to 'byteArray' length/i.test(text);
  return new BoldstreamError(truncated ? 'DICOM_TRUNCATED' : 'DICOM_MALFORMED', `${stage}: ${plain}`);
}

/** Every element, nested ones too, must lie inside the bytes we have. */
function checkBounds(elements: Readonly<Record<string, Element>>, size: number, depth = 0): void {
  if (depth > 64) throw new BoldstreamError('DICOM_MALFORMED', 'sequences nested deeper than 64 levels');
  for (const el of Object.values(elements)) {
    if (el.dataOffset < 0 || el.length < 0 || el.dataOffset + el.length > size) {
      throw new BoldstreamError('DICOM_TRUNCATED', `element ${el.tag} needs ${el.dataOffset + el.length} bytes, the file has ${size}`);
    }
    for (const item of el.items ?? []) if (item.dataSet) checkBounds(item.dataSet.elements, size, depth + 1);
  }
}

function readMetaSyntax(bytes: Uint8Array): string {
  let meta: DataSet;
  try {
    meta = dicomParser.readPart10Header(bytes);
  } catch (thrown) {
    throw parserFailure(thrown, 'file meta header');
  }
  checkBounds(meta.elements, bytes.length);
  const el = meta.elements[TAG.TransferSyntaxUID];
  if (!el) {
    // The meta group ended at the end of the bytes: the rest of the file has not arrived yet.
    const position = (meta as DataSet & { position?: number }).position ?? 0;
    if (position >= bytes.length) throw new BoldstreamError('DICOM_TRUNCATED', 'file ends inside the file meta header');
    throw new BoldstreamError('DICOM_MALFORMED', 'file meta header has no TransferSyntaxUID (0002,0010)');
  }
  return dicomParser.readFixedString(bytes, el.dataOffset, el.length).replace(/[\s\0]+$/, '');
}

function hasElementAfterPixelData(elements: Readonly<Record<string, Element>>): boolean {
  return Object.keys(elements).some((key) => key > TAG.PixelData);
}

export interface ParsedDataset {
  readonly header: DicomHeader;
  readonly kind: 'classic' | 'enhanced';
  readonly syntax: ReadableSyntax;
}

/** Implicit VR: sequences by tag; everything else is left to the parser's own guess (it reads bytes). */
const implicitVr = (tag: string): string | undefined => (SEQUENCE_TAGS.has(tag) ? 'SQ' : undefined);

/**
 * Parses a complete classic or enhanced MR image dataset; throws DICOM_NOT_DICOM, DICOM_TRUNCATED,
 * DICOM_MALFORMED, DICOM_NO_PIXEL_DATA or DICOM_UNSUPPORTED_TRANSFER_SYNTAX / _SOP_CLASS.
 */
export function parseDataset(bytes: Uint8Array): ParsedDataset {
  let syntaxUid: string | undefined;
  if (hasMagic(bytes)) {
    syntaxUid = readMetaSyntax(bytes);
  } else {
    syntaxUid = rawDatasetSyntax(bytes);
    if (syntaxUid === undefined && tooShortToTell(bytes)) throw new BoldstreamError('DICOM_TRUNCATED', `only ${bytes.length} bytes, too few to tell`);
    if (syntaxUid === undefined) throw new BoldstreamError('DICOM_NOT_DICOM', 'no DICM marker at byte 128 and no dataset at byte 0');
  }
  const syntax = requireReadableSyntax(syntaxUid);

  let dataSet: DataSet;
  try {
    // The typings say vrCallback returns nothing; the parser uses what it returns as the VR.
    const vrCallback = implicitVr as unknown as (tag: string) => void;
    dataSet = dicomParser.parseDicom(bytes, hasMagic(bytes) ? { vrCallback } : { TransferSyntaxUID: syntaxUid, vrCallback });
  } catch (thrown) {
    throw parserFailure(thrown, 'dataset');
  }
  checkBounds(dataSet.elements, bytes.length);
  const header = new DicomHeader(dataSet, bytes, syntax.uid, syntax.littleEndian);

  // The SOP class comes early in the file; checked first so that a report or raw-data object is named
  // as such instead of looking like an unfinished image. The meta header's copy stands in when a file was
  // cut before (0008,0016).
  const sopClass = header.text(TAG.SOPClassUID) ?? header.text(TAG.MediaStorageSOPClassUID);
  if (sopClass !== undefined) requireMrImage(sopClass);

  if (!header.has(TAG.PixelData)) {
    // A writer emits elements in tag order and pixel data near the end: without anything after where it
    // would be, the file may simply not be finished yet.
    if (hasElementAfterPixelData(dataSet.elements)) throw new BoldstreamError('DICOM_NO_PIXEL_DATA', 'no (7FE0,0010) element');
    throw new BoldstreamError('DICOM_TRUNCATED', 'file ends before its pixel data (7FE0,0010)');
  }
  return { header, kind: requireMrImage(sopClass), syntax };
}
