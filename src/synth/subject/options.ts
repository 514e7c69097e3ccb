/**
 * The options of a simulated subject: one schema, defaults and units beside each field, validated
 * once. The command line maps onto it one to one (commands/simulate.ts).
 */
import { z } from 'zod';
import { BoldstreamError } from '../../errors.js';
import { LEAD_TRS, TAIL_TRS, IMAGE_TRS, BLANK_TRS } from './design.js';

export const simulateOptionsSchema = z
  .object({
    /** The real 4D NIfTI whose grid, mean image and noise the subject takes. */
    from: z.string().min(1),
    /** The BIDS dataset folder to write (created; must be empty unless `force`). */
    out: z.string().min(1),
    /** Everything random (stimuli, retinotopy, noise, motion) follows from it. */
    seed: z.number().int().min(0).max(0xffffffff).default(1),
    trainRuns: z.number().int().min(1).max(40).default(5),
    testRuns: z.number().int().min(0).max(20).default(2),
    /** Stimulus width and height, pixels (64, 112 and 224 are the sizes feature networks take). */
    imageSize: z.number().int().min(16).max(512).default(64),
    colour: z.enum(['rgb', 'grey']).default('rgb'),
    /** Seconds; null takes the input's. */
    repetitionTime: z.number().positive().max(10).nullable().default(null),
    /** Volumes per run: 172 holds 40 trials of 4 TRs plus 12 TRs of rest. */
    volumesPerRun: z.number().int().min(LEAD_TRS + TAIL_TRS + IMAGE_TRS + BLANK_TRS).max(5000).default(172),
    /** RMS response of a typical visual voxel to the training images, percent of baseline (sustained). */
    signal: z.number().min(0).max(20).default(1),
    /** Multiplies the real run's per-voxel noise level. */
    noiseScale: z.number().min(0).max(10).default(1),
    /** Multiplies the simulated head motion; 0 keeps the head still. */
    motionScale: z.number().min(0).max(10).default(1),
    /** Voxels in the visual region. */
    roiVoxels: z.number().int().min(20).max(20000).default(1000),
    /** Threshold of the automatic brain mask the region is chosen in (fraction of the robust maximum). */
    brainFraction: z.number().min(0.01).max(0.9).default(0.25),
    /** Write into a folder that is not empty. */
    force: z.boolean().default(false),
  })
  .strict();

export type SimulateOptions = z.output<typeof simulateOptionsSchema>;
export type SimulateInput = z.input<typeof simulateOptionsSchema>;

export function simulateOptions(input: SimulateInput): SimulateOptions {
  const parsed = simulateOptionsSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`).join('; ');
    throw new BoldstreamError('CLI_USAGE', issues);
  }
  return Object.freeze(parsed.data);
}
