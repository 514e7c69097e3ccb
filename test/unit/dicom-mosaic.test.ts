/**
 * The Siemens mosaic reader against dcm2niix, the converter whose NIfTIs the field's masks and references
 * are made from: voxel values identical, affine within 1e-3 mm, slice timing and TR as its sidecar says.
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BoldstreamError } from '../../src/errors.js';
import { toRows } from '../../src/geometry/mat4.js';
import { type DicomVolume, readDicom, readDicomFile } from '../../src/ingest/dicom/index.js';
import { dcm2niix, dicomText, edit, find, readNifti, type ReferenceNifti, uint16Value, withTempDir } from '../helpers/dicom-fixtures.js';
import { dataPath } from '../helpers/paths.js';

const rtDir = () => dataPath('rtcloud-faces', 'dicom');
const trioDir = () => dataPath('siemens-trio-motion-pair', 'In', 'Orientation', 'ax', 'axasc35');

/** Counts voxels that differ from volume t of the reference (exact comparison: both hold integers). */
function mismatches(actual: Float32Array, ref: ReferenceNifti, t: number): number {
  const n = ref.shape[0]! * ref.shape[1]! * ref.shape[2]!;
  expect(actual.length).toBe(n);
  let bad = 0;
  for (let v = 0; v < n; v++) if (actual[v] !== ref.data[t * n + v]) bad++;
  return bad;
}

function affineError(volume: DicomVolume, ref: ReferenceNifti): number {
  const rows = toRows(volume.volume.grid.affine);
  let worst = 0;
  for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) worst = Math.max(worst, Math.abs(rows[r]![c]! - ref.affine[r]![c]!));
  return worst;
}

function sidecar(file: string): { SliceTiming: number[]; RepetitionTime: number } {
  return JSON.parse(readFileSync(file, 'utf8')) as { SliceTiming: number[]; RepetitionTime: number };
}

describe('Siemens Skyra E11 real-time export (rt-cloud), against dcm2niix', () => {
  let ref: ReferenceNifti;
  let volumes: DicomVolume[];
  beforeAll(async () => {
    ref = readNifti(dataPath('rtcloud-faces', 'rtcloud_faces_run01.nii.gz'));
    // Instances 1..10; ..._000000.dcm is a copy of instance 10 that dcm2niix dropped.
    volumes = await Promise.all(Array.from({ length: 10 }, (_, i) => readDicomFile(path.join(rtDir(), `001_000013_${String(i + 1).padStart(6, '0')}.dcm`))));
  });

  it('K05 mosaic slice count from CSA: 27 slices of 64x64 out of a 384x384 mosaic', () => {
    expect(ref.shape).toEqual([64, 64, 27, 10]);
    for (const v of volumes) expect(v.volume.grid.dims).toEqual([64, 64, 27]);
    expect(volumes[0]!.volume.grid.voxelSize).toEqual([3, 3, 4]);
  });

  it('K06 voxel values identical to dcm2niix for all 10 volumes', () => {
    volumes.forEach((v, t) => expect(mismatches(v.volume.data, ref, t), `volume ${t}`).toBe(0));
    // The comparison can tell volumes apart: the next volume differs in most voxels.
    expect(mismatches(volumes[0]!.volume.data, ref, 1)).toBeGreaterThan(10_000);
  });

  it('K06 affine equals dcm2niix (oblique, corner corrected to the first slice) within 1e-3 mm', () => {
    for (const v of volumes) expect(affineError(v, ref)).toBeLessThan(1e-3);
  });

  it('slice timing (interleaved) and TR as dcm2niix reports them; acquisition time from the header', () => {
    const json = sidecar(dataPath('rtcloud-faces', 'rtcloud_faces_run01.json'));
    for (const v of volumes) {
      expect(v.volume.sliceTiming).toHaveLength(27);
      v.volume.sliceTiming!.forEach((s, k) => expect(s).toBeCloseTo(json.SliceTiming[k]!, 6));
      expect(v.volume.repetitionTime).toBe(json.RepetitionTime);
    }
    expect(volumes[0]!.volume.acquisitionTime).toBeCloseTo(12 * 3600 + 47 * 60 + 50.3275, 6); // "12:47:50.327500"
    expect(volumes[1]!.volume.acquisitionTime! - volumes[0]!.volume.acquisitionTime!).toBeCloseTo(1.5, 6);
  });

  it('reports image type, numbers and a summary for inspect', () => {
    const v = volumes[0]!;
    expect(v.imageType).toEqual(['ORIGINAL', 'PRIMARY', 'M', 'ND', 'NORM', 'MOSAIC']);
    expect([v.seriesNumber, v.instanceNumber, v.acquisitionNumber]).toEqual([13, 1, 1]);
    expect(v.summary).toMatchObject({
      manufacturer: 'SIEMENS',
      model: 'Skyra',
      software: 'syngo MR E11',
      seriesDescription: 'func_ses-01_task-faces_run-01',
      repetitionTimeMs: 1500,
      echoTimeMs: 28,
      flipAngleDeg: 64,
      matrix: [64, 64],
      storedMatrix: [384, 384],
      slices: 27,
      voxelSizeMm: [3, 3, 4],
      orientation: { axisCodes: 'LAS', slicePlane: 'transversal' },
      transferSyntax: { uid: '1.2.840.10008.1.2.1', name: 'Explicit VR Little Endian' },
      sopClass: { uid: '1.2.840.10008.5.1.4.1.1.4', name: 'MR Image Storage' },
    });
    expect(v.volume.warnings).toEqual([]);
  });
});

