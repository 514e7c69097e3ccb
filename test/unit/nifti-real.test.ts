/**
 * Every NIfTI in the shared folder of real scans, read by us and by nibabel: same dims, affine,
 * TR and every voxel value.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { readNifti, readNiftiFile, readNiftiHeaderFile, type NiftiImage } from '../../src/ingest/nifti/index.js';
import { dataPath } from '../helpers/paths.js';
import { flat, nibabelDescribe, type NibabelView } from '../fixtures/nifti/nibabel.js';

interface RealFile {
  readonly path: string[];
  /** TR the stated rule must give (cross-checked against nibabel's pixdim[4] and unit below). */
  readonly tr: number | null;
  readonly warnings: string[];
  readonly affineSource: 'sform' | 'qform';
}

const REAL: RealFile[] = [
  { path: ['rtcloud-faces', 'rtcloud_faces_run01.nii.gz'], tr: 1.5, warnings: [], affineSource: 'sform' },
  // A mask saved as 4D with one frame, sform_code 0: the qform must place it on the run's grid.
  { path: ['rtcloud-faces', 'L_AMYG_thrp5_bin_resampled_space-native.nii.gz'], tr: 1, warnings: [], affineSource: 'qform' },
  ...Array.from({ length: 10 }, (_, i) => ({
    path: ['haxby2001-slice', 'sub-1', 'func', `sub-1_task-objectviewing_run-${String(i + 1).padStart(2, '0')}_bold.nii.gz`],
    tr: 2.5, warnings: [], affineSource: 'sform' as const,
  })),
  { path: ['haxby2001-slice', 'sub-1_space-bold_mask.nii.gz'], tr: 2.5, warnings: [], affineSource: 'sform' },
  // pixdim[4] = 2000 "s", and qform and sform 0.017 mm apart at the far corner.
  { path: ['nibabel', 'example4d.nii.gz'], tr: 2, warnings: ['HEADER_FORM_DISAGREE', 'HEADER_TR_UNITS'], affineSource: 'sform' },
  { path: ['nibabel', 'functional.nii'], tr: 2, warnings: [], affineSource: 'sform' },
  { path: ['nibabel', 'anatomical.nii'], tr: null, warnings: [], affineSource: 'sform' },
  { path: ['siemens-trio-motion-pair', 'Ref', 'ax_asc_35sl_6.nii'], tr: 3, warnings: [], affineSource: 'sform' },
];

/** The TR rule applied to what nibabel reads from the header, so the table above is not our own say-so. */
function trFromNibabel(view: NibabelView): number | null {
  const value = view.pixdim[4] ?? 0;
  if (!(value > 0)) return null;
  if (view.timeUnit === 'msec') return value / 1000;
  if (view.timeUnit === 'usec') return value / 1e6;
  return value >= 100 ? value / 1000 : value;
}

function mismatches(ours: Float32Array, theirs: Float32Array): number {
  let count = 0;
  for (let i = 0; i < ours.length; i++) if (!Object.is(ours[i], theirs[i])) count++;
  return count;
}

function maxAffineDiff(image: NiftiImage, rows: number[][]): number {
  return Math.max(...flat(rows).map((v, i) => Math.abs(v - image.grid.affine[i]!)));
}

describe.each(REAL)('real scan $path.1', (file) => {
  const full = dataPath(...file.path);
  const reference = nibabelDescribe(full);

  it('has nibabel dims, affine, TR and every voxel value', async () => {
    const image = await readNiftiFile(full);
    expect([...image.grid.dims, image.frames]).toEqual([...reference.shape.slice(0, 3), reference.shape[3] ?? 1]);
    expect(maxAffineDiff(image, reference.affine)).toBeLessThanOrEqual(1e-4);
    expect(image.affineSource).toBe(file.affineSource);
    expect(image.repetitionTime).toBe(file.tr);
    if (file.tr !== null && reference.shape.length > 3) expect(trFromNibabel(reference)).toBeCloseTo(file.tr, 9);
    expect(image.warnings.map((w) => w.code).sort()).toEqual(file.warnings);
    expect(image.data.length).toBe(reference.values.length);
    expect(mismatches(image.data, reference.values)).toBe(0);
    let sum = 0;
    for (const v of image.data) sum += v;
    expect(sum).toBeCloseTo(reference.sum!, 0);
  });

  it('reads the same from bytes and from only the header', async () => {
    const fromFile = await readNiftiFile(full);
    const fromBytes = readNifti(readFileSync(full), full);
    const header = await readNiftiHeaderFile(full);
    expect(fromBytes.grid).toEqual(fromFile.grid);
    expect(header.grid).toEqual(fromFile.grid);
    expect(header.frames).toBe(fromFile.frames);
    expect(header.repetitionTime).toBe(fromFile.repetitionTime);
    expect(header.warnings).toEqual(fromFile.warnings);
    expect(header.header.extensions.map((e) => e.size - 8)).toEqual(
      // nibabel reports content lengths; on disk each extension is padded to a multiple of 16.
      reference.extensions.map(([, length]) => Math.ceil((length + 8) / 16) * 16 - 8),
    );
  });
});

describe('real scans together', () => {
  it('K18 anatomical.nii is big-endian and reads as nibabel reads it', async () => {
    const image = await readNiftiFile(dataPath('nibabel', 'anatomical.nii'));
    expect(image.header.byteOrder).toBe('big');
    expect(nibabelDescribe(dataPath('nibabel', 'anatomical.nii')).endianness).toBe('>');
  });

  it('K21 the amygdala ROI (qform only) lands on the run grid (sform) within 0.01 mm', async () => {
    const run = await readNiftiFile(dataPath('rtcloud-faces', 'rtcloud_faces_run01.nii.gz'));
    const roi = await readNiftiFile(dataPath('rtcloud-faces', 'L_AMYG_thrp5_bin_resampled_space-native.nii.gz'));
    const { sameGrid } = await import('../../src/geometry/mat4.js');
    expect(sameGrid(run.grid, roi.grid, 0.01)).toBe(true);
    expect(roi.frames).toBe(1);
    expect(roi.frame(0).reduce((s, v) => s + v, 0)).toBe(242);
  });

  it('K15 functional.nii carries a real scl_slope/scl_inter and values are float32-exact after scaling', async () => {
    const reference = nibabelDescribe(dataPath('nibabel', 'functional.nii'));
    expect(reference.slope).not.toBe(1);
    const image = await readNiftiFile(dataPath('nibabel', 'functional.nii'));
    expect(image.header.sclSlope).toBe(reference.slope);
    expect(image.header.sclInter).toBe(reference.inter);
    expect(mismatches(image.data, reference.values)).toBe(0);
  });
});
