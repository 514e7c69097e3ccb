/**
 * Model bundles on disk: one folder per bundle under config.modelsDir. An upload is written into a
 * hidden folder beside the target and renamed into place, so a bundle is never seen half-written
 * and a failed upload leaves the previous bundle of that name untouched.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { assertSafeName } from './paths.js';

export interface ModelFileInfo {
  readonly name: string;
  readonly bytes: number;
}

export interface ModelInfo {
  readonly name: string;
  readonly files: readonly ModelFileInfo[];
}

async function describe(dir: string, name: string): Promise<ModelInfo> {
  const files: ModelFileInfo[] = [];
  for (const entry of await readdir(path.join(dir, name), { withFileTypes: true })) {
    if (entry.isFile()) files.push({ name: entry.name, bytes: (await stat(path.join(dir, name, entry.name))).size });
  }
  return { name, files: files.sort((a, b) => a.name.localeCompare(b.name)) };
}

export async function listModels(dir: string): Promise<ModelInfo[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const names = entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name).sort();
  return Promise.all(names.map((name) => describe(dir, name)));
}

/** Writes `files` as the bundle `name`, replacing any bundle of that name. Names are checked here too. */
export async function storeModel(dir: string, name: string, files: ReadonlyMap<string, Uint8Array>): Promise<ModelInfo> {
  assertSafeName(name, 'model name');
  for (const file of files.keys()) assertSafeName(file, 'file name');
  await mkdir(dir, { recursive: true });
  const tag = randomBytes(4).toString('hex');
  const incoming = path.join(dir, `.upload-${name}-${tag}`);
  const retired = path.join(dir, `.old-${name}-${tag}`);
  const target = path.join(dir, name);
  try {
    await mkdir(incoming);
    for (const [file, bytes] of files) await writeFile(path.join(incoming, file), bytes);
    const hadOne = await stat(target).then(() => true, () => false);
    if (hadOne) await rename(target, retired);
    await rename(incoming, target);
  } finally {
    await rm(incoming, { recursive: true, force: true });
    await rm(retired, { recursive: true, force: true });
  }
  return describe(dir, name);
}
