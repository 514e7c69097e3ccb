/**
 * The feature half of `boldstream train`: its options, and what it prints. commands/train.ts
 * routes here when the runs' events name stimulus images (a `stim_file` column) or `--decode
 * features` is given.
 */
import path from 'node:path';
import type { CommandContext } from '../cli.js';
import { BoldstreamError } from '../errors.js';
import { readEvents } from '../ingest/bids/index.js';
import type { FeatureTransform } from '../preprocess/temporal.js';
import { BUNDLED_NETWORKS, type BundledNetworkName, type PreprocessingName } from '../recon/network/index.js';
import type { NetworkChoice } from './feature-stimuli.js';
import { trainFeatureDecoders } from './feature-train.js';

export const featureTrainOptions = {
  'feature-space': { type: 'string' },
  preprocessing: { type: 'string' },
  layers: { type: 'string' },
  units: { type: 'string' },
  'input-size': { type: 'string' },
  pixels: { type: 'string' },
  'pixels-color': { type: 'string' },
  voxels: { type: 'string' },
  seed: { type: 'string' },
  stimuli: { type: 'string' },
  strength: { type: 'string' },
} as const;

export const featureTrainUsage =
  '[--decode classes|features] [--feature-space mobilenet_v2|inception_v3|pixels|MODEL.json [--preprocessing unit|symmetric|caffe|torch]] ' +
  '[--layers a,b] [--units 1000] [--input-size PX] [--pixels 32] [--pixels-color rgb|gray] [--voxels 500] [--seed 1] [--stimuli DIR] [--strength LAMBDA]';

/** True when some run's events table has a `stim_file` (the BIDS column naming each event's image). */
export async function eventsNameStimuli(eventFiles: readonly string[]): Promise<boolean> {
  for (const file of eventFiles) if ((await readEvents(file)).some((e) => typeof e.stim_file === 'string')) return true;
  return false;
}

/** The entries that are set: exactOptionalPropertyTypes-style requests take no undefined values. */
const defined = <T extends object>(o: T): Partial<T> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

function positive(ctx: CommandContext, name: string): number | undefined {
  const text = ctx.values[name];
  if (typeof text !== 'string') return undefined;
  const n = Number(text);
  if (!(Number.isInteger(n) && n >= 1)) throw new BoldstreamError('CLI_USAGE', `--${name} is a positive whole number, not "${text}"`);
  return n;
}

function networkChoice(ctx: CommandContext): NetworkChoice {
  const given = typeof ctx.values['feature-space'] === 'string' ? ctx.values['feature-space'] : 'mobilenet_v2';
  if (given === 'pixels' || given in BUNDLED_NETWORKS) return given as 'pixels' | BundledNetworkName;
  if (!given.endsWith('.json')) throw new BoldstreamError('CLI_USAGE', `--feature-space is pixels, ${Object.keys(BUNDLED_NETWORKS).join(', ')} or a model.json path, not "${given}"`);
  const preprocessing = ctx.values.preprocessing;
  // A wrong preprocessing does not fail, it silently gives worse features (docs/feature-networks.md).
  if (preprocessing !== 'unit' && preprocessing !== 'symmetric' && preprocessing !== 'caffe' && preprocessing !== 'torch') {
    throw new BoldstreamError('CLI_USAGE', `${given}: --preprocessing unit|symmetric|caffe|torch is required (the input scaling the network was trained with)`);
  }
  return { modelJson: path.resolve(given), preprocessing: preprocessing satisfies PreprocessingName };
}

export async function trainFeaturesCommand(ctx: CommandContext, request: { runs: string[]; mask: string; out: string; features: FeatureTransform; hrfDelaySec: number | 'auto' }): Promise<number> {
  const color = ctx.values['pixels-color'] ?? 'rgb';
  if (color !== 'rgb' && color !== 'gray') throw new BoldstreamError('CLI_USAGE', '--pixels-color is rgb or gray');
  const layers = typeof ctx.values.layers === 'string' ? ctx.values.layers.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
  const network = networkChoice(ctx);
  const stimuliDir = typeof ctx.values.stimuli === 'string' ? path.resolve(ctx.values.stimuli) : undefined;
  // A fixed strength skips cross-validation, which needs two runs at least.
  const strength = typeof ctx.values.strength === 'string' ? Number(ctx.values.strength) : undefined;
  if (strength !== undefined && !(strength > 0 && Number.isFinite(strength))) throw new BoldstreamError('CLI_USAGE', `--strength is a positive number, not "${String(ctx.values.strength)}"`);
  console.error(`training feature decoders (${typeof network === 'string' ? network : network.modelJson}) on ${request.runs.length} runs...`);
  const bundle = await trainFeatureDecoders({
    ...request,
    pipeline: ctx.config.pipeline,
    backend: ctx.config.computeBackend,
    space: {
      network,
      pixelsColor: color,
      ...defined({ layers, units: positive(ctx, 'units'), inputSize: positive(ctx, 'input-size'), pixels: positive(ctx, 'pixels'), seed: positive(ctx, 'seed') }),
    },
    ...defined({ voxels: positive(ctx, 'voxels'), stimuliDir, strength }),
    onRun: (s) => console.error(`  ${s.run}: ${s.rows} TRs${s.skipped ? `, ${s.skipped} unusable` : ''}`),
    onDelay: (d, r) => console.error(`  HRF shift ${d.toFixed(1)} s: cross-validated pixels profile correlation ${r.toFixed(3)}`),
    onLayer: (l) =>
      console.error(`  ${l.name}: ${l.units} units, strength ${l.strength.toPrecision(3)}${l.profileCorrelation !== null ? `, cross-validated profile correlation ${l.profileCorrelation.toFixed(3)}` : ''} (${l.seconds.toFixed(1)} s)`),
  });
  console.error(`${bundle.training.samples} trial samples of ${bundle.training.stimuli} images; HRF shift ${bundle.hrfDelaySec} s; ${bundle.voxelIndices.length} voxels read`);
  console.error(`feature bundle written to ${request.out}`);
  return 0;
}
