import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root, wherever the tests are started from. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The shared folder of real scans (read-only, never copied into the repository). */
export const sharedData = path.resolve(repoRoot, process.env.BOLDSTREAM_TEST_DATA ?? '../shared/data');

export function dataPath(...parts: string[]): string {
  const p = path.join(sharedData, ...parts);
  if (!existsSync(p)) throw new Error(`test data missing: ${p} (set BOLDSTREAM_TEST_DATA to the shared data folder)`);
  return p;
}

/** Debian's python3 with nibabel, numpy and scipy: the independent reference for readers and resampling. */
export const referencePython = '/usr/bin/python3';
