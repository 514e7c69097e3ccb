/**
 * Whole-file replacement that a crash cannot tear: write a temporary file beside the target, sync
 * it, rename it over the target (atomic on POSIX file systems), then sync the folder so that the
 * rename itself survives a power cut.
 */
import { open, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

let counter = 0;

export async function writeFileAtomic(file: string, contents: string | Uint8Array): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}-${counter++}`;
  const handle = await open(tmp, 'w');
  try {
    await writeFile(handle, contents);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, file);
  try {
    const dir = await open(path.dirname(file), 'r');
    await dir.sync().finally(() => dir.close());
  } catch {
    // Some file systems (and Windows) cannot open or sync a folder; the rename is still atomic there.
  }
}
