/**
 * K01 A file read while it is still being written, K02 a watcher that reports a file before the write
 * finishes, K08 a run interrupted with its last volume only partly there. A file is a volume only once
 * it parses completely (invariant 1): it is read again until then, and a file that never completes
 * becomes an error record for its TR after the deadline, never a partial volume.
 *
 * Cited, not repeated (docs/failure-kinds.md): test/unit/watch-folder.test.ts "K01 K02 K12 K13 a slow,
 * shuffled export of the real run …", "K01 K08 a file cut short and never completed becomes a problem
 * after the deadline …", "K02 an empty file is waited for, and a file half-written when watching starts
 * is read once it completes"; test/unit/dicom-malformed.test.ts "K01 … cut every 307 bytes is
 * DICOM_TRUNCATED, never a partial image"; test/integration/bad-input.test.ts "K08 a truncated DICOM in
 * a replayed folder is a DICOM_TRUNCATED error record for its TR; the other 9 TRs arrive". Here: the same
 * gate seen from the records a session gives.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { writeNifti } from '../../src/ingest/nifti/index.js';
import type { SourceItem } from '../../src/ingest/sources/source.js';
import { WatchFolderSource } from '../../src/ingest/sources/watch-folder.js';
import { type ErrorRecord, isErrorRecord } from '../../src/session/types.js';
import { blobData, rtBytes, sleep, SMALL_DIMS, smallGrid, startSession, TempDirs, until } from '../helpers/kind-fixtures.js';
import { runSlowWriter } from '../helpers/slow-writer.js';

const temp = new TempDirs();
afterAll(() => temp.removeAll());

const frames = (n: number): Float32Array => {
  const one = SMALL_DIMS[0] * SMALL_DIMS[1] * SMALL_DIMS[2];
  const all = new Float32Array(n * one);
  for (let t = 0; t < n; t++) all.set(blobData({ seed: t + 1 }), t * one);
  return all;
};

async function watchedFolder(id: string, overrides: Parameters<typeof startSession>[1]) {
  const dir = temp.make(id);
  writeFileSync(path.join(dir, 'README.txt'), 'export folder\n');
  const watched = await startSession({ id, source: { kind: 'watch', path: dir }, masks: [], events: [] }, overrides);
  await until(() => watched.statuses.some((s) => s.detail.includes('when watching started')), 'the first listing');
  return { dir, watched };
}

describe('K01 K02 K08 in a watched export', () => {
  it('K01 K08 a DICOM whose pixel data never completes is read again until the deadline, then an error record for its TR naming the file', async () => {
    const deadlineMs = 1200;
    // The reorder wait is long: the deadline, not a newer volume, decides when TR 2 is given up.
    const { dir, watched } = await watchedFolder('never-completes', { watch: { pollMs: 50, incompleteDeadlineMs: deadlineMs }, pipeline: { reorderWaitMs: 60_000, reorderWindow: 8 } });
    const written = Date.now();
    writeFileSync(path.join(dir, 'a'), rtBytes(1));
    writeFileSync(path.join(dir, 'b'), rtBytes(2));
    writeFileSync(path.join(dir, 'c-cut'), rtBytes(3).subarray(0, 300_000)); // header whole, pixel data short
    writeFileSync(path.join(dir, 'd'), rtBytes(4));
    writeFileSync(path.join(dir, 'e'), rtBytes(5));
    await until(() => watched.records.length === 5, 'five records');
    await watched.session.stop();

    expect(watched.records.map((r) => r.tr)).toEqual([0, 1, 2, 3, 4]);
    expect(watched.records.filter(isErrorRecord).map((r) => r.tr)).toEqual([2]);
    const gap = watched.records[2] as ErrorRecord;
    expect(gap.error.code).toBe('VOLUME_INCOMPLETE');
    expect(gap.error.message).toMatch(/c-cut: still no complete file \d+\.\d s after it last changed \(DICOM_TRUNCATED\)/);
    // Given its full time: the error record is not made before the deadline.
    expect(gap.receivedAt! - written).toBeGreaterThanOrEqual(deadlineMs);
  });

  it('K02 K19 a .nii.gz written in pieces by another process (a partly downloaded gzip at every look) is one volume, with exactly its data', async () => {
    const dir = temp.make('gzip-pieces');
    writeFileSync(path.join(dir, 'README.txt'), 'export folder\n');
    const items: SourceItem[] = [];
    const subscription = new WatchFolderSource({ dir, pollMs: 20, incompleteDeadlineMs: 20_000 }).items().subscribe((item) => items.push(item));
    try {
      await until(() => items.some((i) => i.kind === 'notice'), 'the first listing');
      const source = temp.make('gzip-source');
      const data = blobData({ seed: 42 });
      writeFileSync(path.join(source, 'vol.nii.gz'), writeNifti({ grid: smallGrid(), data, repetitionTime: 2 }, { gzip: true }));
      await runSlowWriter({ dir, files: [{ from: path.join(source, 'vol.nii.gz'), name: 'vol.nii.gz' }], pieces: 6, pauseMs: [80, 160], concurrent: 1, seed: 5 });
      await until(() => items.some((i) => i.kind === 'volume'), 'the volume');
      await sleep(300); // more polls: nothing else may come
      const volumes = items.flatMap((i) => (i.kind === 'volume' ? [i.volume] : []));
      expect(volumes).toHaveLength(1);
      expect(volumes[0]!.data).toEqual(data);
      expect(items.filter((i) => i.kind === 'problem')).toEqual([]);
    } finally {
      subscription.unsubscribe();
    }
  });
});

describe('K08 a replayed run whose file ends inside a volume', () => {
  it.each([
    ['.nii', 'NIFTI_TRUNCATED', false],
    ['.nii.gz', 'NIFTI_GZIP_CORRUPT', true],
  ] as const)('K08 a %s cut inside a volume gives the TRs before it, an error record %s for that TR, and the session ends normally', async (extension, code, gzip) => {
    const dir = temp.make('interrupted');
    const whole = writeNifti({ grid: smallGrid(), data: frames(10), frames: 10, repetitionTime: 2 }, { gzip: false });
    const frameBytes = 4 * SMALL_DIMS[0] * SMALL_DIMS[1] * SMALL_DIMS[2];
    const cut = whole.subarray(0, 352 + 6 * frameBytes + frameBytes / 2);
    const file = path.join(dir, `run${extension}`);
    // A gzip cut short: the compressed stream of the whole run, cut about two thirds in.
    const compressed = gzipSync(whole);
    writeFileSync(file, gzip ? compressed.subarray(0, Math.floor(compressed.length * 0.66)) : cut);
    const replay = await startSession({ id: `interrupted-${gzip}`, source: { kind: 'replay', path: file, speed: 0 }, masks: [], events: [] });
    const info = await replay.ended;
    expect(info.state).toBe('ended');
    const last = replay.records.at(-1)!;
    expect(isErrorRecord(last) && [last.tr, last.error.code]).toEqual([replay.records.length - 1, code]);
    expect(replay.records.slice(0, -1).filter(isErrorRecord)).toEqual([]);
    expect(replay.records.map((r) => r.tr)).toEqual(Array.from({ length: replay.records.length }, (_, t) => t));
    if (!gzip) expect(replay.records.map((r) => r.tr)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect((last as ErrorRecord).error.message).toMatch(new RegExp(`run${extension.replace('.', '\\.')}: \\d+ of 10 frames whole`));
  });
});
