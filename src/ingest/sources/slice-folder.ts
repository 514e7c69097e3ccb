/**
 * Every file of a replayed DICOM folder → the volumes it makes, whatever the export's layout: mosaic files
 * (one volume each), enhanced files (one or many), or single slices assembled into volumes
 * (slice-assembler.ts, fed in header order, then flushed). Files of a series the series rule leaves out
 * (K11) and files that are not DICOM become notices; files that cannot be read are returned as broken,
 * with the TR their header names when it names one (K01/K08).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { type BoldstreamError, asBoldstreamError, warning } from '../../errors.js';
import type { Volume } from '../../volume.js';
import { DEFAULT_SERIES_RULE, type DicomSeriesRule, type DicomSlice, isProbablyDicom, readDicomImage, refusedByRule } from '../dicom/index.js';
import { SliceAssembler } from './slice-assembler.js';
import type { SourceItem } from './source.js';
import { dicomHeaderIdentity, type HeaderIdentity } from './watch-header.js';

export interface FolderVolume {
  /** The file it came from; for an assembled volume, its last slice's file. */
  readonly name: string;
  readonly seriesNumber: number | null;
  readonly volume: Omit<Volume, 'receivedAt'>;
}

export interface FolderContents {
  readonly volumes: FolderVolume[];
  /** Files that could not be read, with the TR their header names when it names one. */
  readonly broken: { readonly name: string; readonly error: BoldstreamError; readonly header: HeaderIdentity | null }[];
  /** TRs a file or an assembly could not make (enhanced K08, per-slice K08/K10), by series. */
  readonly problems: { readonly series: string; readonly tr: number; readonly error: BoldstreamError; readonly file: string }[];
  readonly notices: SourceItem[];
}

export async function readDicomFolder(dir: string, rule: DicomSeriesRule = DEFAULT_SERIES_RULE): Promise<FolderContents> {
  const out: FolderContents = { volumes: [], broken: [], problems: [], notices: [] };
  const slices: { name: string; slice: DicomSlice }[] = [];
  const ignored = new Set<string>();
  for (const name of (await readdir(dir)).sort()) {
    const full = path.join(dir, name);
    if (!(await stat(full)).isFile()) continue;
    const bytes = new Uint8Array(await readFile(full));
    if (!isProbablyDicom(bytes)) {
      out.notices.push({ kind: 'notice', warning: warning('VOLUME_IGNORED', `${name} is not DICOM`) });
      continue;
    }
    try {
      const image = readDicomImage(bytes, name, rule);
      if (image.kind === 'slice') {
        slices.push({ name, slice: image.slice });
        continue;
      }
      for (const dicom of image.volumes) {
        const why = refusedByRule(dicom.derived, rule);
        if (why === null) out.volumes.push({ name, seriesNumber: dicom.seriesNumber, volume: dicom.volume });
        else if (!ignored.has(dicom.seriesKey)) {
          ignored.add(dicom.seriesKey);
          out.notices.push({ kind: 'notice', warning: warning('VOLUME_IGNORED', `series ${dicom.seriesNumber ?? '(no number)'}: ${why}`) });
        }
      }
      const series = image.volumes[0]?.volume.identity.series ?? name;
      for (const p of image.problems) out.problems.push({ series, tr: p.tr, error: p.error, file: name });
    } catch (error) {
      out.broken.push({ name, error: asBoldstreamError(error), header: dicomHeaderIdentity(bytes) });
    }
  }
  assemble(slices, rule, out);
  return out;
}

/** Slices in header order (series, TR, instance), through the same assembler as live ingest. */
function assemble(slices: { name: string; slice: DicomSlice }[], rule: DicomSeriesRule, out: FolderContents): void {
  if (slices.length === 0) return;
  slices.sort((a, b) => (a.slice.seriesKey < b.slice.seriesKey ? -1 : a.slice.seriesKey > b.slice.seriesKey ? 1 : 0) || a.slice.temporalIndex - b.slice.temporalIndex || (a.slice.instanceNumber ?? 0) - (b.slice.instanceNumber ?? 0));
  const assembler = new SliceAssembler(rule);
  const take = (outputs: ReturnType<SliceAssembler['add']>, name: string): void => {
    for (const o of outputs) {
      if (o.kind === 'notice') out.notices.push(o);
      else if (o.kind === 'problem') out.problems.push({ series: o.series, tr: o.tr, error: o.error, file: name });
      else out.volumes.push({ name, seriesNumber: o.seriesNumber, volume: o.volume });
    }
  };
  for (const { name, slice } of slices) take(assembler.add(slice, 0), name);
  // What the end of the folder settles belongs to no one file.
  for (const o of assembler.flush(0)) {
    if (o.kind === 'volume') out.volumes.push({ name: '(end of folder)', seriesNumber: o.seriesNumber, volume: o.volume });
    else if (o.kind === 'problem') out.problems.push({ series: o.series, tr: o.tr, error: o.error, file: '' });
    else out.notices.push(o);
  }
}
