/**
 * A classic image that is one slice of a per-slice series (GE, Philips, Siemens without mosaic): read
 * completely here, placed in its run by src/ingest/sources/slice-assembly.ts.
 *
 * Which TR a slice belongs to, from the header (invariant 2), in this order:
 * 1. TemporalPositionIdentifier (0020,0100), which GE multiphase fMRI and Philips write;
 * 2. Siemens: AcquisitionNumber (0020,0012), one per volume (InstanceNumber runs across the series);
 * 3. InstanceNumber numbered across the series, divided by a slice count the header states (GE
 *    (0021,104F), Philips (2001,1018), ImagesInAcquisition);
 * otherwise the slice cannot be placed and is DICOM_MALFORMED.
 */
import { BoldstreamError, type Warning } from '../../errors.js';
import type { DicomHeader } from './header.js';
import { acquisitionTime, readIdentity } from './identity.js';
import { decodeFrame, pixelFormat } from './pixels.js';
import { statedSliceCounts } from './private.js';
import { type DerivedKind, derivedKind } from './rule.js';
import { frameScaling } from './scaling.js';
import type { PlacedImage } from './stack.js';
import type { PixelCodec, Vendor } from './syntax.js';
import { TAG } from './tags.js';

export interface DicomSlice {
  readonly image: PlacedImage;
  readonly seriesKey: string;
  readonly seriesNumber: number | null;
  /** 0-based TR of the run this slice belongs to. */
  readonly temporalIndex: number;
  /** EchoNumbers / EchoTime as the header gives them (the assembler ranks echo times without numbers). */
  readonly echoNumber: number | null;
  readonly echoTimeMs: number | null;
  readonly derived: DerivedKind;
  readonly imageType: readonly string[];
  /** Hash of SOPInstanceUID: the same file twice is one slice (K12). */
  readonly instance: string;
  readonly instanceNumber: number | null;
  readonly statedSliceCounts: readonly { readonly source: string; readonly count: number }[];
  readonly repetitionTime: number | null;
  readonly vendor: Vendor;
  readonly warnings: readonly Warning[];
}

function temporalIndex(header: DicomHeader, vendor: Vendor, instanceNumber: number | null, stated: readonly { count: number }[]): number {
  const tpi = header.integer(TAG.TemporalPositionIdentifier);
  if (tpi !== undefined && tpi >= 1) return tpi - 1;
  const acquisition = header.integer(TAG.AcquisitionNumber);
  if (vendor === 'Siemens' && acquisition !== undefined && acquisition >= 1) return acquisition - 1;
  const perVolume = stated[0]?.count;
  if (instanceNumber !== null && instanceNumber >= 1 && perVolume !== undefined) return Math.floor((instanceNumber - 1) / perVolume);
  throw new BoldstreamError('DICOM_MALFORMED', 'a single slice without TemporalPositionIdentifier (0020,0100), a Siemens AcquisitionNumber, or a stated slice count for its InstanceNumber: its TR is unknown');
}

export function readClassicSlice(header: DicomHeader, codec: PixelCodec | null, vendor: Vendor): DicomSlice {
  const format = pixelFormat(header);
  const ids = readIdentity(header, { slice: true });
  const stated = statedSliceCounts(header);
  const imageType = header.texts(TAG.ImageType);
  const data = decodeFrame(header, format, 0, codec, frameScaling(vendor, header));
  const image: PlacedImage = {
    orientation: header.numbers(TAG.ImageOrientationPatient),
    position: header.numbers(TAG.ImagePositionPatient),
    pixelSpacing: header.numbers(TAG.PixelSpacing),
    sliceThickness: header.number(TAG.SliceThickness) ?? null,
    rows: format.rows,
    columns: format.columns,
    data,
    acquisitionTime: acquisitionTime(header),
  };
  if (image.orientation.length < 6 || image.position.length < 3 || image.pixelSpacing.length < 2) {
    throw new BoldstreamError('DICOM_MISSING_GEOMETRY', 'a slice needs ImagePositionPatient, ImageOrientationPatient and PixelSpacing');
  }
  const tr = header.number(TAG.RepetitionTime);
  return {
    image,
    seriesKey: ids.seriesKey,
    seriesNumber: ids.seriesNumber,
    temporalIndex: temporalIndex(header, vendor, ids.instanceNumber, stated),
    echoNumber: header.integer(TAG.EchoNumbers) ?? null,
    echoTimeMs: header.number(TAG.EchoTime) ?? null,
    derived: derivedKind(imageType),
    imageType,
    instance: ids.identity.instance ?? `${ids.seriesKey}:${ids.instanceNumber ?? 'x'}`,
    instanceNumber: ids.instanceNumber,
    statedSliceCounts: stated,
    repetitionTime: tr !== undefined && tr > 0 ? tr / 1000 : null,
    vendor,
    warnings: [],
  };
}

