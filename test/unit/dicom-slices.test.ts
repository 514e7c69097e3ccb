/**
 * The per-slice assembler on its own (K07 order, K08 a short TR, K09 counts, K12 duplicates, K13 arrival
 * order), K17 sign handling against dcm2niix, and a watched folder that receives a per-slice export
 * slice by slice and streams volume by volume.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readDicomImage, type DicomSlice } from '../../src/ingest/dicom/index.js';
import { type AssemblyOutput, SliceAssembler } from '../../src/ingest/sources/slice-assembler.js';
import type { SourceItem } from '../../src/ingest/sources/source.js';
import { WatchFolderSource } from '../../src/ingest/sources/watch-folder.js';
import { affineError, codes, convert, mismatches, replay } from '../helpers/dicom-series.js';
import { perSliceSeries, syntheticSource, type WrittenFile } from '../helpers/dicom-export.js';

const src = syntheticSource([10, 8, 5], 3, (i, j, k, t) => 500 + 30 * i + 11 * j - 40 * k + 3 * t);
const sliceOf = (f: WrittenFile): DicomSlice => {
  const image = readDicomImage(f.bytes, f.name);
  if (image.kind !== 'slice') throw new Error(`${f.name} is not a slice`);
  return image.slice;
};
const kinds = (out: AssemblyOutput[]) => out.map((o) => (o.kind === 'volume' ? `v${o.volume.identity.index}` : o.kind === 'problem' ? `${o.error.code}@${o.tr}` : o.warning.code));

describe('slice assembly', () => {
  it('K07 K13 slices shuffled within each TR: the first volume when the next TR begins, then each as its last slice arrives', () => {
    const files = perSliceSeries(src, { vendor: 'ge', seriesNumber: 71, signed: true });
    const assembler = new SliceAssembler();
    const log: string[][] = [];
    for (let t = 0; t < 3; t++) {
      const tr = files.slice(t * 5, t * 5 + 5);
      for (const f of [tr[3]!, tr[0]!, tr[4]!, tr[1]!, tr[2]!]) log.push(kinds(assembler.add(sliceOf(f), 0)));
    }
    expect(log.map((l) => l.join(','))).toEqual(['', '', '', '', '', 'v0', '', '', '', 'v1', '', '', '', '', 'v2']);
    expect(assembler.flush(0)).toEqual([]);
  });

  it('K09 a stated slice count that disagrees with the slices present: the geometry wins, a warning names both', () => {
    const assembler = new SliceAssembler();
    const out = perSliceSeries(src, { vendor: 'ge', seriesNumber: 72, signed: true, statedSlices: 7 }).flatMap((f) => assembler.add(sliceOf(f), 0));
    const volumes = out.filter((o) => o.kind === 'volume');
    expect(volumes.map((v) => v.volume.grid.dims[2])).toEqual([5, 5, 5]);
    expect(volumes[0]!.volume.warnings.map((w) => w.message)).toEqual([expect.stringMatching(/0021,104F\) says 7.*5 positions/)]);
    expect(volumes[1]!.volume.warnings).toEqual([]);
  });

  it('K08 K12 an interrupted last TR is an error for that TR; a duplicate slice is dropped once with a notice', () => {
    const files = perSliceSeries(src, { vendor: 'philips', seriesNumber: 73 });
    const assembler = new SliceAssembler();
    const fed = [...files.slice(0, 6), files[2]!, ...files.slice(6, 13)]; // TR 2 stops after 3 of 5 slices
    const out = [...fed.flatMap((f) => assembler.add(sliceOf(f), 0)), ...assembler.flush(0)];
    expect(kinds(out)).toEqual(['v0', 'VOLUME_DUPLICATE', 'v1', 'DICOM_SLICES_INCOMPLETE@2']);
  });

  it('the replay of a folder missing one slice of TR 1 reports TR 1 and keeps the indices of the others', async () => {
    const files = perSliceSeries(src, { vendor: 'siemens', seriesNumber: 74 });
    const got = await replay(files.filter((_, i) => i !== 7));
    expect(got.volumes.map((v) => v.identity.index)).toEqual([0, 2]);
    expect(got.items.filter((i) => i.kind === 'problem').map((p) => p.kind === 'problem' && [p.tr, p.error.code])).toEqual([[1, 'DICOM_SLICES_INCOMPLETE']]);
  });
});

describe('K17 sign handling, against dcm2niix', () => {
  // dcm2niix 1.0.20220720 reads signed 12-bit cells as unsigned 12-bit (-2048 becomes 2048): for that case
  // only the voxels it can represent are compared with it; every voxel is compared with the values written.
  const cases = [
    { label: 'signed 12-bit (-2048..2047)', options: { signed: true, bitsStored: 12 }, value: (i: number, j: number, k: number, t: number) => ((i * 431 + j * 97 + k * 13 + t) % 4096) - 2048 },
    { label: 'signed 16-bit full range', options: { signed: true }, value: (i: number, j: number, k: number, t: number) => ((i * 6571 + j * 3089 + k * 811 + t * 7) % 65536) - 32768 },
    { label: 'unsigned 16-bit above 32767 (no int16 overflow)', options: { signed: false }, value: (i: number, j: number, k: number, t: number) => 32000 + ((i * 2711 + j * 977 + k * 131 + t) % 33535) },
  ];
  for (const { label, options, value } of cases) {
    it(label, async () => {
      const series = syntheticSource([10, 8, 5], 2, value);
      const files = perSliceSeries(series, { vendor: 'ge', seriesNumber: 75, ...options });
      const [refs, got] = await Promise.all([convert(files), replay(files)]);
      const ref = [...refs.values()][0]!;
      got.volumes.forEach((v, t) => {
        if (options.bitsStored === 12) {
          const n = v.data.length;
          const positive = v.data.filter((x, i) => x >= 0 && x !== ref.data[t * n + i]).length;
          expect(positive, `volume ${t}, non-negative voxels`).toBe(0);
        } else expect(mismatches(v, ref, t), `volume ${t}`).toBe(0);
        expect(affineError(v, ref)).toBeLessThan(1e-3);
        // And the values written, independently of both readers.
        for (let x = 0; x < v.data.length; x++) if (v.data[x] !== series.volumes[t]![x]) throw new Error(`voxel ${x}: ${v.data[x]} is not ${series.volumes[t]![x]}`);
      });
      expect(Math.min(...got.volumes[0]!.data) < 0).toBe(options.signed);
      if (!options.signed) expect(Math.max(...got.volumes[0]!.data)).toBeGreaterThan(32767);
    });
  }
});

describe('a watched folder receiving a per-slice export', () => {
  let dir: string | null = null;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = null;
  });

  it('streams volume by volume: each TR leaves once its slices are there (the first when the next TR begins)', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'boldstream-slices-'));
    const files = perSliceSeries(src, { vendor: 'ge', seriesNumber: 76, signed: true });
    const source = new WatchFolderSource({ dir, pollMs: 15, incompleteDeadlineMs: 2000, stallWarningMs: 60_000 });
    const seen: SourceItem[] = [];
    const subscription = source.items().subscribe((item) => seen.push(item));
    const volumesSeen = () => seen.filter((i) => i.kind === 'volume').length;
    const waitFor = async (condition: () => boolean) => {
      for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 15));
    };
    const written: number[] = [];
    try {
      await new Promise((r) => setTimeout(r, 60));
      for (let f = 0; f < files.length; f++) {
        writeFileSync(path.join(dir, files[f]!.name), files[f]!.bytes);
        if (f === 5) await waitFor(() => volumesSeen() >= 1); // the first slice of TR 1 settles TR 0
        if (f === 9) await waitFor(() => volumesSeen() >= 2); // the last slice of TR 1 completes it
        written.push(volumesSeen());
      }
      await waitFor(() => volumesSeen() >= 3);
    } finally {
      subscription.unsubscribe();
    }
    const volumes = seen.filter((i): i is SourceItem & { kind: 'volume' } => i.kind === 'volume').map((i) => i.volume);
    expect(volumes.map((v) => v.identity.index)).toEqual([0, 1, 2]);
    expect(written[4]).toBe(0); // nothing before TR 0 is known to be whole
    expect(written[5]).toBe(1);
    expect(written[9]).toBe(2);
    const replayed = await replay(files);
    volumes.forEach((v, t) => expect(v.data).toEqual(replayed.volumes[t]!.data));
    expect(codes(seen)).toEqual([]);
  });
});
