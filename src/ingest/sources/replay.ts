/**
 * Replay sources: a 4D NIfTI (or BIDS `_bold` run), a folder of DICOM files, or a session recording,
 * streamed at TR pace (`speed` 1), faster (`speed` 10), or as fast as possible (`speed` 0).
 *
 * What a replay emits is what a live export would have delivered, in the order the scanner made it;
 * sequencing, duplicates and gaps are then decided by the same operator as live (invariant 8).
 */
import { open, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Observable } from 'rxjs';
import { BoldstreamError, asBoldstreamError, type Warning, warning } from '../../errors.js';
import { describeBoldRun } from '../bids/index.js';
import { parseBidsName } from '../bids/entities.js';
import { isProbablyDicom, readDicom, type DicomVolume } from '../dicom/index.js';
import { streamNiftiFrames } from '../nifti/index.js';
import { openRecording, type RecordedEvent } from '../../record/index.js';
import { paced, type TimedItem } from './pace.js';
import { dicomHeaderIdentity, type HeaderIdentity } from './watch-header.js';
import type { SourceDescription, SourceItem, VolumeSource } from './source.js';

export interface ReplayOptions {
  /** Multiple of real time; 0 = as fast as possible. */
  readonly speed: number;
  /** DICOM folders: the series to take (default: the one with most volumes). */
  readonly seriesNumber?: number;
  /** Seconds; overrides the header or sidecar. */
  readonly repetitionTime?: number | null;
  /** Recordings: called with each recorded event just before the first volume that came after it live. */
  readonly onRecordedEvent?: (event: RecordedEvent) => void;
}

class ReplaySource implements VolumeSource {
  constructor(
    readonly description: SourceDescription,
    private readonly timed: () => AsyncIterable<TimedItem> | Iterable<TimedItem>,
    private readonly speed: number,
  ) {}

  items(): Observable<SourceItem> {
    return paced(this.timed(), this.speed);
  }
}

async function niftiReplay(file: string, options: ReplayOptions): Promise<VolumeSource> {
  const stream = await streamNiftiFrames(file);
  const image = stream.layout.info;
  const warnings: Warning[] = [...image.warnings];
  // A BIDS run's sidecar gives the TR (K20); a sidecar that cannot be read is said, not skipped silently.
  // A file not named as a BIDS run is just a 4D NIfTI: the header is all there is.
  const isBidsRun = parseBidsName(path.basename(file))?.suffix === 'bold';
  const run = !isBidsRun ? null : await describeBoldRun(file).catch((error: unknown) => {
    const e = asBoldstreamError(error);
    warnings.push({ code: e.code, message: e.message });
    return null;
  });
  for (const w of run?.warnings ?? []) if (!warnings.some((x) => x.message === w.message)) warnings.push(w);
  const tr = options.repetitionTime ?? run?.repetitionTime ?? image.repetitionTime;
  const series = `nifti:${path.basename(file)}`;
  // Frames are read from the file as they are released: one frame in memory, whatever the run's length.
  async function* timed(): AsyncIterable<TimedItem> {
    for await (const { index: t, data } of stream.frames()) {
      yield {
        at: t * (tr ?? 1),
        make: (receivedAt): SourceItem => ({
          kind: 'volume',
          volume: {
            identity: { series, index: t },
            grid: image.grid,
            data,
            // A NIfTI carries no scanner clock; the run clock falls back to index × TR.
            acquisitionTime: null,
            receivedAt,
            repetitionTime: tr,
            warnings: t === 0 ? warnings : [],
          },
        }),
      };
    }
  }
  return new ReplaySource({ kind: 'replay', from: file, repetitionTime: tr }, timed, options.speed);
}

/**
 * The same image twice in a folder (K12: same TR and SOP instance) is one volume; the copy is reported
 * on the record of the TR it repeats, where a person looks for it. (Live, the sequencer drops a copy
 * when it comes and warns on the next record: it cannot know the future.) Another image with the same
 * index is left in, for the sequencer to keep the first and say so.
 */
function foldDuplicates(sorted: { name: string; dicom: DicomVolume }[]): void {
  for (let i = 1; i < sorted.length; i++) {
    const kept = sorted[i - 1]!;
    const copy = sorted[i]!;
    const a = kept.dicom.volume.identity;
    const b = copy.dicom.volume.identity;
    if (a.index !== b.index || a.instance === undefined || a.instance !== b.instance) continue;
    const note = warning('VOLUME_DUPLICATE', `${copy.name} is the same image as ${kept.name} (TR ${a.index})`);
    kept.dicom = { ...kept.dicom, volume: { ...kept.dicom.volume, warnings: [...kept.dicom.volume.warnings, note] } };
    sorted.splice(i--, 1);
  }
}

