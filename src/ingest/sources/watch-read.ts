/**
 * Reading one file of a watched folder without mistaking a write in progress for a finished file.
 *
 * The size and modification time are taken from the open handle before and after the read: when they
 * differ, the writer was busy while we read (K02), and whatever the bytes say is not trusted. A file
 * rewritten in place with other content would otherwise mix two versions. The handle is always closed,
 * so an unsubscribed source leaves no file open.
 */
import type { Stats } from 'node:fs';
import { open } from 'node:fs/promises';

/** Far beyond any single fMRI volume (256³ float32 is 64 MiB): a larger file is not read into memory. */
export const MAX_FILE_BYTES = 256 * 1024 * 1024;

export type Steady =
  | { readonly kind: 'bytes'; readonly bytes: Uint8Array; readonly signature: string; readonly mtimeMs: number }
  /** The file changed while it was read; `signature` is how it looked afterwards. */
  | { readonly kind: 'moving'; readonly signature: string }
  | { readonly kind: 'too-large'; readonly signature: string; readonly size: number }
  /** open or read failed: ENOENT (renamed away), EBUSY/EACCES (locked by the writer on SMB), ... */
  | { readonly kind: 'failed'; readonly errno: string };

/** What tells one version of a file from the next; inode numbers are left out (unstable on some SMB mounts). */
export function signatureOf(stats: Pick<Stats, 'size' | 'mtimeMs'>): string {
  return `${stats.size}:${stats.mtimeMs}`;
}

function errnoOf(thrown: unknown): string {
  return (thrown as NodeJS.ErrnoException | undefined)?.code ?? 'EIO';
}

export async function readSteady(file: string): Promise<Steady> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (thrown) {
    return { kind: 'failed', errno: errnoOf(thrown) };
  }
  try {
    const before = await handle.stat();
    const signature = signatureOf(before);
    if (before.size > MAX_FILE_BYTES) return { kind: 'too-large', signature, size: before.size };
    const buffer = await handle.readFile();
    const after = signatureOf(await handle.stat());
    if (after !== signature || buffer.length !== before.size) return { kind: 'moving', signature: after };
    return { kind: 'bytes', bytes: new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.length), signature, mtimeMs: before.mtimeMs };
  } catch (thrown) {
    return { kind: 'failed', errno: errnoOf(thrown) };
  } finally {
    await handle.close().catch(() => undefined);
  }
}
