/**
 * A synthetic scanning session, made when no real scans are at hand (a fresh clone without the data
 * folder): a head phantom that moves (known rigid motion), a visual region whose activity pattern
 * depends on the category shown, canonical-HRF blocks, drift and noise; written as a BIDS dataset
 * (int16 `_bold.nii.gz`, sidecar with RepetitionTime, `_events.tsv`), plus the region's mask and the
 * true motion of every volume.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fromRows } from '../geometry/mat4.js';
import { writeNiftiFile } from '../ingest/nifti/index.js';
import type { VoxelGrid } from '../volume.js';
import { blockResponse } from './hrf.js';
import { ActivityPattern, Phantom } from './phantom.js';
import { Random } from './random.js';

export interface SyntheticOptions {
  readonly seed: number;
  readonly runs: number;
  readonly categories: readonly string[];
  readonly repetitionTime: number;
  /** Block length and rest between blocks, s. */
  readonly blockSec: number;
  readonly restSec: number;
  /** Blocks of each category per run. */
  readonly repeats: number;
  /** Peak signal change of the activity patterns, as a fraction of baseline. */
  readonly signal: number;
  /** Noise standard deviation as a fraction of the mean brain intensity. */
  readonly noise: number;
}

export const defaultSyntheticOptions: SyntheticOptions = {
  seed: 2001,
  runs: 4,
  categories: ['face', 'house', 'chair', 'shoe'],
  repetitionTime: 2,
  blockSec: 12,
  restSec: 10,
  repeats: 2,
  signal: 0.006,
  noise: 0.02,
};

export interface SyntheticSession {
  readonly root: string;
  readonly runs: readonly string[];
  readonly mask: string;
  readonly grid: VoxelGrid;
}

const DIMS = [40, 48, 32] as const;
const VOXEL = 4;
const REGION = { centre: [0, -62, 4] as const, radius: 22 };

export function syntheticGrid(): VoxelGrid {
  // Stored left-to-right flipped (negative x step) like most scanner exports, centred on the head.
  const [nx, ny, nz] = DIMS;
  const affine = fromRows([
    [-VOXEL, 0, 0, ((nx - 1) * VOXEL) / 2],
    [0, VOXEL, 0, (-(ny - 1) * VOXEL) / 2],
    [0, 0, VOXEL, (-(nz - 1) * VOXEL) / 2],
    [0, 0, 0, 1],
  ]);
  return { dims: [nx, ny, nz], voxelSize: [VOXEL, VOXEL, VOXEL], affine };
}

interface Pose {
  trans: [number, number, number];
  rot: [number, number, number];
}

/** Slow drift plus one sudden movement per run, within what a cooperative participant does. */
function motionPath(random: Random, volumes: number): Pose[] {
  const poses: Pose[] = [];
  const pose: Pose = { trans: [0, 0, 0], rot: [0, 0, 0] };
  const jerkAt = Math.floor(volumes * random.uniform(0.4, 0.8));
  for (let t = 0; t < volumes; t++) {
    if (t > 0) {
      for (let a = 0; a < 3; a++) {
        pose.trans[a] = pose.trans[a]! * 0.98 + random.gaussian() * 0.04;
        pose.rot[a] = pose.rot[a]! * 0.98 + random.gaussian() * 0.0007;
      }
      if (t === jerkAt) {
        pose.trans[2] += 1.2;
        pose.rot[0] += 0.015;
      }
    }
    poses.push({ trans: [...pose.trans], rot: [...pose.rot] });
  }
  return poses;
}

/** Rotation matrix Rx·Ry·Rz (row-major 3x3). */
function rotation([a, b, c]: readonly [number, number, number]): number[] {
  const [ca, sa, cb, sb, cc, sc] = [Math.cos(a), Math.sin(a), Math.cos(b), Math.sin(b), Math.cos(c), Math.sin(c)];
  return [cb * cc, -cb * sc, sb, sa * sb * cc + ca * sc, -sa * sb * sc + ca * cc, -sa * cb, -ca * sb * cc + sa * sc, ca * sb * sc + sa * cc, ca * cb];
}

function schedule(random: Random, options: SyntheticOptions): { onset: number; duration: number; trial_type: string }[] {
  const order = random.shuffle(Array.from({ length: options.repeats }, () => [...options.categories]).flat());
  return order.map((trial_type, i) => ({ onset: options.restSec + i * (options.blockSec + options.restSec), duration: options.blockSec, trial_type }));
}

