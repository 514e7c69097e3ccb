/**
 * Header timing and spacing shared by the readers: TR (s) and the slice spacing rule.
 */
import { BoldstreamError, type Warning, warning } from '../../errors.js';
import type { DicomHeader } from './header.js';
import { TAG } from './tags.js';

/**
 * RepetitionTime (0018,0080) in seconds. Enhanced files keep it in the shared MR Timing and Related
 * Parameters macro; classic files at the top level.
 */
export function repetitionTime(header: DicomHeader, warnings: Warning[]): number | null {
  const shared = header.items(TAG.SharedFunctionalGroups)[0]?.items(TAG.MRTimingAndRelatedParametersSequence)[0];
  const ms = shared?.number(TAG.RepetitionTime) ?? header.number(TAG.RepetitionTime);
  if (ms !== undefined && ms > 0) return ms / 1000;
  warnings.push(warning('HEADER_TR_MISSING', 'RepetitionTime (0018,0080) is missing or 0'));
  return null;
}

/** dcm2niix's rule for a mosaic: the centre-to-centre spacing when given, else the thickness (gapless slices). */
export function sliceSpacing(header: DicomHeader): number {
  const between = header.number(TAG.SpacingBetweenSlices);
  if (between !== undefined && between > 0) return between;
  const thickness = header.number(TAG.SliceThickness);
  if (thickness !== undefined && thickness > 0) return thickness;
  throw new BoldstreamError('DICOM_MISSING_GEOMETRY', 'neither SpacingBetweenSlices (0018,0088) nor SliceThickness (0018,0050) is positive');
}
