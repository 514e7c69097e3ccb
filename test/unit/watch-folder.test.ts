/**
 * The watched export folder, on real files in temporary folders, named after the failure kinds it
 * guards against. Waits have generous deadlines; nothing asserts how fast anything happened.
 */
import { appendFileSync, copyFileSync, existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { renameSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Subscription, tap } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import type { ErrorCode, Warning } from '../../src/errors.js';
import { identity4 } from '../../src/geometry/mat4.js';
import { readDicom } from '../../src/ingest/dicom/index.js';
import { writeNifti } from '../../src/ingest/nifti/index.js';
import type { SourceItem } from '../../src/ingest/sources/source.js';
import { WatchFolderSource, type WatchFolderOptions } from '../../src/ingest/sources/watch-folder.js';
import type { PipelineItem } from '../../src/pipeline/context.js';
import { sequenceVolumes } from '../../src/pipeline/sequence-volumes.js';
import { dicomText, edit, find, textOf } from '../helpers/dicom-fixtures.js';
import { dataPath } from '../helpers/paths.js';
import { runSlowWriter, seededRandom, shuffled } from '../helpers/slow-writer.js';

const rtFile = (n: number) => path.join(dataPath('rtcloud-faces', 'dicom'), `001_000013_${String(n).padStart(6, '0')}.dcm`);
const rtBytes = (n: number) => new Uint8Array(readFileSync(rtFile(n)));
/** A copy of rt-cloud file `n` moved to another series, as a scanner would number a restarted run. */
const otherSeries = (n: number, seriesNumber: number) =>
  edit(rtBytes(n), [
    { tag: 0x0020000e, value: dicomText(`1.2.826.0.1.3680043.2.1125.9.${seriesNumber}`, 'UI') },
    { tag: 0x00200011, value: dicomText(String(seriesNumber), 'IS') },
  ]);

/** Linux's view of this process: open descriptors, inotify watches, armed timers. */
const openFiles = () => readdirSync('/proc/self/fd').length;
const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
function inotifyWatches(): number {
  let count = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).includes('inotify')) count += (readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8').match(/^inotify wd:/gm) ?? []).length;
    } catch {
      // the descriptor closed while we looked
    }
  }
  return count;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function until(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`gave up waiting for ${what}`);
    await sleep(20);
  }
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'boldstream-watch-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Everything a source emitted, with helpers to pick items out. */
class Recorder {
  readonly items: SourceItem[] = [];
  error: unknown = null;
  readonly subscription: Subscription;

  constructor(source: WatchFolderSource) {
    this.subscription = source.items().subscribe({ next: (item) => this.items.push(item), error: (e: unknown) => (this.error = e) });
    cleanups.push(() => this.subscription.unsubscribe());
  }

  volumes() {
    return this.items.flatMap((i) => (i.kind === 'volume' ? [i.volume] : []));
  }
  problems() {
    return this.items.flatMap((i) => (i.kind === 'problem' ? [i] : []));
  }
  notices(code?: ErrorCode): Warning[] {
    return this.items.flatMap((i) => (i.kind === 'notice' && (code === undefined || i.warning.code === code) ? [i.warning] : []));
  }
  /** VOLUME_IGNORED notices, less the one about files present at start. */
  ignored(): string[] {
    return this.notices('VOLUME_IGNORED')
      .map((w) => w.message)
      .filter((m) => !m.includes(STARTED));
  }
}

const STARTED = 'when watching started';

/**
 * Starts watching `dir` with a note already in it: the notice about files present at start says the
 * first listing is done, so that files written after this are new (never mistaken for pre-existing).
 */
async function watching(dir: string, options: Omit<WatchFolderOptions, 'dir'> = {}): Promise<Recorder> {
  writeFileSync(path.join(dir, 'README.txt'), 'real-time export folder\n');
  const rec = new Recorder(new WatchFolderSource({ pollMs: 50, incompleteDeadlineMs: 20_000, stallWarningMs: 60_000, ...options, dir }));
  await until(() => rec.notices('VOLUME_IGNORED').some((w) => w.message.includes(STARTED)), 'the first listing');
  return rec;
}

