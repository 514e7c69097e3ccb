/**
 * DICOM reader: one file in; volumes, or one slice of a per-slice series, or a BoldstreamError with a
 * catalogue code.
 *
 *   bytes ─ parseDataset ─┬─ enhanced MR ──── frames ─ group by TR and echo ─ stack ─ echo rule ─▶ volumes (K07/K09/K10/K16)
 *   (complete? syntax,    ├─ classic MOSAIC ─ CSA ─ slice count ─ layout ─ affine ─ pixels ──▶ one volume (K05/K06/K16/K17)
 *    SOP class)           └─ classic slice ── geometry, TR, echo, scaling ─────────────────▶ a slice (assembled by
 *                                                                                            sources/slice-assembly.ts)
 * Compressed pixel data is decoded where a decoder exists (codecs.ts). Nothing that identifies a person
 * leaves this module (privacy.ts); summaries flag such fields only.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { BoldstreamError, catalogue, type Warning } from '../../errors.js';
import type { Volume } from '../../volume.js';
import { type ParsedDataset, parseDataset } from './dataset.js';
import { readEnhanced } from './enhanced.js';
import { acquisitionTime, readIdentity } from './identity.js';
import { readMosaic } from './mosaic-volume.js';
import { pixelFormat } from './pixels.js';
import { type DerivedKind, type DicomSeriesRule, DEFAULT_SERIES_RULE, derivedKind, ruledSeriesKey } from './rule.js';
import { csaMosaicCount, hasSiemensCsa, readCsaImageHeader } from './siemens.js';
import { type DicomSlice, readClassicSlice } from './slice.js';
import { type DicomSummary, summarise } from './summary.js';
import { repetitionTime } from './timing.js';
import { vendorOf } from './syntax.js';
import { TAG } from './tags.js';

export { isProbablyDicom } from './dataset.js';
export { IDENTIFYING_TAGS, REDACTED, type IdentifyingTag } from './privacy.js';
export { DEFAULT_SERIES_RULE, refusedByRule, type DerivedKind, type DicomSeriesRule } from './rule.js';
export type { DicomSlice } from './slice.js';
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
  /** MOCO / DERIVED series (K11), for the series rule. */
  readonly derived: DerivedKind;
  readonly summary: DicomSummary;
}

export type DicomImage =
  /** Whole volumes: a mosaic (one), an enhanced file (one per TR it holds); TRs it cannot make are problems. */
  | { readonly kind: 'volumes'; readonly volumes: readonly DicomVolume[]; readonly problems: readonly { readonly tr: number; readonly error: BoldstreamError }[] }
  /** One slice of a per-slice series. */
  | { readonly kind: 'slice'; readonly slice: DicomSlice };

function enhancedVolumes({ header, syntax }: ParsedDataset, rule: DicomSeriesRule): DicomImage {
  const vendor = vendorOf(header.text(TAG.Manufacturer), hasSiemensCsa(header));
  const warnings: Warning[] = [];
  const run = readEnhanced(header, syntax.codec, vendor, rule, warnings);
  const ids = readIdentity(header);
  const imageType = header.texts(TAG.ImageType);
  const format = pixelFormat(header, true);
  const tr = repetitionTime(header, warnings);
  const volumes = run.volumes.map((v, i): DicomVolume => {
    const { grid } = v.stacked;
    return {
      volume: {
        identity: { series: ruledSeriesKey(ids.seriesKey, run.multiEcho, rule), index: v.index, instance: v.instance },
        grid,
        data: v.stacked.data,
        acquisitionTime: v.stacked.acquisitionTime ?? acquisitionTime(header),
        repetitionTime: tr,
        ...(v.stacked.sliceTiming ? { sliceTiming: v.stacked.sliceTiming } : {}),
        warnings: i === 0 ? warnings : [],
      },
      seriesNumber: ids.seriesNumber,
      seriesKey: ids.seriesKey,
      instanceNumber: ids.instanceNumber,
      acquisitionNumber: ids.acquisitionNumber,
      imageType,
      derived: derivedKind(imageType),
      summary: summarise(header, { tileColumns: format.columns, tileRows: format.rows, columns: format.columns, rows: format.rows, slices: grid.dims[2] }, grid.affine, grid.voxelSize),
    };
  });
  return { kind: 'volumes', volumes, problems: run.problems };
}

function classicImage({ header, syntax }: ParsedDataset): DicomImage {
  const imageType = header.texts(TAG.ImageType);
  if (imageType.some((v) => v.toUpperCase() === 'MOSAIC')) return { kind: 'volumes', volumes: [readMosaic(header, syntax.codec)], problems: [] };
  const vendor = vendorOf(header.text(TAG.Manufacturer), hasSiemensCsa(header));
  // A Siemens image whose CSA header says it tiles several slices but that is not flagged MOSAIC is
  // neither a mosaic nor a slice that can be placed: refused rather than guessed (K05).
  const tiles = vendor === 'Siemens' ? csaMosaicCount(readCsaImageHeader(header)) : undefined;
  if (tiles !== undefined && tiles > 1) throw new BoldstreamError('DICOM_NOT_MOSAIC', `ImageType (0008,0008) has no MOSAIC, yet the CSA header says the image tiles ${tiles} slices`);
  return { kind: 'slice', slice: readClassicSlice(header, syntax.codec, vendor) };
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

/** Reads one DICOM file: volumes or a slice; throws BoldstreamError (DICOM_* codes) and nothing else. */
export function readDicomImage(bytes: Uint8Array, source?: string, rule: DicomSeriesRule = DEFAULT_SERIES_RULE): DicomImage {
  try {
    const parsed = parseDataset(bytes);
    return parsed.kind === 'enhanced' ? enhancedVolumes(parsed, rule) : classicImage(parsed);
  } catch (thrown) {
    throw inFile(thrown, source);
  }
}

/**
 * One file as one volume (a mosaic, or the first volume of an enhanced file), for `inspect` and callers
 * that take a file at a time. A single slice is DICOM_NOT_MOSAIC here: it is a volume only together with
 * the other slices of its TR (replay or watch its folder).
 */
export function readDicom(bytes: Uint8Array, source?: string, rule: DicomSeriesRule = DEFAULT_SERIES_RULE): DicomVolume {
  const image = readDicomImage(bytes, source, rule);
  if (image.kind === 'slice') throw inFile(new BoldstreamError('DICOM_NOT_MOSAIC', 'one slice of a per-slice series; its volume is assembled from the folder'), source);
  const first = image.volumes[0];
  if (!first) throw inFile(image.problems[0]?.error ?? new BoldstreamError('DICOM_NO_PIXEL_DATA', 'no volume'), source);
  return first;
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
