/**
 * A small simulated subject (docs/simulate.md) made with the command line, as
 * test/integration/feature-training.test.ts makes it: seed 4, 3 training runs and 1 test run of 100
 * volumes (TR 1.5 s, 22 trials each), 32 px images, on the rt-cloud run. About 6 s to simulate.
 */
import path from 'node:path';
import { runCli } from './live-server.js';
import { dataPath } from './paths.js';

export interface SmallSubject {
  readonly root: string;
  readonly mask: string;
  readonly stimuli: string;
  readonly testRun: string;
  readonly testEvents: string;
}

export async function simulateSmallSubject(root: string): Promise<SmallSubject> {
  const made = await runCli(['simulate', '--from', dataPath('rtcloud-faces', 'rtcloud_faces_run01.nii.gz'), '--out', root, '--seed', '4', '--train-runs', '3', '--test-runs', '1', '--volumes-per-run', '100', '--image-size', '32']);
  if (made.code !== 0) throw new Error(`simulate failed: ${made.stderr}`);
  const func = path.join(root, 'sub-sim', 'func');
  return {
    root,
    mask: path.join(func, 'sub-sim_space-bold_desc-visual_mask.nii.gz'),
    stimuli: path.join(root, 'stimuli'),
    testRun: path.join(func, 'sub-sim_task-test_run-01_bold.nii.gz'),
    testEvents: path.join(func, 'sub-sim_task-test_run-01_events.tsv'),
  };
}

/** `boldstream train` on the subject's training runs into `out`; `options` as on the command line (e.g. --feature-space pixels). */
export async function trainFeatureBundle(subject: SmallSubject, out: string, options: readonly string[]): Promise<void> {
  const trained = await runCli(['train', subject.root, '--task', 'train', '--mask', subject.mask, '--out', out, ...options]);
  if (trained.code !== 0) throw new Error(`train failed: ${trained.stderr}`);
}
