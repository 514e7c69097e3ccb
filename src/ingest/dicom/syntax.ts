/**
 * What the reader accepts: uncompressed transfer syntaxes, classic MR Image Storage, Siemens.
 * Everything else stops here with a code that names the reason, never with a wrong image.
 */
import { BoldstreamError } from '../../errors.js';

export interface NativeSyntax {
  readonly name: string;
  readonly littleEndian: boolean;
  readonly explicitVr: boolean;
}

export const IMPLICIT_LITTLE = '1.2.840.10008.1.2';
export const EXPLICIT_LITTLE = '1.2.840.10008.1.2.1';
export const EXPLICIT_BIG = '1.2.840.10008.1.2.2';

const NATIVE: Readonly<Record<string, NativeSyntax>> = {
  [IMPLICIT_LITTLE]: { name: 'Implicit VR Little Endian', littleEndian: true, explicitVr: false },
  [EXPLICIT_LITTLE]: { name: 'Explicit VR Little Endian', littleEndian: true, explicitVr: true },
  [EXPLICIT_BIG]: { name: 'Explicit VR Big Endian', littleEndian: false, explicitVr: true },
};

/** Names for the refusal message; any other UID is refused too, by its number. */
const ENCODED: Readonly<Record<string, string>> = {
  '1.2.840.10008.1.2.1.99': 'Deflated Explicit VR Little Endian',
  '1.2.840.10008.1.2.4.50': 'JPEG Baseline',
  '1.2.840.10008.1.2.4.51': 'JPEG Extended',
  '1.2.840.10008.1.2.4.57': 'JPEG Lossless',
  '1.2.840.10008.1.2.4.70': 'JPEG Lossless SV1',
  '1.2.840.10008.1.2.4.80': 'JPEG-LS Lossless',
  '1.2.840.10008.1.2.4.81': 'JPEG-LS Near-Lossless',
  '1.2.840.10008.1.2.4.90': 'JPEG 2000 Lossless',
  '1.2.840.10008.1.2.4.91': 'JPEG 2000',
  '1.2.840.10008.1.2.5': 'RLE Lossless',
};

export const MR_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.4';
const SOP_CLASSES: Readonly<Record<string, string>> = {
  [MR_IMAGE_STORAGE]: 'MR Image Storage',
  '1.2.840.10008.5.1.4.1.1.4.1': 'Enhanced MR Image Storage',
  '1.2.840.10008.5.1.4.1.1.4.4': 'Legacy Converted Enhanced MR Image Storage',
  '1.2.840.10008.5.1.4.1.1.7': 'Secondary Capture Image Storage',
  '1.2.840.10008.5.1.4.1.1.66': 'Raw Data Storage',
  '1.2.840.10008.5.1.4.1.1.88.22': 'Enhanced SR Storage',
  '1.2.840.10008.5.1.4.1.1.11.1': 'Grayscale Softcopy Presentation State Storage',
};

/** A UID is digits and dots; anything else in the field is not echoed (it could be any text). */
export function printableUid(uid: string | undefined): string {
  if (uid === undefined) return '(none)';
  return /^[0-9.]{1,64}$/.test(uid) ? uid : '(not a valid UID)';
}

export function transferSyntaxName(uid: string): string {
  return NATIVE[uid]?.name ?? ENCODED[uid] ?? 'unknown';
}

export function sopClassName(uid: string | undefined): string {
  return (uid && SOP_CLASSES[uid]) || 'unknown';
}

export function requireNativeSyntax(uid: string | undefined): NativeSyntax & { readonly uid: string } {
  const syntax = uid === undefined ? undefined : NATIVE[uid];
  if (uid !== undefined && syntax) return { uid, ...syntax };
  const name = uid === undefined ? 'missing' : (ENCODED[uid] ?? 'unknown');
  throw new BoldstreamError('DICOM_UNSUPPORTED_TRANSFER_SYNTAX', `${printableUid(uid)} (${name}); only uncompressed syntaxes are read`);
}

/** Enhanced (multi-frame) MR keeps its geometry in functional groups: a different reader, not this one. */
export function requireClassicMr(uid: string | undefined): void {
  if (uid === MR_IMAGE_STORAGE) return;
  throw new BoldstreamError('DICOM_UNSUPPORTED_SOP_CLASS', `${printableUid(uid)} (${sopClassName(uid)}); only classic MR Image Storage is read`);
}

const VENDORS: readonly [RegExp, string][] = [
  [/GE |GE$|GENERAL ELECTRIC/, 'GE'],
  [/PHILIPS/, 'Philips'],
  [/CANON|TOSHIBA/, 'Canon'],
  [/HITACHI|FUJIFILM/, 'Hitachi/Fujifilm'],
  [/UIH|UNITED IMAGING/, 'United Imaging'],
  [/BRUKER/, 'Bruker'],
];

/**
 * Only Siemens geometry (mosaic, CSA) is implemented; other vendors come later. Anonymisers sometimes blank
 * Manufacturer, so a Siemens CSA private block also counts. The refusal names a known vendor, never the raw
 * field, which is free text.
 */
export function requireSiemens(manufacturer: string | undefined, hasSiemensCsa: boolean): void {
  const upper = (manufacturer ?? '').toUpperCase();
  if (upper.includes('SIEMENS')) return;
  if (upper === '' && hasSiemensCsa) return;
  const known = VENDORS.find(([pattern]) => pattern.test(upper))?.[1];
  throw new BoldstreamError('DICOM_UNSUPPORTED_VENDOR', known ?? (upper === '' ? 'no Manufacturer (0008,0070)' : 'unrecognised manufacturer'));
}
