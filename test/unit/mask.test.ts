import { describe, expect, it } from 'vitest';
import { identity4 } from '../../src/geometry/mat4.js';
import { readDicomFile } from '../../src/ingest/dicom/index.js';
import { readNiftiFile } from '../../src/ingest/nifti/index.js';
import { autoBrainMask, maskFromImage, unionOf } from '../../src/preprocess/mask.js';
import { dataPath } from '../helpers/paths.js';

describe('automatic brain mask', () => {
  it('on a real EPI volume, holds the amygdala ROI and a head-sized volume', async () => {
    const { volume } = await readDicomFile(dataPath('rtcloud-faces', 'dicom', '001_000013_000001.dcm'));
    const brain = autoBrainMask(volume.data, volume.grid, 0.25);
    const roi = await readNiftiFile(dataPath('rtcloud-faces', 'L_AMYG_thrp5_bin_resampled_space-native.nii.gz'));
    const amygdala = maskFromImage('amygdala', { grid: roi.grid, data: roi.frame(0) }, volume.grid);
    const inBrain = new Set(brain.indices);
    const covered = Array.from(amygdala.indices).filter((v) => inBrain.has(v)).length;
    expect(covered / amygdala.indices.length).toBeGreaterThan(0.95);
    // 3 x 3 x 4 mm voxels; the 108 mm slab holds several hundred cm³ of head, never the whole field of view.
    const cm3 = (brain.indices.length * 36) / 1000;
    expect(cm3).toBeGreaterThan(400);
    expect(cm3).toBeLessThan(0.8 * ((64 * 64 * 27 * 36) / 1000));
  });

  it('drops isolated bright voxels outside the head', () => {
    const dims = [10, 10, 10] as const;
    const data = new Float32Array(1000);
    for (let k = 2; k < 8; k++) for (let j = 2; j < 8; j++) for (let i = 2; i < 8; i++) data[i + 10 * j + 100 * k] = 100;
    data[0] = 100; // a lone speck in a corner
    const brain = autoBrainMask(data, { dims, voxelSize: [1, 1, 1], affine: identity4() }, 0.25);
    expect(brain.indices).not.toContain(0);
    expect(brain.indices.length).toBeGreaterThan(200);
  });

  it('MASK_EMPTY for a volume without signal', () => {
    expect(() => autoBrainMask(new Float32Array(8), { dims: [2, 2, 2], voxelSize: [1, 1, 1], affine: identity4() }, 0.25)).toThrow(/MASK_EMPTY|no positive/);
  });
});

describe('ROI masks', () => {
  it('MASK_GRID_MISMATCH for a mask of another grid (the Haxby mask on the rt-cloud run)', async () => {
    const { volume } = await readDicomFile(dataPath('rtcloud-faces', 'dicom', '001_000013_000001.dcm'));
    const haxby = await readNiftiFile(dataPath('haxby2001-slice', 'sub-1_space-bold_mask.nii.gz'));
    expect(() => maskFromImage('vt', { grid: haxby.grid, data: haxby.frame(0) }, volume.grid)).toThrow(/MASK_GRID_MISMATCH|not on the voxel grid/);
  });

  it('unions index lists and tells where each list lives in the union', () => {
    const { union, positions } = unionOf([Uint32Array.of(5, 9), Uint32Array.of(1, 9, 12)]);
    expect(Array.from(union)).toEqual([1, 5, 9, 12]);
    expect(positions.map((p) => Array.from(p))).toEqual([[1, 2], [0, 2, 3]]);
  });
});
