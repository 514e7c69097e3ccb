/**
 * One file of a watched folder → what it is: a volume, not yet a volume, a broken image, or not an image.
 *
 * The format is decided by content, never by the name (exporters use .dcm, .IMA, no extension, and
 * .nii.gz files that are not compressed). What each answer means to the watcher:
 * - `volume`: a DICOM that parsed completely; identity and order from its header (invariant 2).
 * - `unindexed`: a complete single-volume NIfTI. NIfTI has no field for "which volume of the run"
 *   (descrip and aux_file are free text that no scanner or converter fills in a standard way), so the
 *   watcher numbers these in order of arrival and says so once (VOLUME_ORDER_BY_ARRIVAL); `instance`
 *   hashes the content so that a copy of the same file keeps its number (K12).
 * - `incomplete`: still being written (K01/K02): retry; `header` tells the TR when the header is there.
 * - `invalid`: an image of a kind that should be readable but is not (malformed, unsupported).
 * - `not-image`: a report, a text file, a localiser, a whole 4D run: ignored with one notice (K04).
 * Messages name files by base name only: full paths and header fields may name the person.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { BoldstreamError, type ErrorCode, asBoldstreamError } from '../../errors.js';
import type { Volume, VoxelGrid } from '../../volume.js';
import { DEFAULT_SERIES_RULE, type DicomSlice, readDicomImage, refusedByRule } from '../dicom/index.js';
import { identity4 } from '../../geometry/mat4.js';
import { readNifti, readNiftiHeader } from '../nifti/index.js';
import { type HeaderIdentity, dicomHeaderIdentity } from './watch-header.js';

export type FileReading =
  | {
      readonly kind: 'volume';
      readonly volume: Volume;
      readonly seriesNumber: number | null;
      /**
       * One slice of a per-slice series (GE, Philips, Siemens without mosaic): `volume` is then only a
       * stand-in that names its series and TR for the series filter; watch-batch.ts assembles the slices.
       */
      readonly slice?: DicomSlice;
      /** An enhanced file holding several volumes: the ones after `volume`, and the TRs it could not make. */
      readonly more?: readonly Volume[];
      readonly problems?: readonly { readonly tr: number; readonly error: BoldstreamError }[];
    }
  | { readonly kind: 'unindexed'; readonly volume: Omit<Volume, 'identity'>; readonly series: string; readonly instance: string }
  | { readonly kind: 'incomplete'; readonly error: BoldstreamError; readonly header: HeaderIdentity | null }
  | { readonly kind: 'invalid'; readonly error: BoldstreamError; readonly header: HeaderIdentity | null }
  | { readonly kind: 'not-image'; readonly reason: string };

/** Codes that mean "the bytes stop early": a file still being written gives exactly these. */
const INCOMPLETE: ReadonlySet<ErrorCode> = new Set(['DICOM_TRUNCATED', 'NIFTI_TRUNCATED', 'NIFTI_GZIP_CORRUPT']);
/** Codes that mean "this is something other than a volume of a mosaic fMRI run" (K04). */
const NOT_IMAGE: ReadonlySet<ErrorCode> = new Set(['DICOM_NOT_DICOM', 'NIFTI_NOT_NIFTI', 'DICOM_UNSUPPORTED_SOP_CLASS', 'DICOM_NO_PIXEL_DATA', 'DICOM_NOT_MOSAIC']);
/** Fewer bytes than a DICOM preamble and marker: the start of a file cannot tell its format yet. */
const DICOM_PREFIX = 132;

function looksLikeNifti(bytes: Uint8Array): boolean {
  if (bytes.length >= 3 && bytes[0] === 0x1f && bytes[1] === 0x8b && bytes[2] === 0x08) return true; // gzip
  if (bytes.length < 4) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, 4);
  return [348, 540].some((size) => view.getInt32(0, true) === size || view.getInt32(0, false) === size);
}

/** A short start without a NUL byte is text (a note, a log); DICOM preambles and NIfTI headers hold NULs. */
function isShortText(bytes: Uint8Array): boolean {
  return bytes.length < DICOM_PREFIX && !bytes.includes(0);
}

function hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 16);
}

/** Volumes on one voxel grid form one series; a NIfTI of another grid (a mask, another run) is another. */
function gridKey(grid: VoxelGrid): string {
  const round = (v: number) => Math.round(v * 1e4) / 1e4;
  return `nifti:${hex(JSON.stringify([grid.dims, grid.voxelSize.map(round), Array.from(grid.affine, round)]))}`;
}

