/**
 * Vendor private attributes: where they are and what the readers take from them.
 *
 * Private elements live in a block that a "private creator" element reserves: (gggg,00xx) = 'SIEMENS CSA
 * HEADER' makes (gggg,xx10) the CSA image header. Scanners almost always use block 0x10, but converters and
 * anonymisers move blocks, so the creator is looked up rather than assumed.
 *
 * Taken from private tags (names as the vendors' conformance statements and dcm2niix's notes give them):
 * - Philips (2005,xx0E) scale slope, "Philips Imaging DD 001", FL: the "precise" value is
 *   stored x RescaleSlope + RescaleIntercept, divided by RescaleSlope x scale slope (scaling.ts).
 * - Philips (2001,xx18) number of slices, "Philips Imaging DD 001", SL.
 * - GE (0021,xx4F) locations in acquisition, "GEMS_RELA_01", SS.
 */
import type { DicomHeader } from './header.js';
import { tagKey } from './tags.js';

export function privateKey(header: DicomHeader, group: number, creator: string, elementLow: number): string | undefined {
  for (let block = 0x10; block <= 0xff; block++) {
    const key = tagKey(group, block);
    if (!header.has(key)) continue;
    if (header.text(key)?.toUpperCase() === creator) return tagKey(group, (block << 8) | elementLow);
  }
  return undefined;
}

const PHILIPS = 'PHILIPS IMAGING DD 001';

/** Philips private scale slope, when present, finite and not 0. */
export function philipsScaleSlope(header: DicomHeader): number | undefined {
  const key = privateKey(header, 0x2005, PHILIPS, 0x0e);
  const v = key === undefined ? undefined : header.binary(key, 'FL');
  return v !== undefined && Number.isFinite(v) && v !== 0 ? v : undefined;
}

/** Philips per-frame private sequence (2005,140F): one item that may hold that frame's scale slope. */
export function philipsFrameItem(frame: DicomHeader): DicomHeader | undefined {
  return frame.items('x2005140f')[0];
}

/** Slice counts the header states, by source, for the K09 cross-check against the geometry. */
export function statedSliceCounts(header: DicomHeader): { readonly source: string; readonly count: number }[] {
  const out: { source: string; count: number }[] = [];
  const add = (source: string, count: number | undefined) => {
    if (count !== undefined && Number.isInteger(count) && count > 0) out.push({ source, count });
  };
  const philips = privateKey(header, 0x2001, PHILIPS, 0x18);
  add('Philips (2001,1018)', philips === undefined ? undefined : header.binary(philips, 'SL'));
  const ge = privateKey(header, 0x0021, 'GEMS_RELA_01', 0x4f);
  add('GE (0021,104F)', ge === undefined ? undefined : header.binary(ge, 'SS'));
  add('ImagesInAcquisition (0020,1002)', header.integer('x00201002'));
  return out;
}
