/**
 * Siemens private attributes: where they are and what the reader takes from them.
 *
 * Private elements live in a block that a "private creator" element reserves: (gggg,00xx) = 'SIEMENS CSA
 * HEADER' makes (gggg,xx10) the CSA image header. Scanners almost always use block 0x10, but converters and
 * anonymisers may move blocks, so the creator is looked up rather than assumed.
 */
import { BoldstreamError } from '../../errors.js';
import { type CsaHeader, csaNumbers, parseCsa } from './csa.js';
import type { DicomHeader } from './header.js';
import { privateKey } from './private.js';

export function hasSiemensCsa(header: DicomHeader): boolean {
  return privateKey(header, 0x0029, 'SIEMENS CSA HEADER', 0x10) !== undefined;
}

/** The CSA image header, or undefined when the file has none (a malformed one throws DICOM_CSA_MALFORMED). */
export function readCsaImageHeader(header: DicomHeader): CsaHeader | undefined {
  const key = privateKey(header, 0x0029, 'SIEMENS CSA HEADER', 0x10);
  const bytes = key === undefined ? undefined : header.value(key);
  return bytes === undefined ? undefined : parseCsa(bytes);
}

/** NumberOfImagesInMosaic from (0019,xx0A) in the 'SIEMENS MR HEADER' block (binary US). */
export function privateMosaicCount(header: DicomHeader): number | undefined {
  const key = privateKey(header, 0x0019, 'SIEMENS MR HEADER', 0x0a);
  return key === undefined ? undefined : header.uint16(key);
}

/** NumberOfImagesInMosaic from the CSA image header, when present and a positive whole number. */
export function csaMosaicCount(csa: CsaHeader | undefined): number | undefined {
  if (!csa) return undefined;
  const v = csaNumbers(csa, 'NumberOfImagesInMosaic')[0];
  return v !== undefined && Number.isInteger(v) && v > 0 ? v : undefined;
}

/** The slice normal (LPS, unit length) the mosaic tiles are stacked along. */
export function csaSliceNormal(csa: CsaHeader | undefined): [number, number, number] | undefined {
  if (!csa) return undefined;
  const v = csaNumbers(csa, 'SliceNormalVector');
  if (v.length < 3) return undefined;
  const norm = Math.hypot(v[0]!, v[1]!, v[2]!);
  if (!(norm > 0.5 && norm < 1.5)) throw new BoldstreamError('DICOM_CSA_MALFORMED', `SliceNormalVector has length ${norm.toFixed(3)}, not 1`);
  return [v[0]! / norm, v[1]! / norm, v[2]! / norm];
}

/**
 * Slice acquisition times in seconds from the start of the volume, per stored slice (mosaic tile order,
 * which is the k order of the volume). CSA stores milliseconds with float noise (52.50000001); rounding to
 * the microsecond gives the values dcm2niix reports.
 */
export function csaSliceTiming(csa: CsaHeader | undefined, slices: number): number[] | undefined {
  if (!csa) return undefined;
  const ms = csaNumbers(csa, 'MosaicRefAcqTimes');
  if (ms.length < slices) return undefined;
  return ms.slice(0, slices).map((t) => Math.round(t * 1000) / 1e6);
}
