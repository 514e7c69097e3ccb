/**
 * The dataset-level files of a simulated subject: BIDS description, participants, a README saying
 * what the data is, the visual-region mask, and the ground truth of the encoding model (each visual
 * voxel's pRF and weights) under `derivatives/simulation/`, where BIDS tools and run discovery do not
 * mistake it for raw data.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { writeNiftiFile } from '../../ingest/nifti/index.js';
import { version } from '../../version.js';
import type { Baseline } from './baseline.js';
import { SUBJECT, tsv, writeJson, writeText } from './bids.js';
import type { SimulateOptions } from './options.js';
import type { VoxelTuning } from './prf.js';
import type { VisualRegion } from './region.js';

export const maskFile = (root: string): string => path.join(root, `sub-${SUBJECT}`, 'func', `sub-${SUBJECT}_space-bold_desc-visual_mask.nii.gz`);
export const tuningFile = (root: string): string => path.join(root, 'derivatives', 'simulation', `sub-${SUBJECT}_desc-encoding_voxels.tsv`);

const generatedBy = [{ Name: 'boldstream simulate', Version: version, Description: 'semi-synthetic visual subject on a real EPI run (docs/simulate.md)' }];

export async function writeDataset(root: string, options: SimulateOptions, baseline: Baseline, repetitionTime: number): Promise<void> {
  await writeJson(path.join(root, 'dataset_description.json'), {
    Name: 'boldstream simulated visual subject',
    BIDSVersion: '1.9.0',
    DatasetType: 'raw',
    GeneratedBy: generatedBy,
  });
  await writeText(path.join(root, 'participants.tsv'), tsv(['participant_id', 'group'], [[`sub-${SUBJECT}`, 'simulated']]));
  await writeText(
    path.join(root, 'README'),
    [
      'A semi-synthetic fMRI subject made by `boldstream simulate`.',
      '',
      `The grid, mean image and per-voxel noise level come from the real run ${path.basename(baseline.file)}`,
      `(${baseline.frames} volumes); the visual responses, drift and head motion are simulated (seed ${options.seed},`,
      `TR ${repetitionTime} s). Task "train": random patches and natural-like textures; task "test": shapes`,
      'and letters. Each run has its true head motion in _motion.tsv; the visual region is',
      `sub-${SUBJECT}/func/sub-${SUBJECT}_space-bold_desc-visual_mask.nii.gz; each visual voxel's receptive field is in`,
      'derivatives/simulation/.',
      '',
    ].join('\n'),
  );
}

export async function writeRegion(root: string, baseline: Baseline, region: VisualRegion): Promise<void> {
  const mask = new Uint8Array(baseline.mean.length);
  for (const v of region.indices) mask[v] = 1;
  await mkdir(path.dirname(maskFile(root)), { recursive: true });
  await writeNiftiFile(maskFile(root), { grid: baseline.grid, data: mask, description: 'simulated visual region' });
}

export async function writeTruth(root: string, options: SimulateOptions, baseline: Baseline, region: VisualRegion, tunings: readonly VoxelTuning[]): Promise<void> {
  const folder = path.join(root, 'derivatives', 'simulation');
  await writeJson(path.join(folder, 'dataset_description.json'), { Name: 'ground truth of the simulated subject', BIDSVersion: '1.9.0', DatasetType: 'derivative', GeneratedBy: generatedBy });
  const [nx, ny] = baseline.grid.dims;
  const rows = tunings.map((t, n) => {
    const v = region.indices[n]!;
    const [x, y, z] = region.positions[n]!;
    return [v, v % nx, Math.floor(v / nx) % ny, Math.floor(v / (nx * ny)), x.toFixed(2), y.toFixed(2), z.toFixed(2), t.u.toFixed(5), t.v.toFixed(5), t.sigma.toFixed(5), t.pixelShare.toFixed(4), t.gain.toFixed(4), t.orientation.toFixed(4), t.orientationDepth.toFixed(4), t.redGreen.toFixed(4), t.blueYellow.toFixed(4)];
  });
  const columns = ['voxel', 'i', 'j', 'k', 'x', 'y', 'z', 'prf_u', 'prf_v', 'prf_sigma', 'pixel_share', 'gain', 'orientation', 'orientation_depth', 'red_green', 'blue_yellow'];
  await writeText(tuningFile(root), tsv(columns, rows));
  await writeJson(path.join(folder, `sub-${SUBJECT}_desc-encoding_model.json`), {
    Description: 'encoding model of the simulated subject; equations in docs/simulate.md',
    Columns: {
      voxel: 'flat index on the run grid (i fastest)',
      'prf_u, prf_v': 'pRF centre; the image spans -1 (left, top) to 1 (right, bottom)',
      prf_sigma: 'pRF standard deviation, same units',
      pixel_share: 'share of the response that is pixel-linear (the rest is compressed contrast energy)',
      gain: 'response gain relative to a typical voxel',
      orientation: 'preferred orientation of the energy share, rad (0 horizontal)',
    },
    OccipitalPole: region.pole,
    SignalPercent: options.signal,
    NoiseScale: options.noiseScale,
    MotionScale: options.motionScale,
    Seed: options.seed,
  });
}