describe('WatchFolderSource', () => {
  it('K01 K02 K12 K13 a slow, shuffled export of the real run gives TRs 0..9 in order, the duplicate dropped once', async () => {
    const dir = tempDir();
    const random = seededRandom(20240613);
    // Names that say nothing about order, some without an extension: identity must come from headers.
    const files = shuffled([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], random).map((n, i) => ({
      from: rtFile(n),
      name: `${Math.floor(random() * 0xffffff).toString(16)}${['.dcm', '', '.IMA'][i % 3]}`,
    }));
    const source = new WatchFolderSource({ dir, pollMs: 50, incompleteDeadlineMs: 20_000, stallWarningMs: 60_000 });
    writeFileSync(path.join(dir, 'README.txt'), 'real-time export folder\n');
    const fromSource: SourceItem[] = [];
    const out: PipelineItem[] = [];
    const sequencerNotices: Warning[] = [];
    const subscription = source
      .items()
      .pipe(
        tap((item) => fromSource.push(item)),
        // The window covers the whole run: the shuffle may bring TR 9 first.
        sequenceVolumes({ window: 10, waitMs: 30_000, dummyScans: 0, onNotice: (w) => sequencerNotices.push(w) }),
      )
      .subscribe((item) => out.push(item));
    cleanups.push(() => subscription.unsubscribe());
    await until(() => fromSource.some((i) => i.kind === 'notice'), 'the first listing');

    await runSlowWriter({ dir, files, pieces: 5, pauseMs: [5, 60], concurrent: 2, seed: 7 });
    const duplicates = () => sequencerNotices.filter((w) => w.code === 'VOLUME_DUPLICATE');
    await until(() => out.length === 10 && duplicates().length === 1, '10 TRs and the duplicate');
    await sleep(500); // a few more polls: nothing else may come

    expect(out.map((item) => (item.kind === 'tr' ? item.ctx.tr : `failed ${item.record.tr}`))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(duplicates()).toHaveLength(1);
    expect(fromSource.filter((i) => i.kind === 'problem')).toEqual([]);
    expect(fromSource.filter((i) => i.kind === 'volume')).toHaveLength(11);
    const originals = new Map([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((n) => [n - 1, readDicom(rtBytes(n)).volume]));
    for (const item of out) {
      if (item.kind !== 'tr') continue;
      const original = originals.get(item.ctx.tr)!;
      expect(item.ctx.volume.identity).toEqual(original.identity);
      expect(item.ctx.volume.data).toEqual(original.data);
    }
  });

  it('K01 K08 a file cut short and never completed becomes a problem after the deadline, with its TR when the header names it', async () => {
    const dir = tempDir();
    const deadline = 1000;
    const rec = await watching(dir, { incompleteDeadlineMs: deadline });
    writeFileSync(path.join(dir, 'first'), rtBytes(1));
    await until(() => rec.volumes().length === 1, 'TR 0');
    const writtenAt = Date.now();
    writeFileSync(path.join(dir, 'pixels-short'), rtBytes(5).subarray(0, 300_000)); // header complete, pixel data short
    writeFileSync(path.join(dir, 'header-short'), rtBytes(6).subarray(0, 1000)); // cut before InstanceNumber
    await until(() => rec.problems().length === 2, 'two problems');

    const byFile = new Map(rec.problems().map((p) => [p.file, p]));
    expect(byFile.get('pixels-short')).toMatchObject({ tr: 4, error: { code: 'VOLUME_INCOMPLETE' } });
    expect(byFile.get('header-short')).toMatchObject({ tr: null, error: { code: 'VOLUME_INCOMPLETE' } });
    expect(byFile.get('header-short')!.error.message).toContain('header-short');
    expect(Date.now() - writtenAt).toBeGreaterThanOrEqual(deadline); // given its full time, never cut short
    const patientName = textOf(rtBytes(5), find(rtBytes(5), 0x00100010)!);
    for (const p of rec.problems()) {
      expect(p.error.message).not.toContain(patientName);
      expect(p.error.message).not.toContain(dir);
    }
    expect(rec.volumes().map((v) => v.identity.index)).toEqual([0]);
  });

  it('K02 an empty file is waited for, and a file half-written when watching starts is read once it completes', async () => {
    const dir = tempDir();
    const bytes = rtBytes(2);
    writeFileSync(path.join(dir, 'half'), bytes.subarray(0, 200_000));
    const rec = await watching(dir, { incompleteDeadlineMs: 20_000 });
    writeFileSync(path.join(dir, 'empty'), new Uint8Array(0));
    await sleep(300);
    appendFileSync(path.join(dir, 'half'), bytes.subarray(200_000));
    writeFileSync(path.join(dir, 'empty'), rtBytes(3));
    await until(() => rec.volumes().length === 2, 'both volumes');
    expect(rec.volumes().map((v) => v.identity.index).sort()).toEqual([1, 2]);
    expect(rec.problems()).toEqual([]);
  });

  it('K04 files present at start are ignored; another series, a restarted run, a text file and a NIfTI get one notice each', async () => {
    const dir = tempDir();
    copyFileSync(rtFile(1), path.join(dir, 'old-1'));
    copyFileSync(rtFile(2), path.join(dir, 'old-2'));
    const rec = await watching(dir);
    writeFileSync(path.join(dir, 'run-a'), rtBytes(4));
    await until(() => rec.volumes().length === 1, 'the first new volume');
    writeFileSync(path.join(dir, 'moco-1'), otherSeries(5, 14)); // the scanner's motion-corrected copy
    writeFileSync(path.join(dir, 'moco-2'), otherSeries(6, 14));
    writeFileSync(path.join(dir, 'restart-1'), otherSeries(1, 15)); // the run started again
    writeFileSync(path.join(dir, 'report.txt'), 'Scan report\nNo incidental findings.\n'.repeat(20));
    copyFileSync(dataPath('rtcloud-faces', 'L_AMYG_thrp5_bin_resampled_space-native.nii.gz'), path.join(dir, 'roi.nii.gz'));
    writeFileSync(path.join(dir, 'run-b'), rtBytes(7));
    await until(() => rec.volumes().length === 2 && rec.ignored().length === 4, 'the rest');
    await sleep(500);

    expect(rec.volumes().map((v) => v.identity.index)).toEqual([3, 6]);
    expect(rec.notices('VOLUME_IGNORED').filter((w) => w.message.includes(STARTED))).toHaveLength(1);
    const ignored = rec.ignored();
    expect(ignored).toHaveLength(4);
    expect(ignored.filter((m) => m.includes('series 14'))).toHaveLength(1);
    expect(ignored.filter((m) => m.includes('series 15'))).toHaveLength(1);
    expect(ignored.filter((m) => m.includes('report.txt'))).toHaveLength(1);
    expect(ignored.filter((m) => m.includes('NIfTI'))).toHaveLength(1);
    expect(rec.problems()).toEqual([]);
    for (const m of ignored) expect(m).not.toContain(dir);
  });

  it('K04 a configured series number is taken instead of the first new series', async () => {
    const dir = tempDir();
    const rec = await watching(dir, { seriesNumber: 14 });
    writeFileSync(path.join(dir, 'a'), rtBytes(1));
    writeFileSync(path.join(dir, 'b'), otherSeries(2, 14));
    writeFileSync(path.join(dir, 'c'), otherSeries(3, 14));
    await until(() => rec.volumes().length === 2 && rec.ignored().length === 1, 'series 14');
    expect(rec.volumes().map((v) => v.identity.index).sort()).toEqual([1, 2]);
    expect(rec.ignored()[0]).toContain('series 13');
  });

  it('K04 includeExisting reads what is already there in header order, the series written last winning', async () => {
    const dir = tempDir();
    const hourAgo = new Date(Date.now() - 3_600_000);
    for (const n of [1, 2]) {
      writeFileSync(path.join(dir, `old-${n}`), otherSeries(n, 12));
      utimesSync(path.join(dir, `old-${n}`), hourAgo, hourAgo);
    }
    for (const n of [3, 1, 2]) copyFileSync(rtFile(n), path.join(dir, `now-${n}`));
    const rec = new Recorder(new WatchFolderSource({ dir, pollMs: 50, includeExisting: true }));
    await until(() => rec.volumes().length === 3 && rec.ignored().length === 1, 'the files present');
    expect(rec.volumes().map((v) => v.identity.index)).toEqual([0, 1, 2]);
    expect(rec.ignored()[0]).toContain('series 12');
  });

  it('K12 a rewritten file and a copy under another name are passed on with the same identity; an unchanged file is read once', async () => {
    const dir = tempDir();
    const rec = await watching(dir);
    writeFileSync(path.join(dir, 'a'), rtBytes(3));
    await until(() => rec.volumes().length === 1, 'the volume');
    copyFileSync(path.join(dir, 'a'), path.join(dir, 'b'));
    await until(() => rec.volumes().length === 2, 'the copy');
    writeFileSync(path.join(dir, 'a'), rtBytes(3));
    // A rewrite has a later modification time; set one plainly, whatever the file system's time resolution.
    const later = new Date(Date.now() + 5000);
    utimesSync(path.join(dir, 'a'), later, later);
    await until(() => rec.volumes().length === 3, 'the rewrite');
    await sleep(1000); // twenty polls: unchanged files are not emitted again
    expect(rec.volumes()).toHaveLength(3);
    const [first, ...again] = rec.volumes();
    for (const v of again) expect(v.identity).toEqual(first!.identity);
  });

  it('K27 a stall is reported once per stall, and a burst after it comes out in header order', async () => {
    // The folder is reached through a symbolic link that is swapped in one step, so the whole burst
    // appears between two polls, whatever the machine's speed; fs.watch is off so only polls see it.
    const base = tempDir();
    const [before, after, link] = ['before', 'after', 'export'].map((name) => path.join(base, name)) as [string, string, string];
    mkdirSync(before);
    mkdirSync(after);
    symlinkSync(before, link);
    const stallMs = 400;
    const rec = await watching(link, { useFsWatch: false, stallWarningMs: stallMs });
    writeFileSync(path.join(link, 'v-first'), rtBytes(1));
    await until(() => rec.volumes().length === 1, 'TR 0');
    await until(() => rec.notices('SOURCE_STALLED').length === 1, 'the stall notice');
    await sleep(3 * stallMs);
    expect(rec.notices('SOURCE_STALLED')).toHaveLength(1);

    for (const name of ['README.txt', 'v-first']) linkSync(path.join(before, name), path.join(after, name));
    for (const n of shuffled([2, 3, 4, 5, 6], seededRandom(3))) writeFileSync(path.join(after, `burst-${(n * 7919) % 13}`), rtBytes(n));
    symlinkSync(after, path.join(base, 'next'));
    renameSync(path.join(base, 'next'), link);
    await until(() => rec.volumes().length === 6, 'the burst');
    expect(rec.volumes().map((v) => v.identity.index)).toEqual([0, 1, 2, 3, 4, 5]);
    await until(() => rec.notices('SOURCE_STALLED').length === 2, 'the second stall notice');
    await sleep(3 * stallMs);
    expect(rec.notices('SOURCE_STALLED')).toHaveLength(2);
  });

  it('K03 with fs.watch off, polling alone finds files, also ones written slowly', async () => {
    const dir = tempDir();
    const rec = await watching(dir, { useFsWatch: false, pollMs: 100 });
    const files = [7, 2, 5].map((n) => ({ from: rtFile(n), name: `scan${n * 31}` }));
    await runSlowWriter({ dir, files, pieces: 4, pauseMs: [50, 150], concurrent: 1, seed: 11 });
    await until(() => rec.volumes().length === 3, 'three volumes');
    expect(rec.volumes().map((v) => v.identity.index).sort()).toEqual([1, 4, 6]);
    expect(rec.problems()).toEqual([]);
  });

  it('K03 a share that drops out is reported once and watched on; a folder missing at start is an error', async () => {
    const dir = tempDir();
    const rec = await watching(dir);
    writeFileSync(path.join(dir, 'a'), rtBytes(1));
    await until(() => rec.volumes().length === 1, 'TR 0');
    rmSync(dir, { recursive: true });
    await until(() => rec.notices('SOURCE_UNREADABLE').length === 1, 'the outage notice');
    await sleep(300);
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'b'), rtBytes(2));
    await until(() => rec.volumes().length === 2, 'TR 1 after the outage');
    expect(rec.notices('SOURCE_UNREADABLE')).toHaveLength(1);
    expect(rec.error).toBeNull();

    const missing = new Recorder(new WatchFolderSource({ dir: path.join(dir, 'not-there') }));
    await until(() => missing.error !== null, 'the error');
    expect(missing.error).toMatchObject({ code: 'INPUT_NOT_FOUND' });
  });

  it('K12 K13 single-volume NIfTIs are numbered by arrival and said so once; a copy keeps its number; a 4D run is not a volume', async () => {
    const dir = tempDir();
    const rec = await watching(dir);
    const grid = { dims: [4, 4, 3] as const, voxelSize: [2, 2, 2] as const, affine: identity4() };
    const volume = (value: number, gzip: boolean) => writeNifti({ grid, data: new Float32Array(48).fill(value), repetitionTime: 2 }, { gzip });
    writeFileSync(path.join(dir, 'zz.nii'), volume(10, false));
    await until(() => rec.volumes().length === 1, 'the first NIfTI');
    writeFileSync(path.join(dir, 'aa.nii.gz'), volume(11, true));
    await until(() => rec.volumes().length === 2, 'the second NIfTI');
    writeFileSync(path.join(dir, 'copy-of-zz'), volume(10, false));
    writeFileSync(path.join(dir, 'run.nii'), writeNifti({ grid, data: new Float32Array(96), frames: 2 }));
    await until(() => rec.volumes().length === 3 && rec.ignored().length === 1, 'the copy and the 4D file');

    expect(rec.volumes().map((v) => [v.identity.index, v.data[0]])).toEqual([
      [0, 10],
      [1, 11],
      [0, 10],
    ]);
    expect(rec.volumes()[2]!.identity).toEqual(rec.volumes()[0]!.identity);
    expect(rec.notices('VOLUME_ORDER_BY_ARRIVAL')).toHaveLength(1);
    expect(rec.ignored()[0]).toContain('4D');
  });

  it.runIf(existsSync('/proc/self/fdinfo'))('unsubscribing stops the polls, the file watcher and the stall timer, and leaves no file open', async () => {
    const dir = tempDir();
    const baseline = { files: openFiles(), watches: inotifyWatches(), timers: timers() };
    const rec = await watching(dir, { stallWarningMs: 60_000 });
    writeFileSync(path.join(dir, 'a'), rtBytes(1));
    await until(() => rec.volumes().length === 1, 'a volume');
    expect(inotifyWatches()).toBeGreaterThan(baseline.watches);
    rec.subscription.unsubscribe();
    await until(() => timers() <= baseline.timers && inotifyWatches() <= baseline.watches && openFiles() <= baseline.files, 'everything released');
    const seen = rec.items.length;
    writeFileSync(path.join(dir, 'b'), rtBytes(2));
    await sleep(300);
    expect(rec.items).toHaveLength(seen);
  });
});
