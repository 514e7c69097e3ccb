/**
 * Running written series through boldstream's replay and through dcm2niix, and comparing the two:
 * voxel values (exact, or within float32 rounding where scaling makes floats), affine within 1e-3 mm.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { toRows } from '../../src/geometry/mat4.js';
import type { DicomSeriesRule } from '../../src/ingest/dicom/index.js';
import { openReplaySource } from '../../src/ingest/sources/replay.js';
import type { SourceItem } from '../../src/ingest/sources/source.js';
import type { Volume } from '../../src/volume.js';
import { readNifti, type ReferenceNifti } from './dicom-fixtures.js';
import type { WrittenFile } from './dicom-export.js';

export async function inFolder<T>(files: readonly WrittenFile[], fn: (dir: string) => Promise<T> | T): Promise<T> {
  const dir = mkdtempSync(path.join(tmpdir(), 'boldstream-series-'));
  try {
    for (const f of files) writeFileSync(path.join(dir, f.name), f.bytes);
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface Replayed {
  readonly volumes: Volume[];
  readonly items: SourceItem[];
}

/** What a replay of the files emits (the same path as a live session's source). */
export function replay(files: readonly WrittenFile[], rule?: DicomSeriesRule): Promise<Replayed> {
  return inFolder(files, async (dir) => {
    const source = await openReplaySource(dir, { speed: 0, ...(rule ? { dicom: rule } : {}) });
    const items = await lastValueFrom(source.items().pipe(toArray()));
    const volumes = items.filter((i): i is SourceItem & { kind: 'volume' } => i.kind === 'volume').map((i) => i.volume);
    return { volumes, items };
  });
}

/** dcm2niix's NIfTIs of the files, by name (named series_instance so one file per volume stays apart). */
export function convert(files: readonly WrittenFile[]): Promise<Map<string, ReferenceNifti>> {
  return inFolder(files, (dir) => {
    const out = path.join(dir, 'out');
    mkdirSync(out);
    execFileSync('dcm2niix', ['-b', 'n', '-z', 'n', '-f', '%s_%r', '-o', out, dir], { stdio: 'pipe' });
    return new Map(readdirSync(out).filter((f) => f.endsWith('.nii')).sort().map((f) => [f, readNifti(path.join(out, f))]));
  });
}

/** Voxels of `volume` that differ from volume t of the reference, beyond float32 rounding of the larger value. */
export function mismatches(volume: Volume, ref: ReferenceNifti, t: number): number {
  const n = ref.shape[0]! * ref.shape[1]! * ref.shape[2]!;
  if (volume.data.length !== n) return Number.POSITIVE_INFINITY;
  let bad = 0;
  for (let v = 0; v < n; v++) {
    const [a, b] = [volume.data[v]!, ref.data[t * n + v]!];
    if (a !== b && Math.abs(a - b) > 2e-6 * Math.max(1, Math.abs(b))) bad++;
  }
  return bad;
}

export function affineError(volume: Volume, ref: ReferenceNifti): number {
  const rows = toRows(volume.grid.affine);
  return Math.max(...rows.flatMap((row, r) => row.map((v, c) => Math.abs(v - ref.affine[r]![c]!))));
}

/** Codes of the problems and notices a replay emitted. */
export function codes(items: readonly SourceItem[]): string[] {
  return items.flatMap((i) => (i.kind === 'problem' ? [i.error.code] : i.kind === 'notice' ? [i.warning.code] : []));
}
