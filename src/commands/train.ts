/**
 * `boldstream train`: labelled BIDS runs → a model bundle (docs/model-bundle.md), or, when the
 * runs' events name stimulus images (`stim_file`), voxel → DNN feature decoders in a feature bundle
 * (docs/feature-decoding.md).
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { CommandContext } from '../cli.js';
import type { MethodName } from '../decode/methods.js';
import { BoldstreamError } from '../errors.js';
import { eventsFor, findBoldRuns } from '../ingest/bids/index.js';
import { featureTransforms, type FeatureTransform } from '../preprocess/temporal.js';
import { eventsNameStimuli, featureTrainOptions, featureTrainUsage, trainFeaturesCommand } from '../train/feature-command.js';
import { trainFromRuns } from '../train/train-runs.js';
import { listOption, stringOption } from './options.js';

export const trainCommand = {
  summary: 'Fit a linear decoder on labelled runs (BIDS events.tsv trial_type, HRF-shifted), or DNN feature decoders on runs whose events name images (stim_file), and save a bundle.',
  usage:
    'boldstream train <bids-dir|run.nii.gz...> --mask FILE --out DIR [--runs 1-9] [--task NAME] [--hrf-delay SECONDS|auto] [--features psc|z|detrended-z] ' +
    `[--method ridge|logistic] [--trial-types a,b,...] ${featureTrainUsage}`,
  options: {
    mask: { type: 'string' },
    out: { type: 'string' },
    runs: { type: 'string' },
    task: { type: 'string' },
    decode: { type: 'string' },
    method: { type: 'string' },
    features: { type: 'string', default: 'psc' },
    'trial-types': { type: 'string' },
    'hrf-delay': { type: 'string' },
    ...featureTrainOptions,
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
  const method = (stringOption(ctx.values, 'method') ?? 'ridge') as MethodName;
  if (method !== 'ridge' && method !== 'logistic') throw new BoldstreamError('CLI_USAGE', '--method is ridge or logistic');
  const features = stringOption(ctx.values, 'features') as FeatureTransform;
  if (!featureTransforms.includes(features)) throw new BoldstreamError('CLI_USAGE', `--features is one of ${featureTransforms.join(', ')}`);
  const wanted = stringOption(ctx.values, 'runs');
  const only = wanted ? parseRunList(wanted) : null;
  const task = stringOption(ctx.values, 'task');
  const files: string[] = [];
  const eventFiles: string[] = [];
  for (const given of ctx.positionals) {
    const info = await stat(given).catch(() => null);
    if (!info) throw new BoldstreamError('INPUT_NOT_FOUND', given);
    if (info.isDirectory()) {
      for (const run of await findBoldRuns(given)) {
        if (!run.events || (only && (run.run === null || !only.has(run.run))) || (task !== undefined && run.task !== task)) continue;
        files.push(run.path);
        eventFiles.push(run.events);
      }
    } else {
      files.push(path.resolve(given));
      const events = await eventsFor(path.resolve(given));
      if (events) eventFiles.push(events);
    }
  }
  if (files.length === 0) throw new BoldstreamError('TRAIN_NO_DATA', 'no labelled _bold runs (with an _events.tsv beside them) were found');
  const trialTypes = listOption(ctx.values, 'trial-types').flatMap((s) => s.split(',')).filter(Boolean);
  const delayText = stringOption(ctx.values, 'hrf-delay');
  const hrfDelaySec = delayText === undefined ? ctx.config.pipeline.hrfDelaySec : delayText === 'auto' ? 'auto' : Number(delayText);
  if (typeof hrfDelaySec === 'number' && !(hrfDelaySec >= 0)) throw new BoldstreamError('CLI_USAGE', `--hrf-delay is a number of seconds ≥ 0 or auto, not "${delayText}"`);
  // Images named by the events mean feature decoders, unless classifier options say otherwise.
  const decode = stringOption(ctx.values, 'decode') ?? (ctx.values.method === undefined && trialTypes.length === 0 && (await eventsNameStimuli(eventFiles)) ? 'features' : 'classes');
  if (decode !== 'classes' && decode !== 'features') throw new BoldstreamError('CLI_USAGE', '--decode is classes or features');
  if (decode === 'features') return trainFeaturesCommand(ctx, { runs: files, mask, out, features, hrfDelaySec });
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