function failed(thrown: unknown, fallback: ErrorCode, header: () => HeaderIdentity | null): FileReading {
  const error = asBoldstreamError(thrown, fallback);
  if (INCOMPLETE.has(error.code)) return { kind: 'incomplete', error, header: header() };
  if (NOT_IMAGE.has(error.code)) return { kind: 'not-image', reason: error.message };
  return { kind: 'invalid', error, header: header() };
}

function readNiftiVolume(name: string, bytes: Uint8Array, clock: () => number): FileReading {
  let image;
  try {
    // The header first: a whole 4D run dropped into the folder is refused without inflating all of it.
    const frames = readNiftiHeader(bytes, name).frames;
    if (frames !== 1) return { kind: 'not-image', reason: `${name}: a 4D NIfTI of ${frames} volumes is a whole run; replay it instead` };
    image = readNifti(bytes, name);
  } catch (thrown) {
    return failed(thrown, 'NIFTI_BAD_HEADER', () => null);
  }
  const volume: Omit<Volume, 'identity'> = {
    grid: image.grid,
    data: image.data,
    // A lone NIfTI carries no scanner time; the run clock then counts index × TR (K26).
    acquisitionTime: null,
    receivedAt: clock(),
    repetitionTime: image.repetitionTime,
    warnings: image.warnings,
  };
  return { kind: 'unindexed', volume, series: gridKey(image.grid), instance: hex(bytes) };
}

/** What stands for a slice until its volume is assembled: its series, TR and pixels; never emitted. */
function sliceStandIn(slice: DicomSlice, receivedAt: number): Volume {
  const { image } = slice;
  return {
    identity: { series: slice.seriesKey, index: slice.temporalIndex, instance: slice.instance },
    grid: { dims: [image.columns, image.rows, 1], voxelSize: [image.pixelSpacing[1] ?? 1, image.pixelSpacing[0] ?? 1, 1], affine: identity4() },
    data: image.data,
    acquisitionTime: image.acquisitionTime,
    receivedAt,
    repetitionTime: slice.repetitionTime,
    warnings: slice.warnings,
  };
}

function readDicomVolume(name: string, bytes: Uint8Array, clock: () => number): FileReading {
  try {
    // Mosaic, enhanced (one or more volumes) or one slice; the default series rule leaves the scanner's
    // MoCo and other derived series out (K11) and keeps the first echo (K10).
    const image = readDicomImage(bytes, name, DEFAULT_SERIES_RULE);
    if (image.kind === 'slice') {
      const why = refusedByRule(image.slice.derived, DEFAULT_SERIES_RULE);
      if (why !== null) return { kind: 'not-image', reason: `${name}: ${why}` };
      return { kind: 'volume', volume: sliceStandIn(image.slice, clock()), seriesNumber: image.slice.seriesNumber, slice: image.slice };
    }
    const [first, ...rest] = image.volumes;
    if (!first) return { kind: 'invalid', error: image.problems[0]!.error, header: null };
    const why = refusedByRule(first.derived, DEFAULT_SERIES_RULE);
    if (why !== null) return { kind: 'not-image', reason: `${name}: ${why}` };
    const receivedAt = clock();
    return {
      kind: 'volume',
      volume: { ...first.volume, receivedAt },
      seriesNumber: first.seriesNumber,
      ...(rest.length > 0 ? { more: rest.map((d) => ({ ...d.volume, receivedAt })) } : {}),
      ...(image.problems.length > 0 ? { problems: image.problems } : {}),
    };
  } catch (thrown) {
    const reading = failed(thrown, 'DICOM_MALFORMED', () => dicomHeaderIdentity(bytes));
    // Too short to hold a DICOM preamble and without NUL bytes: a small text file, not a DICOM in the making.
    if (reading.kind === 'incomplete' && isShortText(bytes)) return { kind: 'not-image', reason: `${name}: not DICOM or NIfTI (short text)` };
    return reading;
  }
}

/**
 * Reads one file's bytes. `clock` is called once the file has parsed completely: that moment is the
 * volume's `receivedAt` (invariant 7).
 */
export function readVolumeFile(file: string, bytes: Uint8Array, clock: () => number = Date.now): FileReading {
  const name = path.basename(file);
  // Never final (K02): an empty file is a file whose writer has not written yet.
  if (bytes.length === 0) return { kind: 'incomplete', error: new BoldstreamError('VOLUME_INCOMPLETE', `${name}: empty file`), header: null };
  return looksLikeNifti(bytes) ? readNiftiVolume(name, bytes, clock) : readDicomVolume(name, bytes, clock);
}
