/**
 * DICOM reader: one file in, one float32 volume out, or a BoldstreamError with a catalogue code.
 *
 *   bytes ─ parseDataset ─ gates ─ pixelFormat ─ CSA ─ slice count ─ layout ─ affine ─ pixels ─ identity
 *           (complete?)   (syntax, SOP class, Siemens, mosaic)         (K05/K09)       (K06)  (K16/K17)  (K12)
 *
 * Today: classic MR Image Storage from Siemens in mosaic form, uncompressed. Enhanced MR, other vendors
 * and per-slice series are refused with their own codes rather than read wrongly.
 * Nothing that identifies a person leaves this module (privacy.ts); the summary flags such fields only.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { BoldstreamError, catalogue, type Warning, warning } from '../../errors.js';
import type { Volume } from '../../volume.js';
import { parseDataset } from './dataset.js';
import { mosaicAffine } from './geometry.js';
import type { DicomHeader } from './header.js';
import { acquisitionTime, readIdentity } from './identity.js';
import { checkAcquisitionMatrix, mosaicLayout, resolveSliceCount, unpackMosaic } from './mosaic.js';
import { decodePixels, pixelFormat } from './pixels.js';
import { csaMosaicCount, csaSliceNormal, csaSliceTiming, hasSiemensCsa, privateMosaicCount, readCsaImageHeader } from './siemens.js';
import { type DicomSummary, summarise } from './summary.js';
import { requireSiemens } from './syntax.js';
import { TAG } from './tags.js';

export { isProbablyDicom } from './dataset.js';
export { IDENTIFYING_TAGS, REDACTED, type IdentifyingTag } from './privacy.js';
export type { DicomSummary } from './summary.js';

export interface DicomVolume {
  readonly volume: Omit<Volume, 'receivedAt'>;
  readonly seriesNumber: number | null;
  /** Identity of the series (hash of SeriesInstanceUID and SeriesNumber); a restarted run has another. */
  readonly seriesKey: string;
  readonly instanceNumber: number | null;
  readonly acquisitionNumber: number | null;
  /** ImageType (0008,0008) values, e.g. ORIGINAL PRIMARY M ND MOSAIC; tells the scanner's MoCo series apart. */
  readonly imageType: readonly string[];
  readonly summary: DicomSummary;
}

/** The largest acquired matrix size in (0018,1310), the cross-check for the tile size. */
function acquiredMatrix(header: DicomHeader): number | undefined {
  const values = header.uint16s(TAG.AcquisitionMatrix).filter((v) => v > 0);
  return values.length > 0 ? Math.max(...values) : undefined;
}

function repetitionTime(header: DicomHeader, warnings: Warning[]): number | null {
  const ms = header.number(TAG.RepetitionTime);
  if (ms !== undefined && ms > 0) return ms / 1000;
  warnings.push(warning('HEADER_TR_MISSING', 'RepetitionTime (0018,0080) is missing or 0'));
  return null;
}

function sliceSpacing(header: DicomHeader): number {
  // dcm2niix's rule: the centre-to-centre spacing when given, else the thickness (gapless slices).
  const between = header.number(TAG.SpacingBetweenSlices);
  if (between !== undefined && between > 0) return between;
  const thickness = header.number(TAG.SliceThickness);
  if (thickness !== undefined && thickness > 0) return thickness;
  throw new BoldstreamError('DICOM_MISSING_GEOMETRY', 'neither SpacingBetweenSlices (0018,0088) nor SliceThickness (0018,0050) is positive');
}

function readMosaic(bytes: Uint8Array): DicomVolume {
  const header = parseDataset(bytes);
  requireSiemens(header.text(TAG.Manufacturer), hasSiemensCsa(header));
  const imageType = header.texts(TAG.ImageType);
  if (!imageType.some((v) => v.toUpperCase() === 'MOSAIC')) throw new BoldstreamError('DICOM_NOT_MOSAIC', 'ImageType (0008,0008) has no MOSAIC');
  const format = pixelFormat(header);
  const csa = readCsaImageHeader(header);
  const warnings: Warning[] = [];

  const acquired = acquiredMatrix(header);
  const counts = { csa: csaMosaicCount(csa), privateTag: privateMosaicCount(header) };
  const layout = mosaicLayout(resolveSliceCount(counts, format.rows, format.columns, acquired, warnings), format.rows, format.columns);
  checkAcquisitionMatrix(layout, acquired, warnings);

  const sliceNormal = csaSliceNormal(csa);
  if (!sliceNormal) throw new BoldstreamError('DICOM_MISSING_GEOMETRY', 'no CSA SliceNormalVector: the order of the mosaic tiles in space is unknown');
  const plane = {
    orientation: header.numbers(TAG.ImageOrientationPatient),
    position: header.numbers(TAG.ImagePositionPatient),
    pixelSpacing: header.numbers(TAG.PixelSpacing),
    sliceSpacing: sliceSpacing(header),
    sliceNormal,
  };
  const { affine, voxelSize } = mosaicAffine(plane, layout);
  const data = unpackMosaic(decodePixels(header, format), layout);
  const ids = readIdentity(header);
  const sliceTiming = csaSliceTiming(csa, layout.slices);

  const volume: Omit<Volume, 'receivedAt'> = {
    identity: ids.identity,
    grid: { dims: [layout.tileColumns, layout.tileRows, layout.slices], voxelSize, affine },
    data,
    acquisitionTime: acquisitionTime(header),
    repetitionTime: repetitionTime(header, warnings),
    ...(sliceTiming ? { sliceTiming } : {}),
    warnings,
  };
  return {
    volume,
    seriesNumber: ids.seriesNumber,
    seriesKey: ids.seriesKey,
    instanceNumber: ids.instanceNumber,
    acquisitionNumber: ids.acquisitionNumber,
    imageType,
    summary: summarise(header, layout, affine, voxelSize),
  };
}

/** Adds the file name to an error's message; anything that is not a BoldstreamError is a damaged input. */
function inFile(thrown: unknown, source: string | undefined): BoldstreamError {
  const name = source === undefined ? undefined : path.basename(source);
  if (thrown instanceof BoldstreamError) {
    if (name === undefined) return thrown;
    const summary = catalogue[thrown.code].summary;
    const detail = thrown.message.startsWith(`${summary}: `) ? thrown.message.slice(summary.length + 2) : '';
    return new BoldstreamError(thrown.code, detail ? `${name}: ${detail}` : name);
  }
  const kind = thrown instanceof Error ? thrown.name : typeof thrown;
  return new BoldstreamError('DICOM_MALFORMED', `${name ? `${name}: ` : ''}reading failed unexpectedly (${kind})`, { cause: thrown });
}

/** Reads one DICOM file's bytes into a volume; throws BoldstreamError (DICOM_* codes) and nothing else. */
export function readDicom(bytes: Uint8Array, source?: string): DicomVolume {
  try {
    return readMosaic(bytes);
  } catch (thrown) {
    throw inFile(thrown, source);
  }
}

export async function readDicomFile(file: string): Promise<DicomVolume> {
  let buffer: Buffer;
  try {
    buffer = await readFile(file);
  } catch (thrown) {
    const code = (thrown as NodeJS.ErrnoException).code;
    if (code === 'EISDIR') throw new BoldstreamError('DICOM_NOT_DICOM', `${path.basename(file)} is a folder`);
    throw new BoldstreamError('INPUT_NOT_FOUND', `${path.basename(file)} (${code ?? 'unreadable'})`);
  }
  return readDicom(new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.length), file);
}