export async function makeSyntheticSession(root: string, overrides: Partial<SyntheticOptions> = {}): Promise<SyntheticSession> {
  const options = { ...defaultSyntheticOptions, ...overrides };
  const random = new Random(options.seed);
  const phantom = new Phantom(options.seed);
  const patterns = new Map(options.categories.map((c) => [c, new ActivityPattern(random, REGION)]));
  const grid = syntheticGrid();
  const [nx, ny, nz] = grid.dims;
  const a = grid.affine;
  const func = path.join(root, 'sub-synth', 'func');
  await mkdir(func, { recursive: true });

  const mask = new Uint8Array(nx * ny * nz);
  for (let k = 0, v = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++, v++) {
        const x = a[0]! * i + a[3]!, y = a[5]! * j + a[7]!, z = a[10]! * k + a[11]!;
        if (Math.hypot(x - REGION.centre[0], y - REGION.centre[1], z - REGION.centre[2]) < REGION.radius + 6 && phantom.intensity(x, y, z) > 500) mask[v] = 1;
      }
  const maskPath = path.join(root, 'sub-synth_space-bold_mask.nii.gz');
  await writeNiftiFile(maskPath, { grid, data: mask, description: 'synthetic visual region' });

  const runs: string[] = [];
  for (let run = 1; run <= options.runs; run++) {
    const events = schedule(random, options);
    const last = events[events.length - 1]!;
    const volumes = Math.ceil((last.onset + last.duration + 14) / options.repetitionTime);
    const times = Array.from({ length: volumes }, (_, t) => t * options.repetitionTime);
    const responses = new Map(options.categories.map((c) => [c, blockResponse(times, events.filter((e) => e.trial_type === c))]));
    const poses = motionPath(random, volumes);
    const data = new Int16Array(nx * ny * nz * volumes);
    for (let t = 0; t < volumes; t++) {
      const R = rotation(poses[t]!.rot);
      const [tx, ty, tz] = poses[t]!.trans;
      const drift = 1 + 0.01 * (t / volumes);
      const active = options.categories.map((c) => ({ pattern: patterns.get(c)!, amplitude: responses.get(c)![t]! })).filter((p) => p.amplitude > 0.01);
      for (let k = 0, v = 0; k < nz; k++)
        for (let j = 0; j < ny; j++)
          for (let i = 0; i < nx; i++, v++) {
            // Scanner position → tissue position: the head moved by x_scan = R·x_tissue + t.
            const px = a[0]! * i + a[3]! - tx, py = a[5]! * j + a[7]! - ty, pz = a[10]! * k + a[11]! - tz;
            const x = R[0]! * px + R[3]! * py + R[6]! * pz, y = R[1]! * px + R[4]! * py + R[7]! * pz, z = R[2]! * px + R[5]! * py + R[8]! * pz;
            const base = phantom.intensity(x, y, z);
            let change = 0;
            if (Math.abs(y - REGION.centre[1]) < REGION.radius + 20) for (const p of active) change += p.amplitude * p.pattern.at(x, y, z);
            const value = base * drift * (1 + options.signal * change) + random.gaussian() * options.noise * 800;
            data[t * nx * ny * nz + v] = Math.max(0, Math.min(32767, Math.round(value)));
          }
    }
    const stem = path.join(func, `sub-synth_task-objects_run-${String(run).padStart(2, '0')}`);
    await writeNiftiFile(`${stem}_bold.nii.gz`, { grid, data, frames: volumes, repetitionTime: options.repetitionTime, description: 'boldstream synthetic run' });
    await writeFile(`${stem}_bold.json`, JSON.stringify({ RepetitionTime: options.repetitionTime, TaskName: 'objects', SyntheticMotion: 'see _motion.tsv' }, null, 1));
    await writeFile(`${stem}_events.tsv`, ['onset\tduration\ttrial_type', ...events.map((e) => `${e.onset}\t${e.duration}\t${e.trial_type}`)].join('\n') + '\n');
    await writeFile(
      `${stem}_motion.tsv`,
      ['trans_x\ttrans_y\ttrans_z\trot_x\trot_y\trot_z', ...poses.map((p) => [...p.trans, ...p.rot].map((n) => n.toFixed(6)).join('\t'))].join('\n') + '\n',
    );
    runs.push(`${stem}_bold.nii.gz`);
  }
  await writeFile(path.join(root, 'dataset_description.json'), JSON.stringify({ Name: 'boldstream synthetic session', BIDSVersion: '1.9.0', DatasetType: 'raw' }, null, 1));
  return { root, runs, mask: maskPath, grid };
}
