/**
 * Which slope and intercept apply to a frame (K16: applied per frame, never once per file).
 *
 * Enhanced MR: the frame's own Pixel Value Transformation, else the shared one, else the top-level rescale
 * tags. Classic images: their rescale tags; GE leaves them out (stored values are the values).
 * Philips also stores a private scale slope (2005,xx0E). dcm2niix's default ("precise", -p y) turns the
 * displayed value D = stored x RescaleSlope + RescaleIntercept into D / (RescaleSlope x scale slope), and
 * so does this reader, so that volumes equal the NIfTIs a site makes its masks and models from.
 */
import type { DicomHeader } from './header.js';
import { usableScaling, type Scaling } from './pixels.js';
import { philipsFrameItem, philipsScaleSlope } from './private.js';
import type { Vendor } from './syntax.js';
import { TAG } from './tags.js';

function rescaleOf(header: DicomHeader | undefined): { slope?: number; intercept?: number } | undefined {
  if (!header) return undefined;
  const slope = header.number(TAG.RescaleSlope);
  const intercept = header.number(TAG.RescaleIntercept);
  if (slope === undefined && intercept === undefined) return undefined;
  return { ...(slope !== undefined ? { slope } : {}), ...(intercept !== undefined ? { intercept } : {}) };
}

/** `frame` and `shared` are the frame's and the shared functional group items (enhanced files only). */
export function frameScaling(vendor: Vendor, top: DicomHeader, frame?: DicomHeader, shared?: DicomHeader): Scaling {
  const transform = (group: DicomHeader | undefined) => rescaleOf(group?.items(TAG.PixelValueTransformationSequence)[0]);
  const chosen = transform(frame) ?? transform(shared) ?? rescaleOf(top) ?? {};
  const display = usableScaling(chosen.slope, chosen.intercept);
  if (vendor !== 'Philips') return display;
  const frameItem = frame ? philipsFrameItem(frame) : undefined;
  const scaleSlope = (frameItem ? philipsScaleSlope(frameItem) : undefined) ?? philipsScaleSlope(top);
  if (scaleSlope === undefined) return display;
  const divisor = display.slope * scaleSlope;
  return { slope: display.slope / divisor, intercept: display.intercept / divisor };
}
