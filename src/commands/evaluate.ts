/**
 * `boldstream evaluate`: scores the reconstructions that `replay --out` wrote against the true
 * stimuli, each metric beside the mean training image's score (docs/evaluation.md).
 */
import { writeFile } from 'node:fs/promises';
import type { CommandContext } from '../cli.js';
import { BoldstreamError } from '../errors.js';
import { evaluateReconstructions } from '../evaluate/evaluate.js';
import { createFeatureExtractor, parseSpace, type FeatureExtractor } from '../evaluate/features.js';
import { formatReport, reportJson } from '../evaluate/report.js';
import { chooseBackend } from '../recon/backend.js';
import { listOption, numberOption, stringOption } from './options.js';

export const evaluateCommand = {
  summary:
    'Score reconstructed images against the true stimuli: pixel correlation, SSIM, pairwise identification in pixel and CNN feature space, ' +
    'profile and pattern correlation, each beside the mean training image as baseline.',
  usage:
    'boldstream evaluate --frames DIR|RECORDS.jsonl --stimuli DIR [--baseline-images DIR | --train-events FILE ...] [--events FILE] ' +
    '[--space mobilenet_v2[:LAYER]|inception_v3[:LAYER]|none] [--input-size PX] [--by-iteration] [--iterations 0,10,100] ' +
    '[--json FILE] [--bootstrap 2000] [--seed 1]',
  options: {
    frames: { type: 'string' },
    stimuli: { type: 'string' },
    events: { type: 'string' },
    'baseline-images': { type: 'string' },
    'train-events': { type: 'string', multiple: true },
    space: { type: 'string' },
    'input-size': { type: 'string' },
    'by-iteration': { type: 'boolean' },
    iterations: { type: 'string' },
    json: { type: 'string' },
    bootstrap: { type: 'string' },
    seed: { type: 'string' },
  },
  quietLogs: true,
  run: evaluate,
} as const;

function wholeOption(ctx: CommandContext, name: string, min: number): number | undefined {
  const v = numberOption(ctx.values, name);
  if (v !== undefined && !(Number.isInteger(v) && v >= min)) throw new BoldstreamError('CLI_USAGE', `--${name} must be a whole number ≥ ${min}, not ${v}`);
  return v;
}

function iterationsOption(ctx: CommandContext): number[] | boolean {
  const text = stringOption(ctx.values, 'iterations');
  if (text === undefined) return ctx.values['by-iteration'] === true;
  const list = text.split(',').map((s) => Number(s.trim()));
  if (list.some((n) => !(Number.isInteger(n) && n >= 0))) throw new BoldstreamError('CLI_USAGE', `--iterations is a comma-separated list of whole numbers, not "${text}"`);
  return list;
}

async function evaluate(ctx: CommandContext): Promise<number> {
  const frames = stringOption(ctx.values, 'frames');
  const stimuli = stringOption(ctx.values, 'stimuli');
  if (!frames || !stimuli || ctx.positionals.length > 0) throw new BoldstreamError('CLI_USAGE', `usage: ${evaluateCommand.usage}`);
  const baselineImages = stringOption(ctx.values, 'baseline-images');
  const trainEvents = listOption(ctx.values, 'train-events');
  if (baselineImages && trainEvents.length > 0) throw new BoldstreamError('CLI_USAGE', 'give --baseline-images or --train-events, not both');
  const spec = parseSpace(stringOption(ctx.values, 'space') ?? 'mobilenet_v2');
  const inputSize = wholeOption(ctx, 'input-size', 16);
  const byIteration = iterationsOption(ctx);
  const bootstrap = wholeOption(ctx, 'bootstrap', 0);
  const seed = wholeOption(ctx, 'seed', 0);
  const events = stringOption(ctx.values, 'events');
  const json = stringOption(ctx.values, 'json');

  let extractor: FeatureExtractor | null = null;
  if (spec) {
    const backend = await chooseBackend(ctx.config.computeBackend);
    ctx.logger.info({ backend: backend.name }, 'compute backend for CNN features');
    extractor = await createFeatureExtractor(backend.tf, { ...spec, ...(inputSize ? { inputSize } : {}) });
  }
  try {
    const report = await evaluateReconstructions({
      frames,
      stimuli,
      features: extractor,
      byIteration,
      ...(events ? { events } : {}),
      ...(baselineImages ? { baselineImages } : {}),
      ...(trainEvents.length > 0 ? { trainEvents } : {}),
      ...(bootstrap !== undefined ? { bootstrap } : {}),
      ...(seed !== undefined ? { seed } : {}),
      warn: (message) => console.error(`warning: ${message}`),
    });
    console.log(formatReport(report));
    if (json) {
      try {
        await writeFile(json, `${reportJson(report)}\n`);
      } catch (thrown) {
        throw new BoldstreamError('OUTPUT_NOT_WRITABLE', `${json}: ${(thrown as NodeJS.ErrnoException).code ?? String(thrown)}`, { cause: thrown });
      }
    }
    return 0;
  } finally {
    extractor?.dispose();
  }
}
