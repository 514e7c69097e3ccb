/**
 * Finding where the complete part of an append-only file ends. A crash mid-write leaves at most one
 * torn entry at the end of each file (appends are ordered); everything before it is whole.
 */
import type { FileHandle } from 'node:fs/promises';
import { VOLUMES_MAGIC } from './layout.js';

export interface Tail {
  /** Bytes from the start of the file that hold complete entries. */
  readonly end: number;
  /** Bytes after `end` that belong to a torn entry (0 when the file is whole). */
  readonly torn: number;
  /** Complete entries before `end` (frames; lines are not counted). */
  readonly entries?: number;
}

/** JSON lines: complete up to and including the last newline. */
export async function jsonlTail(handle: FileHandle, size: number): Promise<Tail> {
  const chunk = Buffer.alloc(64 * 1024);
  let pos = size;
  while (pos > 0) {
    const start = Math.max(0, pos - chunk.length);
    const { bytesRead } = await handle.read(chunk, 0, pos - start, start);
    const newline = chunk.subarray(0, bytesRead).lastIndexOf(0x0a);
    if (newline >= 0) return { end: start + newline + 1, torn: size - (start + newline + 1) };
    pos = start;
  }
  return { end: 0, torn: size };
}

/** Length-prefixed frames after the magic: complete up to the end of the last frame that fits. */
export async function framesTail(handle: FileHandle, size: number): Promise<Tail & { magicOk: boolean }> {
  const head = Buffer.alloc(VOLUMES_MAGIC.length);
  if (size < head.length) return { end: 0, torn: size, entries: 0, magicOk: true };
  await handle.read(head, 0, head.length, 0);
  if (!head.equals(VOLUMES_MAGIC)) return { end: 0, torn: 0, entries: 0, magicOk: false };
  const prefix = Buffer.alloc(4);
  let pos = head.length;
  let entries = 0;
  while (pos + 4 <= size) {
    await handle.read(prefix, 0, 4, pos);
    const length = prefix.readUInt32LE(0);
    // A zero length is never written: it is a tail the file system extended but never filled.
    if (length === 0 || pos + 4 + length > size) break;
    pos += 4 + length;
    entries++;
  }
  return { end: pos, torn: size - pos, entries, magicOk: true };
}
