/**
 * Reconstruction frames on disk, as `replay --out FILE.jsonl` writes them beside the records:
 *
 *   FILE.jsonl.frames/                (also accepted: FILE.frames/, or the folder given directly)
 *     frames.jsonl                    one line per frame: {trial, tr, iteration, loss,
 *                                     featureCorrelation, stim_file, file}
 *     trial-<index>/iter-<n>.png
 *
 * The reader is tolerant because frames are written live and a session can end mid-write: a line
 * that is not a frame (torn, or of an older layout) is skipped with a warning, `file` may be
 * missing (then the trial-<index>/iter-<n>.png path is assumed), and PNGs present on disk but not
 * in the index (an index cut short) are added, taking the trial's stim_file from its other lines.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { BoldstreamError } from '../errors.js';

export interface FrameFile {
  readonly trial: number;
  /** The newest TR whose decoded features the frame matches; null when the index does not say. */
  readonly tr: number | null;
  readonly iteration: number;
  readonly loss: number | null;
  readonly featureCorrelation: number | null;
  readonly stim_file: string | null;
  /** Absolute path of the PNG. */
  readonly file: string;
  /** Order in which the frame was listed (index lines first, then files found only on disk). */
  readonly order: number;
}

export interface FramesFolder {
  readonly dir: string;
  readonly frames: readonly FrameFile[];
  readonly warnings: readonly string[];
}

export const FRAMES_INDEX = 'frames.jsonl';
const TRIAL_DIR = /^trial-(\d+)$/;
const ITER_FILE = /^iter-(\d+)\.png$/i;

/** The frames folder meant by a path given on the command line. */
export async function resolveFramesDir(given: string): Promise<string> {
  const candidates = [given, `${given}.frames`, `${given.replace(/\.jsonl$/i, '')}.frames`];
  if (path.basename(given) === FRAMES_INDEX) candidates.unshift(path.dirname(given));
  for (const c of candidates) if (await isDir(c)) return path.resolve(c);
  throw new BoldstreamError('INPUT_NOT_FOUND', `no frames folder at ${candidates.filter((c, i) => candidates.indexOf(c) === i).join(' or ')}`);
}

async function isDir(p: string): Promise<boolean> {
  return stat(p).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

export async function readFramesFolder(dir: string): Promise<FramesFolder> {
  const warnings: string[] = [];
  const listed = await readIndex(dir, warnings);
  const known = new Set(listed.map((f) => f.file));
  const stimOf = new Map<number, string>();
  for (const f of listed) if (f.stim_file && !stimOf.has(f.trial)) stimOf.set(f.trial, f.stim_file);
  const found = (await scanPngs(dir)).filter((f) => !known.has(f.file));
  if (listed.length > 0 && found.length > 0) warnings.push(`${found.length} frame PNGs are not in ${FRAMES_INDEX}; they are used as well`);
  const frames = [
    ...listed,
    ...found.map((f, k) => ({ ...f, stim_file: stimOf.get(f.trial) ?? null, order: listed.length + k })),
  ];
  return { dir, frames, warnings };
}

async function readIndex(dir: string, warnings: string[]): Promise<FrameFile[]> {
  const indexPath = path.join(dir, FRAMES_INDEX);
  if (!existsSync(indexPath)) {
    warnings.push(`${FRAMES_INDEX} is missing; frames are taken from the trial-*/iter-*.png files and their stimuli from --events`);
    return [];
  }
  const lines = (await readFile(indexPath, 'utf8')).split(/\r?\n/);
  const frames: FrameFile[] = [];
  lines.forEach((line, k) => {
    if (line.trim() === '') return;
    const parsed = parseLine(line, dir);
    if (typeof parsed === 'string') warnings.push(`${FRAMES_INDEX} line ${k + 1} skipped: ${parsed}`);
    else if (!existsSync(parsed.file)) warnings.push(`${FRAMES_INDEX} line ${k + 1} skipped: ${path.relative(dir, parsed.file)} does not exist`);
    else frames.push({ ...parsed, order: frames.length });
  });
  return frames;
}

const wholeNumber = (v: unknown): number | null => {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 ? n : null;
};
const finiteOrNull = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** One index line as a frame, or why it is not one. */
function parseLine(line: string, dir: string): Omit<FrameFile, 'order'> | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return 'not JSON (a line torn by a crash?)';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const o = value as Record<string, unknown>;
  const trial = wholeNumber(o.trial);
  if (trial === null) return 'no trial index';
  const named = typeof o.file === 'string' && o.file !== '' ? o.file : null;
  const iteration = wholeNumber(o.iteration) ?? (named ? wholeNumber(ITER_FILE.exec(path.basename(named))?.[1]) : null);
  if (iteration === null) return 'no iteration';
  const file = named ? path.resolve(dir, named) : path.join(dir, `trial-${trial}`, `iter-${iteration}.png`);
  const stim = o.stim_file ?? o.stimFile;
  return {
    trial,
    tr: wholeNumber(o.tr),
    iteration,
    loss: finiteOrNull(o.loss),
    featureCorrelation: finiteOrNull(o.featureCorrelation),
    stim_file: typeof stim === 'string' && stim !== '' ? stim : null,
    file,
  };
}

async function scanPngs(dir: string): Promise<Omit<FrameFile, 'order'>[]> {
  const out: Omit<FrameFile, 'order'>[] = [];
  for (const entry of (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory())) {
    const trial = TRIAL_DIR.exec(entry.name);
    if (!trial) continue;
    for (const name of (await readdir(path.join(dir, entry.name))).sort()) {
      const iteration = ITER_FILE.exec(name);
      if (!iteration) continue;
      const file = path.join(dir, entry.name, name);
      out.push({ trial: Number(trial[1]), tr: null, iteration: Number(iteration[1]), loss: null, featureCorrelation: null, stim_file: null, file });
    }
  }
  return out.sort((a, b) => a.trial - b.trial || a.iteration - b.iteration);
}

/** Frames grouped by trial, each trial's frames in refinement order (iteration, then TR, then listing). */
export function framesByTrial(frames: readonly FrameFile[]): Map<number, FrameFile[]> {
  const byTrial = new Map<number, FrameFile[]>();
  for (const f of frames) {
    const list = byTrial.get(f.trial);
    if (list) list.push(f);
    else byTrial.set(f.trial, [f]);
  }
  for (const list of byTrial.values()) list.sort((a, b) => a.iteration - b.iteration || (a.tr ?? -1) - (b.tr ?? -1) || a.order - b.order);
  return new Map([...byTrial.entries()].sort(([a], [b]) => a - b));
}
