/**
 * Where a session's stimulus images are: `stim_file` in events and frames is relative to the
 * `stimuli/` folder at the root of the dataset the run comes from (the BIDS convention, and what
 * `boldstream simulate` writes), so the folder is looked for upwards from the session's source.
 * Only image files inside that folder, and inside the data folders, are ever served.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { BoldstreamError } from '../errors.js';
import { resolveInside } from './paths.js';

export const stimulusTypes: Readonly<Record<string, string>> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.bmp': 'image/bmp',
};

/** BIDS runs sit at <root>/sub-x/[ses-y/]func/<run>: four levels up reach the root from any of them. */
const LEVELS_UP = 4;

const isDir = (p: string): Promise<boolean> => stat(p).then((s) => s.isDirectory(), () => false);

async function stimuliFolder(source: string, dataRoots: readonly string[]): Promise<string | null> {
  let dir = (await isDir(source)) ? source : path.dirname(source);
  for (let level = 0; level <= LEVELS_UP; level++) {
    const candidate = path.join(dir, 'stimuli');
    try {
      resolveInside(candidate, dataRoots);
    } catch {
      return null; // climbed out of the data folders
    }
    if (await isDir(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
  return null;
}

/** The absolute path and content type of `stimFile` for a session whose source is `source`; HTTP_NOT_FOUND otherwise. */
export async function findStimulus(source: string | undefined, stimFile: string, dataRoots: readonly string[]): Promise<{ file: string; type: string }> {
  const type = stimulusTypes[path.extname(stimFile).toLowerCase()];
  if (!type) throw new BoldstreamError('HTTP_NOT_FOUND', `${stimFile}: not an image file`);
  const folder = source ? await stimuliFolder(source, dataRoots) : null;
  if (!folder) throw new BoldstreamError('HTTP_NOT_FOUND', `no stimuli folder for this session's source`);
  // PATH_OUTSIDE_DATA for ../ or a link out of the folder.
  const file = resolveInside(stimFile, [folder]);
  if (!(await stat(file).then((s) => s.isFile(), () => false))) throw new BoldstreamError('HTTP_NOT_FOUND', `stimuli/${stimFile}`);
  return { file, type };
}
