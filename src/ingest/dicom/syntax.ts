/**
 * What the reader accepts: uncompressed transfer syntaxes and the compressed ones a decoder exists for
 * (codecs.ts), classic and enhanced MR Image Storage, and the vendors whose layout is known.
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

/** Pixel codecs this reader knows (codecs.ts); every other encapsulated syntax is refused by name. */
export type PixelCodec = 'rle' | 'jpeg-lossless';
const CODECS: Readonly<Record<string, PixelCodec>> = {
  '1.2.840.10008.1.2.5': 'rle',
  '1.2.840.10008.1.2.4.57': 'jpeg-lossless',
  '1.2.840.10008.1.2.4.70': 'jpeg-lossless',
};

export type ReadableSyntax = NativeSyntax & { readonly uid: string; readonly codec: PixelCodec | null };

export function requireReadableSyntax(uid: string | undefined): ReadableSyntax {
  const syntax = uid === undefined ? undefined : NATIVE[uid];
  if (uid !== undefined && syntax) return { uid, ...syntax, codec: null };
  // Encapsulated syntaxes all use explicit VR little endian for the dataset itself (PS3.5 A.4).
  const codec = uid === undefined ? undefined : CODECS[uid];
  if (uid !== undefined && codec) return { uid, name: ENCODED[uid]!, littleEndian: true, explicitVr: true, codec };
  const name = uid === undefined ? 'missing' : (ENCODED[uid] ?? 'unknown');
  throw new BoldstreamError('DICOM_UNSUPPORTED_TRANSFER_SYNTAX', `${printableUid(uid)} (${name}); read are the uncompressed syntaxes, RLE Lossless and JPEG Lossless`);
}

export const ENHANCED_MR_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.4.1';
const LEGACY_ENHANCED_MR = '1.2.840.10008.5.1.4.1.1.4.4';

/** Classic MR (one frame per file) or enhanced MR (frames described by functional groups). */
export function requireMrImage(uid: string | undefined): 'classic' | 'enhanced' {
  if (uid === MR_IMAGE_STORAGE) return 'classic';
  if (uid === ENHANCED_MR_IMAGE_STORAGE || uid === LEGACY_ENHANCED_MR) return 'enhanced';
  throw new BoldstreamError('DICOM_UNSUPPORTED_SOP_CLASS', `${printableUid(uid)} (${sopClassName(uid)}); classic and enhanced MR Image Storage are read`);
}

const VENDORS: readonly [RegExp, string][] = [
  [/GE |GE$|GENERAL ELECTRIC/, 'GE'],
  [/PHILIPS/, 'Philips'],
  [/CANON|TOSHIBA/, 'Canon'],
  [/HITACHI|FUJIFILM/, 'Hitachi/Fujifilm'],
  [/UIH|UNITED IMAGING/, 'United Imaging'],
  [/BRUKER/, 'Bruker'],
];

export type Vendor = 'Siemens' | 'GE' | 'Philips' | 'other';

/**
 * The vendor whose quirks apply. Anonymisers sometimes blank Manufacturer, so a Siemens CSA private block
 * also counts as Siemens. Per-slice and enhanced images need only public geometry, so any vendor is read;
 * the vendor decides private scaling (Philips) and slice counts (GE, Philips).
 */
export function vendorOf(manufacturer: string | undefined, hasSiemensCsa: boolean): Vendor {
  const upper = (manufacturer ?? '').toUpperCase();
  if (upper.includes('SIEMENS') || (upper === '' && hasSiemensCsa)) return 'Siemens';
  const known = VENDORS.find(([pattern]) => pattern.test(upper))?.[1];
  return known === 'GE' ? 'GE' : known === 'Philips' ? 'Philips' : 'other';
}

/**
 * A mosaic is a Siemens layout (geometry from the CSA header): a MOSAIC image from anyone else is refused
 * rather than read as one huge slice. The refusal names a known vendor, never the raw field (free text).
 */
export function requireSiemens(manufacturer: string | undefined, hasSiemensCsa: boolean): void {
  if (vendorOf(manufacturer, hasSiemensCsa) === 'Siemens') return;
  const upper = (manufacturer ?? '').toUpperCase();
  const known = VENDORS.find(([pattern]) => pattern.test(upper))?.[1];
  throw new BoldstreamError('DICOM_UNSUPPORTED_VENDOR', `${known ?? (upper === '' ? 'no Manufacturer (0008,0070)' : 'unrecognised manufacturer')}: MOSAIC is a Siemens layout`);
}
