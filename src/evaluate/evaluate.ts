/**
 * Evaluation of reconstructed images (issue 3, part 6), the work behind `boldstream evaluate`:
 *
 *   frames folder ──► final frame per trial ──► pixels at the frames' size ─┬─► pixel metrics
 *   frames.jsonl      (highest iteration)                                  └─► CNN features ─► feature metrics
 *   stimuli/      ──► true image per trial, resized to the same size ───────┘        (same for both)
 *   training PNGs ──► mean training image, scored the same way: the baseline
 *
 * With `byIteration`, the reconstructions as they stood at a few optimiser iterations are scored
 * too, to show the refinement. Trials that show the same stimulus are kept apart as trials (each is
 * its own reconstruction) but never asked to tell their image from itself in identification.
 */
import path from 'node:path';
import { BoldstreamError } from '../errors.js';
import { readEvents } from '../ingest/bids/index.js';
import { checkpoints } from './checkpoints.js';
import { featureMoments, featureScorer, type Normalisation } from './feature-scores.js';
import type { FeatureExtractor } from './features.js';
import { FrameImages, pngSide } from './frame-images.js';
import { framesByTrial, readFramesFolder, resolveFramesDir, type FrameFile } from './frames.js';
import { scorePixels, type ScoredSet, type ScoreOptions } from './score-set.js';
import { meanImage, loadStimuli, pngsUnder, trainingStimuli, type Baseline } from './stimuli.js';

export interface EvaluateOptions {
  /** Frames folder, or the records file it sits beside. */
  readonly frames: string;
  /** The dataset's stimuli folder, which stim_file paths are relative to. */
  readonly stimuli: string;
  /** Events of the evaluated run: each trial's stim_file when the frames index lacks it (trial = row). */
  readonly events?: string;
  /** Folder of the training stimuli, whose mean image is the baseline. */
  readonly baselineImages?: string;
  /** Or: training events tables, whose stim_files are the training stimuli. */
  readonly trainEvents?: readonly string[];
  /** CNN features for feature-space metrics; null skips them. */
  readonly features: FeatureExtractor | null;
  /** Also score the reconstructions at these iterations (empty: chosen from the frames). */
  readonly byIteration?: readonly number[] | boolean;
  /** Bootstrap resamples of each interval; default 2000. */
  readonly bootstrap?: number;
  readonly seed?: number;
  readonly warn?: (message: string) => void;
}

export interface EvaluatedTrial {
  readonly trial: number;
  readonly stim_file: string;
  /** The final frame: its iteration, TR and file (relative to the frames folder). */
  readonly iteration: number;
  readonly tr: number | null;
  readonly file: string;
  readonly loss: number | null;
  readonly featureCorrelation: number | null;
}

export interface IterationScores {
  readonly iteration: number;
  /** Trials whose optimiser got this far (the others are scored at their final frame). */
  readonly reached: number;
  readonly reconstruction: ScoredSet;
}

export interface EvaluationReport {
  readonly frames: string;
  readonly stimuli: string;
  /** Side of the frames, px: every image is compared at this size. */
  readonly size: number;
  readonly trials: readonly EvaluatedTrial[];
  readonly distinctStimuli: number;
  readonly space: { readonly label: string; readonly units: number; readonly normalisation: Normalisation } | null;
  readonly baseline: { readonly source: string; readonly images: number } | null;
  readonly reconstruction: ScoredSet;
  readonly baselineScores: ScoredSet | null;
  readonly byIteration: readonly IterationScores[] | null;
  readonly warnings: readonly string[];
}

interface Trial {
  readonly trial: number;
  readonly stim_file: string;
  readonly frames: readonly FrameFile[];
}

