/**
 * Finding BOLD runs in a BIDS dataset (or one func folder, or one file) and resolving each run's
 * repetition time by the stated rule (K20): the sidecar's RepetitionTime (BIDS says seconds) wins;
 * without one, the NIfTI header's pixdim[4] with unit sanity (see ingest/nifti/timing.ts). When both
 * exist and differ by more than a millisecond, BIDS_TR_DISAGREE says so and the sidecar is used.
 */
import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { BoldstreamError, warning, type Warning } from '../../errors.js';
import { readNiftiHeaderFile } from '../nifti/index.js';
import { parseBidsName, runIndex } from './entities.js';
import { eventsFor } from './events.js';
import { datasetRoot, inheritedSidecar } from './sidecar.js';

export interface BoldRun {
  /** Absolute path of the `_bold.nii[.gz]`. */
  readonly path: string;
  readonly entities: Readonly<Record<string, string>>;
  readonly sub: string | null;
  readonly ses: string | null;
  readonly task: string | null;
  /** `run-01` gives 1. */
  readonly run: number | null;
  /** Merged sidecar metadata (BIDS inheritance) and the JSON files it came from. */
  readonly sidecar: Readonly<Record<string, unknown>>;
  readonly sidecarFiles: readonly string[];
  /** Seconds, by the rule above; null when neither sidecar nor header has one. */
  readonly repetitionTime: number | null;
  readonly repetitionTimeSource: 'sidecar' | 'header' | null;
  /** Frames in the NIfTI header. */
  readonly frames: number;
  /** The sibling `_events.tsv`, or null. */
  readonly events: string | null;
  readonly warnings: readonly Warning[];
}

const BOLD_EXTENSIONS = new Set(['.nii', '.nii.gz']);
/** Folders of a dataset that hold no raw runs (derivatives have their own `_bold` files). */
const SKIPPED_FOLDERS = new Set(['derivatives', 'sourcedata', 'code']);
/** A sidecar and a header agreeing to a millisecond agree: dcm2niix rounds TR to ms. */
const TR_TOLERANCE_S = 1e-3;

function isBoldFile(name: string): boolean {
  const parsed = parseBidsName(name);
  return parsed !== null && parsed.suffix === 'bold' && BOLD_EXTENSIONS.has(parsed.extension);
}

/** Every `_bold` NIfTI under `folder`; follows symbolic links (datalad datasets are made of them) once. */
async function collect(folder: string, found: string[], seen: Set<string>): Promise<void> {
  const real = await realpath(folder);
  if (seen.has(real)) return;
  seen.add(real);
  for (const entry of await readdir(folder, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || SKIPPED_FOLDERS.has(entry.name)) continue;
    const full = path.join(folder, entry.name);
    const kind = entry.isSymbolicLink() ? await stat(full).catch(() => null) : entry;
    if (kind?.isDirectory()) await collect(full, found, seen);
    else if (kind?.isFile() && isBoldFile(entry.name)) found.push(full);
  }
}

function sidecarRepetitionTime(metadata: Readonly<Record<string, unknown>>, files: readonly string[]): number | null {
  const value = metadata.RepetitionTime;
  if (value === undefined) return null;
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw new BoldstreamError('BIDS_SIDECAR_INVALID', `RepetitionTime ${JSON.stringify(value)} in ${files.join(', ')} is not a positive number of seconds`);
  }
  return value;
}

/** One run: entities, inherited sidecar, TR by the rule, events. `searchRoot` is the fallback dataset root. */
export async function describeBoldRun(file: string, searchRoot = path.dirname(file)): Promise<BoldRun> {
  const full = path.resolve(file);
  const parsed = parseBidsName(path.basename(full));
  if (!parsed || parsed.suffix !== 'bold') throw new BoldstreamError('CLI_USAGE', `${full} is not a BIDS _bold file`);
  const root = await datasetRoot(path.dirname(full), searchRoot);
  const sidecar = await inheritedSidecar(full, parsed.entities, 'bold', root);
  const header = await readNiftiHeaderFile(full);
  const fromSidecar = sidecarRepetitionTime(sidecar.metadata, sidecar.files);
  const warnings: Warning[] = [];
  if (fromSidecar !== null && header.repetitionTime !== null && Math.abs(fromSidecar - header.repetitionTime) > TR_TOLERANCE_S) {
    warnings.push(warning('BIDS_TR_DISAGREE', `${full}: sidecar ${fromSidecar} s, header ${header.repetitionTime} s`));
  }
  if (fromSidecar === null) warnings.push(...header.warnings.filter((w) => w.code.startsWith('HEADER_TR_')));
  const repetitionTime = fromSidecar ?? header.repetitionTime;
  const e = parsed.entities;
  return {
    path: full,
    entities: e,
    sub: e.sub ?? null,
    ses: e.ses ?? null,
    task: e.task ?? null,
    run: runIndex(e),
    sidecar: sidecar.metadata,
    sidecarFiles: sidecar.files,
    repetitionTime,
    repetitionTimeSource: fromSidecar !== null ? 'sidecar' : repetitionTime !== null ? 'header' : null,
    frames: header.frames,
    events: await eventsFor(full),
    warnings,
  };
}

const byName = new Intl.Collator('en', { numeric: true });

/** Every `*_bold.nii[.gz]` under a dataset or func folder (or the one file given), sorted by path. */
export async function findBoldRuns(dir: string): Promise<BoldRun[]> {
  const root = path.resolve(dir);
  const info = await stat(root).catch((thrown: unknown) => {
    throw new BoldstreamError('INPUT_NOT_FOUND', root, { cause: thrown });
  });
  const found: string[] = [];
  if (info.isDirectory()) await collect(root, found, new Set());
  else if (isBoldFile(path.basename(root))) found.push(root);
  found.sort(byName.compare);
  const runs: BoldRun[] = [];
  for (const file of found) runs.push(await describeBoldRun(file, info.isDirectory() ? root : path.dirname(root)));
  return runs;
}
