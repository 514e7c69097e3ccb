/**
 * Sidecar metadata by the BIDS inheritance principle: every `*_bold.json` from the dataset root
 * down to the run's own folder whose entities are a subset of the run's applies; deeper folders
 * override shallower ones, and within a folder the file with more entities overrides the one with
 * fewer. So `task-faces_bold.json` at the root gives RepetitionTime to every faces run, and the JSON
 * beside a run (dcm2niix writes one) has the last word.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { BoldstreamError } from '../../errors.js';
import { entitiesApply, parseBidsName } from './entities.js';

export interface Sidecar {
  readonly metadata: Readonly<Record<string, unknown>>;
  /** The JSON files merged, least specific first. */
  readonly files: readonly string[];
}

/** The file that marks a BIDS dataset root, looked for at most this many levels up (func, ses, sub). */
const ROOT_MARKER = 'dataset_description.json';
const MAX_LEVELS_UP = 4;

async function exists(file: string): Promise<boolean> {
  return stat(file).then(() => true, () => false);
}

/** The dataset root above `folder`, or `fallback` when there is no dataset_description.json. */
export async function datasetRoot(folder: string, fallback: string): Promise<string> {
  let current = path.resolve(folder);
  for (let level = 0; level <= MAX_LEVELS_UP; level++) {
    if (await exists(path.join(current, ROOT_MARKER))) return current;
    const parent = path.dirname(current);
    if (parent === current) break;
    current = parent;
  }
  return path.resolve(fallback);
}

/** Folders from `root` down to `folder`; just `folder` when it is not inside `root`. */
function foldersBetween(root: string, folder: string): string[] {
  const relative = path.relative(root, folder);
  if (relative.startsWith('..') || path.isAbsolute(relative)) return [folder];
  const out = [root];
  for (const part of relative.split(path.sep).filter(Boolean)) out.push(path.join(out[out.length - 1]!, part));
  return out;
}

async function readJsonObject(file: string): Promise<Record<string, unknown>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (thrown) {
    throw new BoldstreamError('BIDS_SIDECAR_INVALID', `${file}: ${thrown instanceof Error ? thrown.message : String(thrown)}`, { cause: thrown });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new BoldstreamError('BIDS_SIDECAR_INVALID', `${file}: not a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

/** Merged sidecar metadata for the data file `file` with the given entities and suffix. */
export async function inheritedSidecar(file: string, entities: Readonly<Record<string, string>>, suffix: string, root: string): Promise<Sidecar> {
  const files: string[] = [];
  for (const folder of foldersBetween(root, path.dirname(path.resolve(file)))) {
    const names = await readdir(folder).catch(() => [] as string[]);
    const applicable = names
      .map((name) => ({ name, parsed: parseBidsName(name) }))
      .filter(({ parsed }) => parsed?.extension === '.json' && parsed.suffix === suffix && entitiesApply(parsed.entities, entities))
      .sort((a, b) => Object.keys(a.parsed!.entities).length - Object.keys(b.parsed!.entities).length || a.name.localeCompare(b.name));
    files.push(...applicable.map(({ name }) => path.join(folder, name)));
  }
  const metadata: Record<string, unknown> = {};
  for (const json of files) Object.assign(metadata, await readJsonObject(json));
  return { metadata, files };
}
