/**
 * `boldstream inspect <file|folder>`: what the readers make of a file, as JSON. Identifying DICOM
 * fields are shown only as "[redacted]" (the DICOM reader never returns their values).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { CommandContext } from '../cli.js';
import { asBoldstreamError, BoldstreamError } from '../errors.js';
import { toRows } from '../geometry/mat4.js';
import { isProbablyDicom, readDicom } from '../ingest/dicom/index.js';
import { readNiftiHeader } from '../ingest/nifti/index.js';

export const inspectCommand = {
  summary: 'Summarise the header of a NIfTI or DICOM file, or of every file in a folder (no identifying fields).',
  usage: 'boldstream inspect <file|folder>',
  options: {},
  run: inspect,
} as const;

const round = (x: number): number => Math.round(x * 1e4) / 1e4;

async function describeFile(file: string): Promise<Record<string, unknown>> {
  const name = path.basename(file);
  const bytes = new Uint8Array(await readFile(file));
  try {
    if (isProbablyDicom(bytes)) {
      const dicom = readDicom(bytes, name);
      const { volume } = dicom;
      return {
        file: name,
        kind: 'dicom',
        series: dicom.seriesNumber,
        seriesKey: dicom.seriesKey,
        tr: volume.identity.index,
        instance: dicom.instanceNumber,
        acquisition: dicom.acquisitionNumber,
        acquisitionTime: volume.acquisitionTime,
        repetitionTimeS: volume.repetitionTime,
        dims: volume.grid.dims,
        affine: toRows(volume.grid.affine).map((r) => r.map(round)),
        sliceTimingS: volume.sliceTiming ?? null,
        summary: dicom.summary,
        warnings: volume.warnings,
      };
    }
    if (!looksLikeNifti(bytes)) return { file: name, kind: 'other', note: 'neither DICOM nor NIfTI (by content)' };
    const info = readNiftiHeader(bytes, name);
    return {
      file: name,
      kind: 'nifti',
      dims: info.grid.dims,
      frames: info.frames,
      voxelSizeMm: info.grid.voxelSize,
      repetitionTimeS: info.repetitionTime,
      affineFrom: info.affineSource,
      affine: toRows(info.grid.affine).map((r) => r.map(round)),
      header: info.header,
      warnings: info.warnings,
    };
  } catch (error) {
    return { file: name, error: asBoldstreamError(error).toJSON() };
  }
}

/** NIfTI by content: gzip (checked further by the reader), or a header size of 348 or 540 in either byte order. */
function looksLikeNifti(bytes: Uint8Array): boolean {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) return true;
  if (bytes.length < 4) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, 4);
  return [348, 540].some((size) => view.getInt32(0, true) === size || view.getInt32(0, false) === size);
}

async function inspect(ctx: CommandContext): Promise<number> {
  const target = ctx.positionals[0];
  if (!target) throw new BoldstreamError('CLI_USAGE', `usage: ${inspectCommand.usage}`);
  const info = await stat(target).catch(() => null);
  if (!info) throw new BoldstreamError('INPUT_NOT_FOUND', target);
  if (!info.isDirectory()) {
    const described = await describeFile(target);
    console.log(JSON.stringify(described, null, 2));
    // A file that should be an image but does not read is a failure for scripts too.
    return 'error' in described ? 1 : 0;
  }
  const files = (await readdir(target)).sort();
  const described = [];
  for (const f of files) if ((await stat(path.join(target, f))).isFile()) described.push(await describeFile(path.join(target, f)));
  console.log(JSON.stringify(described, null, 2));
  return 0;
}