/** Every file of a folder parsed as DICOM; the chosen series in header order; the rest as notices. */
async function dicomFolderReplay(dir: string, options: ReplayOptions): Promise<VolumeSource> {
  const names = (await readdir(dir)).sort();
  const parsed: { name: string; dicom: DicomVolume }[] = [];
  const broken: { name: string; error: BoldstreamError; header: HeaderIdentity | null }[] = [];
  const other: SourceItem[] = [];
  for (const name of names) {
    const full = path.join(dir, name);
    if (!(await stat(full)).isFile()) continue;
    const bytes = new Uint8Array(await readFile(full));
    if (!isProbablyDicom(bytes)) {
      other.push({ kind: 'notice', warning: warning('VOLUME_IGNORED', `${name} is not DICOM`) });
      continue;
    }
    try {
      parsed.push({ name, dicom: readDicom(bytes, name) });
    } catch (error) {
      // A file cut short (an export interrupted mid-write, K01/K08) usually still names its TR in the
      // header; with it, that TR becomes an error record saying why, not a nameless VOLUME_MISSING gap.
      broken.push({ name, error: asBoldstreamError(error), header: dicomHeaderIdentity(bytes) });
    }
  }
  const bySeries = new Map<string, { name: string; dicom: DicomVolume }[]>();
  for (const p of parsed) bySeries.set(p.dicom.seriesKey, [...(bySeries.get(p.dicom.seriesKey) ?? []), p]);
  const chosen = [...bySeries.values()]
    .filter((s) => options.seriesNumber === undefined || s[0]!.dicom.seriesNumber === options.seriesNumber)
    .sort((a, b) => b.length - a.length)[0];
  if (!chosen) throw new BoldstreamError('INPUT_NOT_FOUND', `${dir} holds no readable DICOM volume${options.seriesNumber !== undefined ? ` of series ${options.seriesNumber}` : ''}`);
  for (const [key, files] of bySeries) if (files !== chosen) other.push({ kind: 'notice', warning: warning('VOLUME_IGNORED', `series ${files[0]!.dicom.seriesNumber ?? key} (${files.length} files)`) });
  // Acquisition order from the header.
  chosen.sort((a, b) => a.dicom.volume.identity.index - b.dicom.volume.identity.index || a.name.localeCompare(b.name));
  foldDuplicates(chosen);
  const first = chosen[0]!.dicom.volume;
  const tr = options.repetitionTime ?? first.repetitionTime;
  const t0 = first.acquisitionTime;
  // Broken files of the chosen series come at their TR's turn (the header gives no reliable time);
  // listed after the volumes, so a good copy of the same TR is the one the sequencer keeps.
  const ofChosen = (b: (typeof broken)[number]): boolean => b.header?.identity.series === first.identity.series;
  for (const b of broken) if (!ofChosen(b)) other.push({ kind: 'problem', tr: null, error: b.error, file: b.name });
  const items: TimedItem[] = [
    ...other.map((item) => ({ at: 0, make: () => item })),
    ...chosen.map(({ dicom }) => ({
      at: dicom.volume.acquisitionTime !== null && t0 !== null ? dicom.volume.acquisitionTime - t0 : dicom.volume.identity.index * (tr ?? 1),
      make: (receivedAt: number): SourceItem => ({ kind: 'volume', volume: { ...dicom.volume, receivedAt } }),
    })),
    ...broken.filter(ofChosen).map(({ name, error, header }) => ({
      at: (header!.identity.index - first.identity.index) * (tr ?? 1),
      make: (): SourceItem => ({ kind: 'problem', tr: header!.identity.index, error, file: name }),
    })),
  ];
  items.sort((a, b) => a.at - b.at);
  return new ReplaySource({ kind: 'replay', from: dir, repetitionTime: tr }, () => items, options.speed);
}

async function recordingReplay(dir: string, options: ReplayOptions): Promise<VolumeSource> {
  const recording = await openRecording(dir);
  const events: RecordedEvent[] = [];
  for await (const e of recording.events()) events.push(e);
  events.sort((a, b) => a.receivedAt - b.receivedAt);
  const tr = options.repetitionTime ?? recording.info.repetitionTime ?? null;
  async function* timed(): AsyncIterable<TimedItem> {
    let first: number | null = null;
    let nextEvent = 0;
    for await (const volume of recording.volumes()) {
      first ??= volume.receivedAt;
      const original = volume.receivedAt;
      yield {
        // Pace by the original arrival times: that is the rhythm the session had live.
        at: (original - first) / 1000,
        make: (receivedAt): SourceItem => {
          while (nextEvent < events.length && events[nextEvent]!.receivedAt <= original) options.onRecordedEvent?.(events[nextEvent++]!);
          return { kind: 'volume', volume: { ...volume, receivedAt } };
        },
      };
    }
    while (nextEvent < events.length) options.onRecordedEvent?.(events[nextEvent++]!);
  }
  return new ReplaySource({ kind: 'recording', from: dir, repetitionTime: tr }, timed, options.speed);
}

/** Picks the replay by content: a recording folder, a DICOM folder, or a NIfTI file. */
export async function openReplaySource(input: string, options: ReplayOptions): Promise<VolumeSource> {
  const info = await stat(input).catch(() => null);
  if (!info) throw new BoldstreamError('INPUT_NOT_FOUND', input);
  if (info.isDirectory()) {
    const isRecording = await stat(path.join(input, 'session.json')).then(() => true, () => false);
    return isRecording ? recordingReplay(input, options) : dicomFolderReplay(input, options);
  }
  const handle = await open(input, 'r');
  const head = new Uint8Array(132);
  try {
    await handle.read(head, 0, head.length, 0);
  } finally {
    await handle.close();
  }
  // One DICOM file of a series stands for its folder: a mosaic file is one volume of many.
  if (isProbablyDicom(head)) return dicomFolderReplay(path.dirname(input), options);
  return niftiReplay(input, options);
}