describe('Siemens TrioTim B17 (files named MR.* without extension), against dcm2niix', () => {
  it('K06 voxel values identical and affine within 1e-3 mm for both volumes; slice spacing 3.6, not the 3 mm thickness', async () => {
    const ref = readNifti(dataPath('siemens-trio-motion-pair', 'Ref', 'ax_asc_35sl_6.nii'));
    const files = readdirSync(trioDir()).filter((f) => f.startsWith('MR.'));
    const volumes = (await Promise.all(files.map((f) => readDicomFile(path.join(trioDir(), f))))).sort((a, b) => a.volume.identity.index - b.volume.identity.index);
    expect(volumes.map((v) => v.volume.identity.index)).toEqual([0, 1]);
    expect(ref.shape).toEqual([64, 64, 35, 2]);
    volumes.forEach((v, t) => {
      expect(v.volume.grid.dims).toEqual([64, 64, 35]);
      expect(mismatches(v.volume.data, ref, t), `volume ${t}`).toBe(0);
      expect(affineError(v, ref)).toBeLessThan(1e-3);
    });
    expect(volumes[0]!.volume.grid.voxelSize[2]).toBeCloseTo(3.6, 6);
    // B17 reports per-volume slice times; dcm2niix's sidecar carries those of the second volume.
    const json = sidecar(dataPath('siemens-trio-motion-pair', 'Ref', 'ax_asc_35sl_6.json'));
    volumes[1]!.volume.sliceTiming!.forEach((s, k) => expect(s).toBeCloseTo(json.SliceTiming[k]!, 6));
    expect(volumes[0]!.volume.repetitionTime).toBe(3);
  });
});

describe('Siemens TrioTim diffusion mosaic (nibabel 0.dcm, implicit VR), against dcm2niix run here', () => {
  it('K05 refuses 0.dcm itself: 48 slices need a 7x7 grid, which cannot tile its 256x256 pixels', () => {
    const bytes = readFileSync(dataPath('nibabel', 'dicom', '0.dcm'));
    expect(() => readDicom(bytes, '0.dcm')).toThrow(expect.objectContaining({ code: 'DICOM_MOSAIC_INCONSISTENT' }) as BoldstreamError);
  });

  it('K06 equals dcm2niix voxel for voxel on 0.dcm cut to a whole 7x7 grid of 36x36 tiles', () => {
    const original = new Uint8Array(readFileSync(dataPath('nibabel', 'dicom', '0.dcm')));
    const pixels = find(original, 0x7fe00010)!;
    const cropped = new Uint8Array(252 * 252 * 2);
    for (let r = 0; r < 252; r++) cropped.set(original.subarray(pixels.valueStart + r * 512, pixels.valueStart + r * 512 + 504), r * 504);
    const fixture = edit(original, [
      { tag: 0x00280010, value: uint16Value(252) },
      { tag: 0x00280011, value: uint16Value(252) },
      { tag: 0x7fe00010, value: cropped },
    ]);
    withTempDir((dir) => {
      const input = path.join(dir, 'in');
      const output = path.join(dir, 'out');
      for (const d of [input, output]) mkdirSync(d);
      writeFileSync(path.join(input, 'mosaic.dcm'), fixture);
      const [nii] = dcm2niix(input, output);
      const ref = readNifti(nii!);
      const volume = readDicom(fixture, 'mosaic.dcm');
      expect(ref.shape).toEqual([36, 36, 48]);
      expect(volume.volume.grid.dims).toEqual([36, 36, 48]);
      expect(mismatches(volume.volume.data, ref, 0)).toBe(0);
      expect(affineError(volume, ref)).toBeLessThan(1e-3);
      expect(volume.summary.transferSyntax.name).toBe('Implicit VR Little Endian');
      // nibabel shrank this test file's pixels: 36-pixel tiles cannot hold the 128 acquired lines it states.
      expect(volume.volume.warnings.map((w) => w.code)).toEqual(['DICOM_HEADER_DISAGREE']);
    });
  });
});

describe('K06 slices stacked against i x j (negative determinant, as in Siemens sagittal mosaics)', () => {
  it('equals dcm2niix run here when the CSA slice normal opposes the row x column direction', () => {
    // Reversing the column direction in ImageOrientationPatient turns i x j around while the CSA
    // SliceNormalVector, which the tiles follow, stays: dcm2niix then negates the third affine column.
    const original = new Uint8Array(readFileSync(path.join(rtDir(), '001_000013_000001.dcm')));
    const iop = '0.999714\\-0.00838295\\0.0224008\\-0.00575803\\-0.993375\\-0.114774';
    const fixture = edit(original, [{ tag: 0x00200037, value: dicomText(iop, 'DS') }]);
    withTempDir((dir) => {
      const [input, output] = [path.join(dir, 'in'), path.join(dir, 'out')];
      for (const d of [input, output]) mkdirSync(d);
      writeFileSync(path.join(input, 'flipped.dcm'), fixture);
      const ref = readNifti(dcm2niix(input, output)[0]!);
      const volume = readDicom(fixture, 'flipped.dcm');
      expect(mismatches(volume.volume.data, ref, 0)).toBe(0);
      expect(affineError(volume, ref)).toBeLessThan(1e-3);
      // The tiles still stack along the CSA normal: the k column is that of the unedited file.
      const unedited = readDicom(original).volume.grid.affine;
      for (const r of [0, 1, 2]) expect(volume.volume.grid.affine[r * 4 + 2]).toBeCloseTo(unedited[r * 4 + 2]!, 9);
    });
  });
});
