/**
 * The real scans the benchmarks run on (the shared data folder, read only), and the inputs built
 * from them: rt-cloud volumes as WebSocket pushes, and longer 4D runs written to the temp folder.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { endianness } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { VolumePush } from '../../src/generated/boldstream.js';
import { readDicom } from '../../src/ingest/dicom/index.js';
import { readNiftiFile, writeNiftiFile } from '../../src/ingest/nifti/index.js';
import type { Volume } from '../../src/volume.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dataDir = path.resolve(repoRoot, process.env.BOLDSTREAM_BENCH_DATA ?? '../shared/data');

export function dataPath(...parts: string[]): string {
  const p = path.join(dataDir, ...parts);
  if (!existsSync(p)) throw new Error(`benchmark data missing: ${p} (set BOLDSTREAM_BENCH_DATA to the shared data folder)`);
  return p;
}

export const rtcloud = {
  dicomDir: (): string => dataPath('rtcloud-faces', 'dicom'),
  run: (): string => dataPath('rtcloud-faces', 'rtcloud_faces_run01.nii.gz'),
  amygdala: (): string => dataPath('rtcloud-faces', 'L_AMYG_thrp5_bin_resampled_space-native.nii.gz'),
  /** Seconds (the DICOM headers and the dcm2niix sidecar agree). */
  repetitionTime: 1.5,
};

export const haxby = {
  run: (n: number): string => dataPath('haxby2001-slice', 'sub-1', 'func', `sub-1_task-objectviewing_run-${String(n).padStart(2, '0')}_bold.nii.gz`),
  events: (n: number): string => dataPath('haxby2001-slice', 'sub-1', 'func', `sub-1_task-objectviewing_run-${String(n).padStart(2, '0')}_events.tsv`),
  mask: (): string => dataPath('haxby2001-slice', 'sub-1_space-bold_mask.nii.gz'),
};

/** Every file of the rt-cloud DICOM folder as bytes, in name order (the duplicate file included). */
export async function rtcloudDicomFiles(): Promise<{ name: string; bytes: Uint8Array }[]> {
  const dir = rtcloud.dicomDir();
  const names = (await readdir(dir)).filter((n) => n.endsWith('.dcm')).sort();
  return Promise.all(names.map(async (name) => ({ name, bytes: new Uint8Array(await readFile(path.join(dir, name))) })));
}

/** The run's unique volumes in acquisition order (the byte-identical duplicate dropped). */
export async function rtcloudVolumes(): Promise<Omit<Volume, 'receivedAt'>[]> {
  const byIndex = new Map<number, Omit<Volume, 'receivedAt'>>();
  for (const { name, bytes } of await rtcloudDicomFiles()) {
    const { volume } = readDicom(bytes, name);
    if (!byIndex.has(volume.identity.index)) byIndex.set(volume.identity.index, volume);
  }
  return [...byIndex.entries()].sort((a, b) => a[0] - b[0]).map(([, v]) => v);
}

/**
 * A volume as a scanner-side client pushes it (what `boldstream replay --server` sends: float32,
 * little-endian). No acquisition time: a run looped past its end would go back in time, so the run
 * clock uses index × TR, as for a NIfTI replay.
 */
export function toPush(session: string, index: number, volume: Omit<Volume, 'receivedAt'>): VolumePush {
  if (endianness() !== 'LE') throw new Error('the benchmarks push float32 as the host stores it and need a little-endian host');
  const { data, grid } = volume;
  return {
    session,
    index,
    dims: [...grid.dims],
    voxelSize: [...grid.voxelSize],
    affine: Array.from(grid.affine),
    dtype: 'float32',
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    repetitionTime: rtcloud.repetitionTime,
    warnings: [],
  };
}

/**
 * The rt-cloud run (dcm2niix's NIfTI, 10 volumes) repeated in order to `frames` volumes, written as an
 * uncompressed int16 NIfTI (the scanner's own values; gzip would only add inflate time to the replay).
 * Repeated as is, without synthetic motion: each wrap-around (volume 10 → volume 1) is a real, small
 * head movement the motion stage has to follow.
 */
export async function writeRepeatedRun(file: string, frames: number): Promise<void> {
  const image = await readNiftiFile(rtcloud.run());
  const n = image.data.length / image.frames;
  const data = new Int16Array(frames * n);
  for (let t = 0; t < frames; t++) {
    const source = image.frame(t % image.frames);
    for (let i = 0; i < n; i++) data[t * n + i] = source[i]!;
  }
  await writeNiftiFile(file, { grid: image.grid, data, frames, repetitionTime: image.repetitionTime ?? rtcloud.repetitionTime, description: `rt-cloud run repeated to ${frames} volumes` });
}
