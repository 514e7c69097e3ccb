/**
 * The true images and the baseline, read at the size of the reconstructions.
 *
 * Every image goes through the feature spaces' own reader (`loadImage`: 8-bit codes / 255, centred
 * square, area-averaged), so a stimulus is compared with a frame exactly as the decoders were
 * trained on it. The baseline is the mean training image: what a decoder that learnt nothing about
 * the brain but the average of its training targets would draw for every trial (the trivial
 * baseline of issue 3, part 6); scored like a reconstruction, it says how much of a metric comes for
 * free from what all stimuli share (a grey screen, a central object).
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { BoldstreamError } from '../errors.js';
import { readEvents } from '../ingest/bids/index.js';
import { loadImage } from '../recon/network/index.js';

export interface Baseline {
  /** Mean image, RGB interleaved [size, size, 3]. */
  readonly image: Float32Array;
  /** How many images were averaged. */
  readonly images: number;
  /** The images' paths, for their feature statistics. */
  readonly files: readonly string[];
  /** Where they came from, for the report. */
  readonly source: string;
}

/** A stimulus path as events name it: relative to the dataset's stimuli folder (BIDS). */
export function stimulusPath(stimuliDir: string, stimFile: string): string {
  return path.isAbsolute(stimFile) ? stimFile : path.join(stimuliDir, stimFile);
}

/** Reads each distinct stimulus once, at `size`. */
export async function loadStimuli(stimuliDir: string, stimFiles: readonly string[], size: number): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const f of new Set(stimFiles)) out.set(f, await loadImage(stimulusPath(stimuliDir, f), size));
  return out;
}

/** PNGs under a folder, at any depth, in a fixed order. */
export async function pngsUnder(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (thrown) {
    throw new BoldstreamError('INPUT_NOT_FOUND', `${dir}: ${(thrown as NodeJS.ErrnoException).code ?? String(thrown)}`, { cause: thrown });
  }
  const out: string[] = [];
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await pngsUnder(p)));
    else if (e.isFile() && /\.png$/i.test(e.name)) out.push(p);
  }
  return out.sort();
}

/** The distinct stim_files of training events tables, resolved against the stimuli folder. */
export async function trainingStimuli(stimuliDir: string, eventsFiles: readonly string[]): Promise<string[]> {
  const files = new Set<string>();
  for (const events of eventsFiles) for (const row of await readEvents(events)) if (row.stim_file) files.add(stimulusPath(stimuliDir, row.stim_file));
  return [...files];
}

/** Mean of images read at `size` (each distinct image once). */
export async function meanImage(files: readonly string[], size: number, source: string): Promise<Baseline> {
  if (files.length === 0) throw new BoldstreamError('EVALUATE_NO_BASELINE', `${source} names no PNG`);
  const sum = new Float64Array(size * size * 3);
  for (const f of files) {
    const im = await loadImage(f, size);
    for (let k = 0; k < sum.length; k++) sum[k]! += im[k]!;
  }
  return { image: Float32Array.from(sum, (v) => v / files.length), images: files.length, files, source };
}
