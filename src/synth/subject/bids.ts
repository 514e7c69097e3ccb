/**
 * Writing the simulated subject as a BIDS dataset (layout in docs/simulate.md): runs with sidecars and
 * events whose `stim_file` names a PNG under `stimuli/`, the visual-region mask, the true motion of
 * every volume, and the encoding model's ground truth under `derivatives/simulation/`.
 *
 * Runs are gzipped on libuv's thread pool while the next run is being simulated, with Huffman coding
 * only: the low bits of noisy voxels have no repeats for LZ77 to find, so full deflate takes 3× as
 * long (1.2 s against 0.4 s for a 64×64×27×172 run) for files only 9 % smaller.
 */
import { mkdir, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { constants, gzip } from 'node:zlib';
import { BoldstreamError } from '../../errors.js';
import { writeNifti, type NiftiWritable } from '../../ingest/nifti/index.js';
import type { RigidParams } from '../../preprocess/motion/rigid.js';
import { encodePng } from '../png.js';
import type { Stimulus } from '../stimuli/sets.js';
import type { RunPlan } from './design.js';
import { displacements } from './motion.js';

export const SUBJECT = 'sim';
const compress = promisify(gzip);

export function runStem(root: string, plan: Pick<RunPlan, 'task' | 'run'>): string {
  return path.join(root, `sub-${SUBJECT}`, 'func', `sub-${SUBJECT}_task-${plan.task}_run-${String(plan.run).padStart(2, '0')}`);
}

/** Written under a temporary name and renamed, so a folder watcher never sees half a run. */
async function writeAtomically(file: string, bytes: Uint8Array | string): Promise<void> {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(temporary, bytes);
    await rename(temporary, file);
  } catch (thrown) {
    await unlink(temporary).catch(() => undefined);
    throw new BoldstreamError('OUTPUT_NOT_WRITABLE', `${file}: ${(thrown as NodeJS.ErrnoException).code ?? String(thrown)}`, { cause: thrown });
  }
}

export async function writeNiftiGz(file: string, image: NiftiWritable): Promise<void> {
  await writeAtomically(file, await compress(writeNifti(image), { strategy: constants.Z_HUFFMAN_ONLY }));
}

export const writeJson = (file: string, value: unknown): Promise<void> => writeAtomically(file, `${JSON.stringify(value, null, 2)}\n`);

export function tsv(columns: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  return [columns.join('\t'), ...rows.map((r) => r.join('\t'))].join('\n') + '\n';
}

export const writeText = (file: string, text: string): Promise<void> => writeAtomically(file, text);

export async function writeStimuli(root: string, stimuli: readonly Stimulus[]): Promise<void> {
  for (const s of stimuli) await writeAtomically(path.join(root, 'stimuli', s.file), encodePng(s.picture));
}

const motionDescription = {
  trans_x: { Description: 'true head translation along world x (RAS+), from the first volume', Units: 'mm' },
  trans_y: { Description: 'true head translation along world y', Units: 'mm' },
  trans_z: { Description: 'true head translation along world z', Units: 'mm' },
  rot_x: { Description: 'true head rotation about world x through the middle of the field of view; R = Rx·Ry·Rz', Units: 'rad' },
  rot_y: { Description: 'true head rotation about world y', Units: 'rad' },
  rot_z: { Description: 'true head rotation about world z', Units: 'rad' },
  framewise_displacement: { Description: 'Power et al. (2012) framewise displacement, head radius 50 mm', Units: 'mm' },
};

/** Seconds to 6 significant digits: exact for onsets that are multiples of a TR like 1.5 or 2. */
const seconds = (s: number): string => String(Number(s.toPrecision(6)));

export async function writeRunTables(root: string, plan: RunPlan, repetitionTime: number, poses: readonly RigidParams[]): Promise<void> {
  const stem = runStem(root, plan);
  await writeJson(`${stem}_bold.json`, {
    TaskName: plan.task,
    RepetitionTime: repetitionTime,
    TaskDescription: plan.task === 'train' ? 'random patch patterns and natural-like textures, each shown once' : 'shapes and letters, each shown several times',
  });
  const events = plan.trials.map((t) => [seconds(t.onset), seconds(t.duration), t.stimulus.kind, t.stimulus.file]);
  await writeText(`${stem}_events.tsv`, tsv(['onset', 'duration', 'trial_type', 'stim_file'], events));
  const fd = displacements(poses);
  // Radians to 8 decimals (0.000001°), mm to 6: rounding stays far below any registration's precision.
  const rows = poses.map((p, t) => [...[p.trans_x, p.trans_y, p.trans_z].map((v) => v.toFixed(6)), ...[p.rot_x, p.rot_y, p.rot_z].map((v) => v.toFixed(8)), fd[t]!.toFixed(6)]);
  await writeText(`${stem}_motion.tsv`, tsv(['trans_x', 'trans_y', 'trans_z', 'rot_x', 'rot_y', 'rot_z', 'framewise_displacement'], rows));
  await writeJson(`${stem}_motion.json`, motionDescription);
}
