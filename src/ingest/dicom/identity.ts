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

/**
 * `slice`: the caller knows the image is one slice of a per-slice series and wants only its series and
 * instance (slice.ts places it in the run). Otherwise a classic image whose ImageType lacks MOSAIC is
 * refused here, because its InstanceNumber counts slices, not TRs: a half-written slice must not be
 * taken for the TR of that number (watch-header.ts relies on this).
 */
export function readIdentity(header: DicomHeader, options: { readonly slice?: boolean } = {}): DicomIdentity {
  const imageType = header.texts(TAG.ImageType).map((v) => v.toUpperCase());
  const classic = (header.text(TAG.SOPClassUID) ?? header.text(TAG.MediaStorageSOPClassUID)) === '1.2.840.10008.5.1.4.1.1.4';
  if (!options.slice && classic && imageType.length > 0 && !imageType.includes('MOSAIC')) {
    throw new BoldstreamError('DICOM_MALFORMED', 'a single slice: its InstanceNumber does not name a TR');
  }
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

/**
 * DICOM DT "YYYYMMDDHHMMSS.FFFFFF" (FrameAcquisitionDateTime) to seconds since midnight; the date part is
 * dropped here (it is identifying, privacy.ts) and never leaves the reader.
 */
export function parseDateTimeOfDay(dt: string | undefined): number | null {
  if (dt === undefined) return null;
  const m = /^\d{8}(\d{2}(?:\d{2}(?:\d{2}(?:\.\d{1,6})?)?)?)(?:[+-]\d{4})?$/.exec(dt.trim());
  return m ? parseTime(m[1]) : null;
}
