/**
 * Frames of a 4D NIfTI read as a stream, one at a time, in order: what a replay needs. A 1000-volume
 * run then costs one frame of memory instead of the whole file (gzip or not), and the first volume is
 * out as soon as its bytes are, not once the file is read.
 */
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { BoldstreamError } from '../../errors.js';
import { frameLayout, type FrameLayout } from './read.js';

/** Enough for any NIfTI-2 header; extensions are skipped by vox_offset once it is known. */
const HEADER_BYTES = 544;

async function isGzipFile(path: string): Promise<boolean> {
  for await (const chunk of createReadStream(path, { start: 0, end: 1 })) return (chunk as Buffer)[0] === 0x1f && (chunk as Buffer)[1] === 0x8b;
  return false;
}

/** A gunzip (or read) failure, as the catalogue names it: the stream alone cannot tell a cut file from a bad one. */
function corrupt(path: string, cause: unknown): BoldstreamError {
  return cause instanceof BoldstreamError ? cause : new BoldstreamError('NIFTI_GZIP_CORRUPT', `${path}: ${(cause as Error).message}`, { cause });
}

export interface NiftiFrameStream {
  readonly layout: FrameLayout;
  /** Frames in order; ends with NIFTI_TRUNCATED if the file has fewer bytes than its header promises. */
  frames(): AsyncGenerator<{ index: number; data: Float32Array }>;
}

/** Opens a file, reads its header, and hands back its frames as a stream. */
export async function streamNiftiFrames(path: string): Promise<NiftiFrameStream> {
  const gzip = await isGzipFile(path);
  const open = (): AsyncIterable<Buffer> => (gzip ? createReadStream(path).pipe(createGunzip()) : createReadStream(path));
  // The header first, from its own short read, so that a bad header fails before anything is streamed.
  let head = Buffer.alloc(0);
  try {
    for await (const chunk of open()) {
      head = Buffer.concat([head, chunk]);
      if (head.length >= HEADER_BYTES) break;
    }
  } catch (cause) {
    throw corrupt(path, cause);
  }
  const layout = frameLayout(new Uint8Array(head), path);
  return {
    layout,
    async *frames() {
      const total = layout.info.frames;
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      let skip = layout.dataOffset;
      let index = 0;
      try {
        for await (const raw of open()) {
          let chunk = raw;
          if (skip > 0) {
            const cut = Math.min(skip, chunk.length);
            skip -= cut;
            chunk = chunk.subarray(cut);
          }
          pending.push(chunk);
          pendingBytes += chunk.length;
          while (pendingBytes >= layout.frameBytes && index < total) {
            const all = Buffer.concat(pending, pendingBytes);
            yield { index, data: layout.decode(new Uint8Array(all.buffer, all.byteOffset, layout.frameBytes)) };
            index++;
            const rest = all.subarray(layout.frameBytes);
            pending = [rest];
            pendingBytes = rest.length;
          }
          if (index === total) return;
        }
      } catch (cause) {
        throw corrupt(path, cause);
      }
      if (index < total) throw new BoldstreamError('NIFTI_TRUNCATED', `${path}: ${index} of ${total} frames present`);
    },
  };
}
