/**
 * Replay sources: a 4D NIfTI (or BIDS `_bold` run), a folder of DICOM files, or a session recording,
 * streamed at TR pace (`speed` 1), faster (`speed` 10), or as fast as possible (`speed` 0).
 *
 * What a replay emits is what a live export would have delivered, in the order the scanner made it;
 * sequencing, duplicates and gaps are then decided by the same operator as live (invariant 8).
 */
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Observable } from 'rxjs';
import { BoldstreamError, asBoldstreamError, type Warning, warning } from '../../errors.js';
import { describeBoldRun } from '../bids/index.js';
import { parseBidsName } from '../bids/entities.js';
import { type DicomSeriesRule, isProbablyDicom } from '../dicom/index.js';
import { streamNiftiFrames } from '../nifti/index.js';
import { openRecording, type RecordedEvent } from '../../record/index.js';
import { paced, type TimedItem } from './pace.js';
import { PaceControl } from './pace-control.js';
import { type FolderVolume, readDicomFolder } from './slice-folder.js';
import type { SourceDescription, SourceItem, VolumeSource } from './source.js';

export interface ReplayOptions {
  /** Multiple of real time; 0 = as fast as possible. */
  readonly speed: number;
  /** DICOM folders: the series to take (default: the one with most volumes). */
  readonly seriesNumber?: number;
  /** Seconds; overrides the header or sidecar. */
  readonly repetitionTime?: number | null;
  /** DICOM folders: which echo of a multi-echo run, and whether the scanner's MoCo series is used (default: echo 1, MoCo ignored). */
  readonly dicom?: DicomSeriesRule;
  /** Recordings: called with each recorded event just before the first volume that came after it live. */
  readonly onRecordedEvent?: (event: RecordedEvent) => void;
}

class ReplaySource implements VolumeSource {
  /** Pause, resume and speed while the replay runs (the viewer's controls, POST /sessions/:id/pause). */
  readonly pace: PaceControl;

  constructor(
    readonly description: SourceDescription,
    private readonly timed: () => AsyncIterable<TimedItem> | Iterable<TimedItem>,
    speed: number,
  ) {
    this.pace = new PaceControl(speed);
  }

  items(): Observable<SourceItem> {
    return paced(this.timed(), this.pace);
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
    let next = 0;
    try {
      for await (const { index: t, data } of stream.frames()) {
        next = t + 1;
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
    } catch (thrown) {
      // K08: a run interrupted while its file was written ends inside (or at the edge of) a frame. The
      // frames before it stand; the first frame the file does not hold whole is an error record for its
      // TR, never a partial volume, and the replay ends there like the run did.
      const error = asBoldstreamError(thrown);
      if (error.code !== 'NIFTI_TRUNCATED' && error.code !== 'NIFTI_GZIP_CORRUPT') throw error;
      const detail = `${path.basename(file)}: ${next} of ${image.frames} frames whole; the file ends inside TR ${next} and the run stops there`;
      const problem = new BoldstreamError(error.code, detail, { cause: error });
      yield { at: next * (tr ?? 1), make: (): SourceItem => ({ kind: 'problem', tr: next, error: problem, file: path.basename(file) }) };
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
function foldDuplicates(sorted: FolderVolume[]): void {
  for (let i = 1; i < sorted.length; i++) {
    const kept = sorted[i - 1]!;
    const copy = sorted[i]!;
    const a = kept.volume.identity;
    const b = copy.volume.identity;
    if (a.index !== b.index || a.instance === undefined || a.instance !== b.instance) continue;
    const note = warning('VOLUME_DUPLICATE', `${copy.name} is the same image as ${kept.name} (TR ${a.index})`);
    sorted[i - 1] = { ...kept, volume: { ...kept.volume, warnings: [...kept.volume.warnings, note] } };
    sorted.splice(i--, 1);
  }
}

/**
 * Every file of a folder parsed as DICOM (mosaic, enhanced, or single slices assembled into volumes by
 * slice-folder.ts); the chosen series in header order; the rest as notices.
 */
async function dicomFolderReplay(dir: string, options: ReplayOptions): Promise<VolumeSource> {
  // Per-slice and enhanced exports: the folder reader assembles volumes; the series rule picks echoes and
  // the derived (MoCo) series (K10, K11).
  const { volumes: parsed, broken, problems, notices } = await readDicomFolder(dir, options.dicom);
  const other: SourceItem[] = [...notices];
  const bySeries = new Map<string, FolderVolume[]>();
  for (const p of parsed) bySeries.set(p.volume.identity.series, [...(bySeries.get(p.volume.identity.series) ?? []), p]);
  const chosen = [...bySeries.values()]
    .filter((s) => options.seriesNumber === undefined || s[0]!.seriesNumber === options.seriesNumber)
    .sort((a, b) => b.length - a.length)[0];
  if (!chosen) throw new BoldstreamError('INPUT_NOT_FOUND', `${dir} holds no readable DICOM volume${options.seriesNumber !== undefined ? ` of series ${options.seriesNumber}` : ''}`);
  for (const [key, files] of bySeries) if (files !== chosen) other.push({ kind: 'notice', warning: warning('VOLUME_IGNORED', `series ${files[0]!.seriesNumber ?? key} (${files.length} volumes)`) });
  // Acquisition order from the header.
  chosen.sort((a, b) => a.volume.identity.index - b.volume.identity.index || a.name.localeCompare(b.name));
  foldDuplicates(chosen);
  const first = chosen[0]!.volume;
  const tr = options.repetitionTime ?? first.repetitionTime;
  const t0 = first.acquisitionTime;
  // Broken files of the chosen series come at their TR's turn (the header gives no reliable time);
  // listed after the volumes, so a good copy of the same TR is the one the sequencer keeps.
  const ofChosen = (b: (typeof broken)[number]): boolean => b.header?.identity.series === first.identity.series;
  for (const b of broken) if (!ofChosen(b)) other.push({ kind: 'problem', tr: null, error: b.error, file: b.name });
  // TRs that an enhanced file or the slice assembly could not make (K08, K10), for the chosen series.
  const chosenProblems = problems.filter((p) => p.series === first.identity.series);
  const items: TimedItem[] = [
    ...other.map((item) => ({ at: 0, make: () => item })),
    ...chosen.map(({ volume }) => ({
      at: volume.acquisitionTime !== null && t0 !== null ? volume.acquisitionTime - t0 : volume.identity.index * (tr ?? 1),
      make: (receivedAt: number): SourceItem => ({ kind: 'volume', volume: { ...volume, receivedAt } }),
    })),
    ...broken.filter(ofChosen).map(({ name, error, header }) => ({
      at: (header!.identity.index - first.identity.index) * (tr ?? 1),
      make: (): SourceItem => ({ kind: 'problem', tr: header!.identity.index, error, file: name }),
    })),
    ...chosenProblems.map(({ tr: index, error, file }) => ({
      at: (index - first.identity.index) * (tr ?? 1),
      make: (): SourceItem => ({ kind: 'problem', tr: index, error, ...(file ? { file } : {}) }),
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

