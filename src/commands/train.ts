/**
 * `boldstream train`: labelled BIDS runs → a model bundle (docs/model-bundle.md).
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { CommandContext } from '../cli.js';
import type { MethodName } from '../decode/methods.js';
import { BoldstreamError } from '../errors.js';
import { findBoldRuns } from '../ingest/bids/index.js';
import { featureTransforms, type FeatureTransform } from '../preprocess/temporal.js';
import { trainFromRuns } from '../train/train-runs.js';
import { listOption, stringOption } from './options.js';

export const trainCommand = {
  summary: 'Fit a linear decoder on labelled runs (BIDS events.tsv trial_type, HRF-shifted) and save a model bundle.',
  usage: 'boldstream train <bids-dir|run.nii.gz...> --mask FILE --out DIR [--runs 1-9] [--hrf-delay SECONDS|auto] [--method ridge|logistic] [--features psc|z|detrended-z] [--trial-types a,b,...]',
  options: {
    mask: { type: 'string' },
    out: { type: 'string' },
    runs: { type: 'string' },
    method: { type: 'string', default: 'ridge' },
    features: { type: 'string', default: 'psc' },
    'trial-types': { type: 'string' },
    'hrf-delay': { type: 'string' },
  },
  run: train,
} as const;

/** "1-9" or "1,3,5-7" → the set of run numbers. */
export function parseRunList(text: string): Set<number> {
  const runs = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!m) throw new BoldstreamError('CLI_USAGE', `--runs: "${part}" is not a number or a range`);
    const from = Number(m[1]);
    const to = m[2] !== undefined ? Number(m[2]) : from;
    for (let r = from; r <= to; r++) runs.add(r);
  }
  return runs;
}

async function train(ctx: CommandContext): Promise<number> {
  const mask = stringOption(ctx.values, 'mask');
  const out = stringOption(ctx.values, 'out');
  if (!mask || !out || ctx.positionals.length === 0) throw new BoldstreamError('CLI_USAGE', `usage: ${trainCommand.usage}`);
  const method = stringOption(ctx.values, 'method') as MethodName;
  if (method !== 'ridge' && method !== 'logistic') throw new BoldstreamError('CLI_USAGE', '--method is ridge or logistic');
  const features = stringOption(ctx.values, 'features') as FeatureTransform;
  if (!featureTransforms.includes(features)) throw new BoldstreamError('CLI_USAGE', `--features is one of ${featureTransforms.join(', ')}`);
  const wanted = stringOption(ctx.values, 'runs');
  const only = wanted ? parseRunList(wanted) : null;
  const files: string[] = [];
  for (const given of ctx.positionals) {
    const info = await stat(given).catch(() => null);
    if (!info) throw new BoldstreamError('INPUT_NOT_FOUND', given);
    if (info.isDirectory()) {
      for (const run of await findBoldRuns(given)) if (run.events && (!only || (run.run !== null && only.has(run.run)))) files.push(run.path);
    } else files.push(path.resolve(given));
  }
  if (files.length === 0) throw new BoldstreamError('TRAIN_NO_DATA', 'no labelled _bold runs (with an _events.tsv beside them) were found');
  const trialTypes = listOption(ctx.values, 'trial-types').flatMap((s) => s.split(',')).filter(Boolean);
  const delayText = stringOption(ctx.values, 'hrf-delay');
  const hrfDelaySec = delayText === undefined ? ctx.config.pipeline.hrfDelaySec : delayText === 'auto' ? 'auto' : Number(delayText);
  if (typeof hrfDelaySec === 'number' && !(hrfDelaySec >= 0)) throw new BoldstreamError('CLI_USAGE', `--hrf-delay is a number of seconds ≥ 0 or auto, not "${delayText}"`);
  console.error(`training on ${files.length} runs...`);
  const bundle = await trainFromRuns({
    runs: files,
    mask,
    out,
    pipeline: ctx.config.pipeline,
    method,
    features,
    ...(trialTypes.length ? { trialTypes } : {}),
    hrfDelaySec,
    onRun: (s) => console.error(`  ${s.run}: ${s.rows} TRs${s.skipped ? `, ${s.skipped} unusable` : ''}`),
    onDelay: (d, acc) => console.error(`  HRF shift ${d.toFixed(1)} s: cross-validated accuracy ${(100 * acc).toFixed(1)}%`),
  });
  const cv = bundle.training.crossValidation;
  console.error(`labels: ${bundle.labels.join(', ')} (${Object.values(bundle.training.samplesPerLabel).reduce((a, b) => a + b, 0)} labelled TRs)`);
  console.error(`HRF shift: ${bundle.hrfDelaySec} s${bundle.training.hrfDelaySearch ? ' (chosen by cross-validation)' : ''}`);
  if (cv) console.error(`cross-validated accuracy (leave one run out): ${(100 * cv.meanAccuracy).toFixed(1)}% (chance ${(100 * cv.chance).toFixed(1)}%), strength ${bundle.strength.toPrecision(3)}`);
  console.error(`model bundle written to ${out}`);
  return 0;
}
