/**
 * Where a volume belongs (invariant 2: identity and order from the header, never from file names).
 *
 * - series: a hash of SeriesInstanceUID and SeriesNumber. A restarted run gets a new UID (and usually a new
 *   number) from the scanner, so it gets another key (K04).
 * - instance: a hash of SOPInstanceUID; a file copied twice (K12) has the same one, so it is dropped.
 * - index: the 0-based position in the run, InstanceNumber - 1. In a Siemens mosaic series every image
 *   is one whole volume and the scanner numbers images 1, 2, 3... in acquisition order; its real-time
 *   export names files after this number. AcquisitionNumber equals it for plain fMRI (as in the rt-cloud
 *   files) but stays 1 for every volume of a diffusion series, so it is only the fallback when
 *   InstanceNumber is missing.
 * UIDs are hashed because scanners build them from serial numbers and timestamps (see privacy.ts).
 */
import { createHash } from 'node:crypto';
import { BoldstreamError } from '../../errors.js';
import type { VolumeIdentity } from '../../volume.js';
import type { DicomHeader } from './header.js';
import { TAG } from './tags.js';

export function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

export interface DicomIdentity {
  readonly identity: VolumeIdentity;
  readonly seriesNumber: number | null;
  readonly seriesKey: string;
  readonly instanceNumber: number | null;
  readonly acquisitionNumber: number | null;
}

export function readIdentity(header: DicomHeader): DicomIdentity {
  const seriesUid = header.text(TAG.SeriesInstanceUID);
  if (seriesUid === undefined) throw new BoldstreamError('DICOM_MALFORMED', 'no SeriesInstanceUID (0020,000E) to tell its series apart');
  const seriesNumber = header.integer(TAG.SeriesNumber) ?? null;
  const instanceNumber = header.integer(TAG.InstanceNumber) ?? null;
  const acquisitionNumber = header.integer(TAG.AcquisitionNumber) ?? null;
  const position = instanceNumber !== null && instanceNumber >= 1 ? instanceNumber : acquisitionNumber !== null && acquisitionNumber >= 1 ? acquisitionNumber : null;
  if (position === null) throw new BoldstreamError('DICOM_MALFORMED', 'neither InstanceNumber (0020,0013) nor AcquisitionNumber (0020,0012) places the volume in its run');

  const seriesKey = shortHash(`${seriesUid}|${seriesNumber ?? ''}`);
  const sopUid = header.text(TAG.SOPInstanceUID);
  const identity: VolumeIdentity = sopUid === undefined ? { series: seriesKey, index: position - 1 } : { series: seriesKey, index: position - 1, instance: shortHash(sopUid) };
  return { identity, seriesNumber, seriesKey, instanceNumber, acquisitionNumber };
}

/**
 * DICOM TM "HHMMSS.FFFFFF" (or the old "HH:MM:SS.frac") to seconds since midnight; null when absent or
 * not a time. Fields may be cut short ("HHMM").
 */
export function parseTime(tm: string | undefined): number | null {
  if (tm === undefined) return null;
  const m = /^(\d{2}):?(\d{2})?:?(\d{2})?(\.\d{1,6})?$/.exec(tm.trim());
  if (!m) return null;
  const [h, min, s] = [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)];
  if (h > 23 || min > 59 || s > 60) return null;
  return h * 3600 + min * 60 + s + (m[4] ? Number(m[4]) : 0);
}

/** AcquisitionTime (0008,0032), the start of the volume's acquisition; ContentTime when it is missing. */
export function acquisitionTime(header: DicomHeader): number | null {
  return parseTime(header.text(TAG.AcquisitionTime)) ?? parseTime(header.text(TAG.ContentTime));
}
