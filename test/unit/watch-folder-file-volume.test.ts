/**
 * One file of a watched folder → volume, not yet, broken, or not an image: decided by content, with the
 * TR named from the header as soon as the header holds it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { identity4 } from '../../src/geometry/mat4.js';
import { readDicom } from '../../src/ingest/dicom/index.js';
import { writeNifti } from '../../src/ingest/nifti/index.js';
import { readVolumeFile } from '../../src/ingest/sources/file-volume.js';
import { dicomText, edit, find, uint16Value } from '../helpers/dicom-fixtures.js';
import { dataPath } from '../helpers/paths.js';

const rtBytes = (n: number) => new Uint8Array(readFileSync(path.join(dataPath('rtcloud-faces', 'dicom'), `001_000013_${String(n).padStart(6, '0')}.dcm`)));
const grid = { dims: [4, 4, 3] as const, voxelSize: [2, 2, 2] as const, affine: identity4() };
const nifti = (value: number, options: { gzip?: boolean; frames?: number; dims?: readonly [number, number, number] } = {}) => {
  const dims = options.dims ?? grid.dims;
  const frames = options.frames ?? 1;
  return writeNifti({ grid: { ...grid, dims }, data: new Float32Array(dims[0] * dims[1] * dims[2] * frames).fill(value), frames, repetitionTime: 2 }, { gzip: options.gzip ?? false });
};

describe('readVolumeFile', () => {
  it('K01 no prefix of a real DICOM file is a volume; once past InstanceNumber the header names the TR', () => {
    const bytes = rtBytes(5);
    const instanceEnd = find(bytes, 0x00200013)!.end;
    const whole = readDicom(bytes).volume.identity;
    for (const cut of [0, 1, 64, 131, 132, 200, 1000, instanceEnd - 1, instanceEnd, 20_000, 162_000, 300_000, bytes.length - 1]) {
      const reading = readVolumeFile(`/export/f${cut}`, bytes.subarray(0, cut));
      expect(reading.kind, `cut at ${cut}`).toBe('incomplete');
      if (reading.kind !== 'incomplete') continue;
      expect(reading.header?.identity ?? null, `cut at ${cut}`).toEqual(cut >= instanceEnd ? whole : null);
      expect(reading.error.message).not.toContain('/export');
    }
  });

  it('K13 the content decides, not the name; receivedAt is taken when the file has parsed', () => {
    const bytes = rtBytes(3);
    let calls = 0;
    const reading = readVolumeFile('/export/volume_0009.nii.gz', bytes, () => (calls++, 1234));
    expect(reading.kind).toBe('volume');
    if (reading.kind !== 'volume') return;
    expect(reading.volume.identity).toEqual(readDicom(bytes).volume.identity);
    expect(reading.volume.identity.index).toBe(2);
    expect(reading.volume.receivedAt).toBe(1234);
    expect(reading.seriesNumber).toBe(13);
    expect(calls).toBe(1);
  });

  it('K04 text, junk, reports and single-slice images are not images; an empty file is not yet anything', () => {
    const junk = new Uint8Array(4096).map((_, i) => (i * 7919) % 251);
    expect(readVolumeFile('notes.txt', new TextEncoder().encode('see the log')).kind).toBe('not-image');
    expect(readVolumeFile('log.txt', new TextEncoder().encode('line\n'.repeat(100))).kind).toBe('not-image');
    expect(readVolumeFile('data.bin', junk).kind).toBe('not-image');
    const report = edit(rtBytes(1), [
      { tag: 0x00020002, value: dicomText('1.2.840.10008.5.1.4.1.1.88.11', 'UI') },
      { tag: 0x00080016, value: dicomText('1.2.840.10008.5.1.4.1.1.88.11', 'UI') },
    ]);
    expect(readVolumeFile('report.dcm', report)).toMatchObject({ kind: 'not-image', reason: expect.stringContaining('report.dcm') });
    const localiser = edit(rtBytes(1), [{ tag: 0x00080008, value: dicomText('ORIGINAL\\PRIMARY\\M\\ND', 'CS') }]);
    expect(readVolumeFile('localiser.dcm', localiser).kind).toBe('not-image');
    expect(readVolumeFile('empty.dcm', new Uint8Array(0)).kind).toBe('incomplete');
  });

  it('K29 a broken image of the run is invalid, with its TR when the header names it', () => {
    const reading = readVolumeFile('bad.dcm', edit(rtBytes(4), [{ tag: 0x00280010, value: uint16Value(0) }]));
    expect(reading).toMatchObject({ kind: 'invalid', error: { code: 'DICOM_MALFORMED' }, header: { identity: { index: 3 }, seriesNumber: 13 } });
  });

  it('K19 a single-volume NIfTI is read by content (gzip or not); a cut gzip is incomplete; a 4D run is not a volume', () => {
    const plain = readVolumeFile('a.nii.gz', nifti(5));
    const packed = readVolumeFile('b.nii', nifti(5, { gzip: true }));
    expect(plain.kind).toBe('unindexed');
    expect(packed.kind).toBe('unindexed');
    if (plain.kind !== 'unindexed' || packed.kind !== 'unindexed') return;
    expect(plain.volume.data).toEqual(new Float32Array(48).fill(5));
    expect(plain.volume.acquisitionTime).toBeNull();
    expect(plain.series).toBe(packed.series); // same grid, same series
    const again = readVolumeFile('c.nii', nifti(5));
    expect(again.kind === 'unindexed' && again.instance).toBe(plain.instance); // same content, same instance (K12)
    const other = readVolumeFile('mask.nii', nifti(1, { dims: [8, 8, 3] }));
    expect(other.kind === 'unindexed' && other.series).not.toBe(plain.series);
    const gz = nifti(5, { gzip: true });
    expect(readVolumeFile('d.nii.gz', gz.subarray(0, gz.length - 6)).kind).toBe('incomplete');
    expect(readVolumeFile('e.nii', nifti(5).subarray(0, 300)).kind).toBe('incomplete');
    expect(readVolumeFile('run.nii', nifti(5, { frames: 3 }))).toMatchObject({ kind: 'not-image', reason: expect.stringContaining('4D') });
  });
});