export async function evaluateReconstructions(options: EvaluateOptions): Promise<EvaluationReport> {
  const warnings: string[] = [];
  const warn = (m: string): void => {
    warnings.push(m);
    options.warn?.(m);
  };
  const scoring: ScoreOptions = { bootstrap: options.bootstrap ?? 2000, seed: options.seed ?? 1 };
  const dir = await resolveFramesDir(options.frames);
  const folder = await readFramesFolder(dir);
  folder.warnings.forEach(warn);
  const trials = await trialsOf(folder.frames, options.events, warn);
  if (trials.length === 0) throw new BoldstreamError('EVALUATE_NO_TRIALS', `${dir}: ${folder.frames.length} frames, none of a trial whose stimulus is known`);

  const size = await frameSize(trials, warn);
  const images = new FrameImages(dir, size, warn);
  const shown = await Promise.all(trials.map((t) => images.at(t.frames)));
  const kept = trials.flatMap((t, i) => (shown[i] ? [{ ...t, final: shown[i] }] : []));
  for (const t of trials.filter((_, i) => !shown[i])) warn(`trial ${t.trial} left out: none of its ${t.frames.length} frames can be read`);
  if (kept.length === 0) throw new BoldstreamError('EVALUATE_NO_TRIALS', `${dir}: no frame can be read`);
  const groups = kept.map((t) => t.stim_file);
  const stimuli = await loadStimuli(options.stimuli, groups, size);
  const truth = groups.map((g) => stimuli.get(g)!);
  const baseline = await loadBaseline(options, size, warn);
  // Pattern correlation z-scores units by the training images' features (bdpy's evaluation); with
  // no training images, by the distinct test stimuli's, which the report says.
  const extractor = options.features;
  const normalisation: Normalisation | null = extractor
    ? { source: baseline ? 'training images' : 'test stimuli', images: baseline ? baseline.files.length : stimuli.size }
    : null;
  const momentImages = baseline ? baseline.files : [...stimuli.values()];
  const features = extractor ? featureScorer(extractor, truth, groups, scoring, () => featureMoments(extractor, momentImages, size)) : null;

  const score = async (images: readonly Float32Array[], keys: readonly string[]): Promise<ScoredSet> => ({
    ...scorePixels(images, truth, size, groups, scoring),
    ...(features ? await features(images, keys) : {}),
  });
  // Baseline first, then the final frames, then earlier and earlier iterations: consecutive sets
  // share most frames (trials that stopped refining), and the feature scorer keeps the last set's.
  const baselineScores = baseline ? await score(kept.map(() => baseline.image), kept.map(() => '(baseline)')) : null;
  const reconstruction = await score(kept.map((t) => t.final.pixels), kept.map((t) => t.final.frame.file));

  let byIteration: IterationScores[] | null = null;
  if (options.byIteration) {
    const asked = Array.isArray(options.byIteration) ? options.byIteration : [];
    const iterations = asked.length > 0 ? [...new Set(asked)].sort((a, b) => a - b) : checkpoints(kept.flatMap((t) => t.frames.filter((f) => f.iteration <= t.final.frame.iteration).map((f) => f.iteration)));
    byIteration = [];
    for (const iteration of [...iterations].reverse()) {
      // Every kept trial has a readable final frame, so `at` always finds one.
      const at = await Promise.all(kept.map(async (t) => (await images.at(t.frames, iteration)) ?? t.final));
      byIteration.unshift({
        iteration,
        reached: kept.filter((t) => t.final.frame.iteration >= iteration).length,
        reconstruction: await score(at.map((a) => a.pixels), at.map((a) => a.frame.file)),
      });
    }
  }

  return {
    frames: dir,
    stimuli: path.resolve(options.stimuli),
    size,
    trials: kept.map(({ trial, stim_file, final: { frame: f } }) => ({
      trial,
      stim_file,
      iteration: f.iteration,
      tr: f.tr,
      file: path.relative(dir, f.file),
      loss: f.loss,
      featureCorrelation: f.featureCorrelation,
    })),
    distinctStimuli: stimuli.size,
    space: extractor && normalisation ? { label: extractor.label, units: extractor.units, normalisation } : null,
    baseline: baseline ? { source: baseline.source, images: baseline.images } : null,
    reconstruction,
    baselineScores,
    byIteration,
    warnings,
  };
}

/** Trials with a known stimulus, from the index or, failing that, from the run's events table. */
async function trialsOf(frames: readonly FrameFile[], eventsFile: string | undefined, warn: (m: string) => void): Promise<Trial[]> {
  const events = eventsFile ? await readEvents(eventsFile) : [];
  const out: Trial[] = [];
  for (const [trial, list] of framesByTrial(frames)) {
    const stim = list.find((f) => f.stim_file)?.stim_file ?? events[trial]?.stim_file;
    if (stim) out.push({ trial, stim_file: stim, frames: list });
    else warn(`trial ${trial} left out: no stim_file in the frames index${eventsFile ? ` nor in row ${trial} of ${eventsFile}` : ' (give --events)'}`);
  }
  return out;
}

async function loadBaseline(options: EvaluateOptions, size: number, warn: (m: string) => void): Promise<Baseline | null> {
  if (options.baselineImages) return meanImage(await pngsUnder(options.baselineImages), size, options.baselineImages);
  if (options.trainEvents && options.trainEvents.length > 0) {
    const files = await trainingStimuli(options.stimuli, options.trainEvents);
    return meanImage(files, size, `stim_files of ${options.trainEvents.length} training events table${options.trainEvents.length > 1 ? 's' : ''}`);
  }
  warn('no baseline: give --baseline-images DIR or --train-events FILE to score the mean training image');
  return null;
}

/** The side every image is compared at: the first trial's latest frame that has a PNG header. */
async function frameSize(trials: readonly Trial[], warn: (m: string) => void): Promise<number> {
  const sides: number[] = [];
  for (const t of trials) {
    for (const f of [...t.frames].reverse()) {
      const side = await pngSide(f.file);
      if (side !== null) {
        sides.push(side);
        break;
      }
    }
  }
  if (sides.length === 0) throw new BoldstreamError('EVALUATE_NO_TRIALS', 'no frame is a PNG');
  const odd = sides.filter((s) => s !== sides[0]).length;
  if (odd > 0) warn(`${odd} trials' frames are not ${sides[0]} px square like the first; they are resampled to ${sides[0]} px`);
  return sides[0]!;
}
