/**
 * `simulateSubject`: a real EPI run in, a BIDS dataset of a simulated visual subject out.
 *
 *   real run ──▶ baseline (mean, noise per voxel, grid, TR)
 *                  └─▶ visual region (occipital cap) ──▶ pRFs and weights (retinotopy)
 *   seed ──▶ stimuli (train: patches + textures; test: shapes + letters) ──▶ PNGs
 *                  └─▶ responses of every visual voxel to every stimulus (encoding model)
 *   design ──▶ per run: trials → HRF regressors → signal → motion → drift → noise ──▶ _bold.nii.gz
 *
 * Runs are simulated one after the other; each is compressed and written while the next is computed.
 */
import { readdir } from 'node:fs/promises';
import { BoldstreamError } from '../../errors.js';
import { trainingStimuli, testStimuli } from '../stimuli/sets.js';
import { stream } from '../stimuli/streams.js';
import { readBaseline } from './baseline.js';
import { runStem, writeNiftiGz, writeRunTables, writeStimuli } from './bids.js';
import { maskFile, writeDataset, writeRegion, writeTruth } from './dataset.js';
import { testRun, trainingRun, trialsPerRun, type RunPlan } from './design.js';
import { voxelResponses } from './drive.js';
import { sharedMaps } from './noise.js';
import { simulateOptions, type SimulateInput } from './options.js';
import { tuneVoxels } from './prf.js';
import { chooseVisualRegion } from './region.js';
import { simulateRun, type SubjectModel } from './run.js';

export interface SimulatedSubject {
  readonly root: string;
  readonly runs: readonly { readonly path: string; readonly task: 'train' | 'test'; readonly volumes: number; readonly trials: number }[];
  readonly mask: string;
  readonly regionVoxels: number;
  readonly repetitionTime: number;
  readonly stimuli: { readonly train: number; readonly test: number };
  /** Milliseconds per phase (baseline, stimuli, encoding, runs = simulation + writing), and total. */
  readonly timings: Readonly<Record<string, number>>;
}

/** Refused before any work: a simulated subject mixed into another dataset would corrupt both. */
async function checkFolder(out: string, force: boolean): Promise<void> {
  const entries = await readdir(out).catch(() => null);
  if (entries && entries.length > 0 && !force) throw new BoldstreamError('OUTPUT_NOT_WRITABLE', `${out} is not empty (pass --force to write into it)`);
}

export async function simulateSubject(input: SimulateInput, log: (line: string) => void = () => undefined): Promise<SimulatedSubject> {
  const options = simulateOptions(input);
  const timings: Record<string, number> = {};
  const begin = performance.now();
  let clock = begin;
  const lap = (name: string): void => {
    const now = performance.now();
    timings[name] = Math.round(now - clock);
    clock = now;
  };
  await checkFolder(options.out, options.force);
  const baseline = await readBaseline(options.from);
  const repetitionTime = options.repetitionTime ?? baseline.repetitionTime;
  if (!repetitionTime) throw new BoldstreamError('SIMULATE_INPUT_INVALID', `${options.from} has no repetition time in its header; give --tr`);
  const trials = trialsPerRun(options.volumesPerRun);
  const region = chooseVisualRegion(baseline.mean, baseline.grid, options.roiVoxels, options.brainFraction);
  const tunings = tuneVoxels(region, stream(options.seed, 'retinotopy'));
  lap('baseline');

  const look = { seed: options.seed, size: options.imageSize, colour: options.colour };
  const train = trainingStimuli(look, options.trainRuns * trials);
  const test = options.testRuns > 0 ? testStimuli(look) : [];
  const all = [...train, ...test];
  await writeStimuli(options.out, all);
  lap('stimuli');
  const responses = voxelResponses(all.map((s) => s.picture), all.map((s) => s.set === 'train'), tunings, options.signal);
  lap('encoding');

  const model: SubjectModel = {
    seed: options.seed,
    baseline,
    repetitionTime,
    region: region.indices,
    responses,
    stimulusIndex: new Map(all.map((s, i) => [s.file, i])),
    sharedMaps: sharedMaps(baseline.grid, stream(options.seed, 'noise-maps')),
    noiseScale: options.noiseScale,
    motionScale: options.motionScale,
  };
  const plans: RunPlan[] = [
    ...Array.from({ length: options.trainRuns }, (_, r) =>
      trainingRun(r + 1, train.slice(r * trials, (r + 1) * trials), options.volumesPerRun, repetitionTime, stream(options.seed, 'design', 'train', r + 1)),
    ),
    ...Array.from({ length: options.testRuns }, (_, r) => testRun(r + 1, test, options.volumesPerRun, repetitionTime, stream(options.seed, 'design', 'test', r + 1))),
  ];
  let writing: Promise<void> = Promise.resolve();
  let simulating = 0;
  for (const plan of plans) {
    const started = performance.now();
    const run = simulateRun(model, plan);
    simulating += performance.now() - started;
    await writing; // at most one run waits to be written
    const stem = runStem(options.out, plan);
    writing = writeNiftiGz(`${stem}_bold.nii.gz`, { grid: baseline.grid, data: run.data, frames: plan.volumes, repetitionTime, description: `boldstream simulate ${plan.task} run ${plan.run}` });
    // Awaited on the next turn; this only keeps a failed write from counting as unhandled meanwhile.
    writing.catch(() => undefined);
    await writeRunTables(options.out, plan, repetitionTime, run.poses);
    log(`  ${plan.task} run ${plan.run}: ${plan.volumes} volumes, ${plan.trials.length} trials`);
  }
  await writeRegion(options.out, baseline, region);
  await writeTruth(options.out, options, baseline, region, tunings);
  await writeDataset(options.out, options, baseline, repetitionTime);
  await writing;
  lap('runs');
  timings.simulation = Math.round(simulating);
  timings.total = Math.round(performance.now() - begin);
  return {
    root: options.out,
    runs: plans.map((p) => ({ path: `${runStem(options.out, p)}_bold.nii.gz`, task: p.task, volumes: p.volumes, trials: p.trials.length })),
    mask: maskFile(options.out),
    regionVoxels: region.indices.length,
    repetitionTime,
    stimuli: { train: train.length, test: test.length },
    timings,
  };
}
