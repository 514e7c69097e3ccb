/**
 * `boldstream simulate`: a semi-synthetic visual subject on a real EPI run, written as BIDS, for
 * proving image reconstruction without an image-viewing dataset (docs/simulate.md).
 */
import type { CommandContext } from '../cli.js';
import { BoldstreamError } from '../errors.js';
import { simulateSubject } from '../synth/subject/simulate.js';
import { numberOption, stringOption } from './options.js';

export const simulateCommand = {
  summary: 'Build a simulated visual subject on a real 4D EPI (BIDS runs, events with stim_file, stimulus PNGs, visual mask, true motion).',
  usage:
    'boldstream simulate --from RUN.nii.gz --out DIR [--seed 1] [--train-runs 5] [--test-runs 2] [--image-size 64] [--colour rgb|grey] ' +
    '[--tr SECONDS] [--volumes-per-run 172] [--signal 1] [--noise-scale 1] [--motion-scale 1] [--roi-voxels 1000] [--force]',
  options: {
    from: { type: 'string' },
    out: { type: 'string' },
    seed: { type: 'string' },
    'train-runs': { type: 'string' },
    'test-runs': { type: 'string' },
    'image-size': { type: 'string' },
    colour: { type: 'string' },
    tr: { type: 'string' },
    'volumes-per-run': { type: 'string' },
    signal: { type: 'string' },
    'noise-scale': { type: 'string' },
    'motion-scale': { type: 'string' },
    'roi-voxels': { type: 'string' },
    force: { type: 'boolean' },
  },
  run: simulate,
} as const;

async function simulate(ctx: CommandContext): Promise<number> {
  const from = stringOption(ctx.values, 'from');
  const out = stringOption(ctx.values, 'out');
  if (!from || !out || ctx.positionals.length > 0) throw new BoldstreamError('CLI_USAGE', `usage: ${simulateCommand.usage}`);
  const colour = stringOption(ctx.values, 'colour');
  if (colour !== undefined && colour !== 'rgb' && colour !== 'grey') throw new BoldstreamError('CLI_USAGE', '--colour is rgb or grey');
  const number = (name: string): number | undefined => numberOption(ctx.values, name);
  const defined = <T extends object>(o: T): Partial<T> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
  console.error(`simulating a visual subject on ${from}...`);
  const subject = await simulateSubject(
    {
      from,
      out,
      ...defined({
        seed: number('seed'),
        trainRuns: number('train-runs'),
        testRuns: number('test-runs'),
        imageSize: number('image-size'),
        colour,
        repetitionTime: number('tr'),
        volumesPerRun: number('volumes-per-run'),
        signal: number('signal'),
        noiseScale: number('noise-scale'),
        motionScale: number('motion-scale'),
        roiVoxels: number('roi-voxels'),
      }),
      force: ctx.values.force === true,
      brainFraction: ctx.config.pipeline.autoMaskFraction,
    },
    (line) => console.error(line),
  );
  const t = subject.timings;
  console.error(`visual region: ${subject.regionVoxels} voxels (${subject.mask})`);
  console.error(`stimuli: ${subject.stimuli.train} training, ${subject.stimuli.test} test; TR ${subject.repetitionTime} s`);
  console.error(`done in ${((t.total ?? 0) / 1000).toFixed(1)} s (simulation ${((t.simulation ?? 0) / 1000).toFixed(1)} s); dataset written to ${subject.root}`);
  return 0;
}
