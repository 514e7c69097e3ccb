import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNiftiFile, streamNiftiFrames } from '../../src/ingest/nifti/index.js';
import { dataPath } from '../helpers/paths.js';

describe('streamed NIfTI frames', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'nifti-stream-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function collect(file: string): Promise<Float32Array[]> {
    const stream = await streamNiftiFrames(file);
    const out: Float32Array[] = [];
    for await (const f of stream.frames()) out.push(f.data);
    return out;
  }

  it('gives the same frames as reading the whole file, gzip or not', async () => {
    const gz = dataPath('rtcloud-faces', 'rtcloud_faces_run01.nii.gz');
    const plain = path.join(dir, 'run.nii');
    await writeFile(plain, gunzipSync(await readFile(gz)));
    const whole = await readNiftiFile(gz);
    for (const file of [gz, plain]) {
      const frames = await collect(file);
      expect(frames).toHaveLength(whole.frames);
      frames.forEach((f, t) => expect(f).toEqual(whole.frame(t)));
    }
  });

  it('K19 a file cut short gives the frames it holds, then NIFTI_TRUNCATED', async () => {
    const plain = path.join(dir, 'cut.nii');
    const bytes = gunzipSync(await readFile(dataPath('rtcloud-faces', 'rtcloud_faces_run01.nii.gz')));
    const frameBytes = 64 * 64 * 27 * 2;
    await writeFile(plain, bytes.subarray(0, 352 + 3 * frameBytes + 100));
    const stream = await streamNiftiFrames(plain);
    const got: number[] = [];
    await expect(
      (async () => {
        for await (const f of stream.frames()) got.push(f.index);
      })(),
    ).rejects.toMatchObject({ code: 'NIFTI_TRUNCATED' });
    expect(got).toEqual([0, 1, 2]);
  });

  it('K19 a gzip cut inside its header (a stub of a few bytes, or the real file cut at 200 bytes) is NIFTI_GZIP_CORRUPT, not an internal error', async () => {
    const stub = path.join(dir, 'stub.nii.gz');
    await writeFile(stub, Buffer.from([0x1f, 0x8b, 0x08, 0x00]));
    await expect(streamNiftiFrames(stub)).rejects.toMatchObject({ code: 'NIFTI_GZIP_CORRUPT' });
    const cut = path.join(dir, 'cut-header.nii.gz');
    await writeFile(cut, (await readFile(dataPath('rtcloud-faces', 'rtcloud_faces_run01.nii.gz'))).subarray(0, 200));
    await expect(streamNiftiFrames(cut)).rejects.toMatchObject({ code: 'NIFTI_GZIP_CORRUPT' });
  });
});
