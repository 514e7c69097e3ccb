/**
 * Gzip handling for NIfTI, decided by content: a `.nii.gz` that was never compressed is common
 * (tools that rename without compressing) and must still read, and a `.nii` may be gzip (K19).
 *
 * Whole files go through node:zlib because it checks the CRC and the length trailer: a partly
 * downloaded or still-being-written `.nii.gz` (K01, K19) must fail, never yield a short volume.
 * fflate (used for header-only reads) stops early without complaint but does not verify the CRC.
 */
import { promisify } from 'node:util';
import { gunzip as gunzipCallback, gunzipSync } from 'node:zlib';
import { Gunzip } from 'fflate';
import { BoldstreamError } from '../../errors.js';

const gunzipAsync = promisify(gunzipCallback);

/** RFC 1952 magic plus the deflate method byte: two bytes alone match too much random data. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0x1f && bytes[1] === 0x8b && bytes[2] === 0x08;
}

function corrupt(source: string, thrown: unknown): BoldstreamError {
  const why = thrown instanceof Error ? thrown.message : String(thrown);
  return new BoldstreamError('NIFTI_GZIP_CORRUPT', `${source}: ${why}`, { cause: thrown });
}

/** The whole decompressed content; bytes that are not gzip come back as they are. */
export function inflateAll(bytes: Uint8Array, source: string): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  try {
    return gunzipSync(bytes);
  } catch (thrown) {
    throw corrupt(source, thrown);
  }
}

/** As inflateAll, off the event loop's thread (zlib's thread pool) so a server keeps serving. */
export async function inflateAllAsync(bytes: Uint8Array, source: string): Promise<Uint8Array> {
  if (!isGzip(bytes)) return bytes;
  try {
    return await gunzipAsync(bytes);
  } catch (thrown) {
    throw corrupt(source, thrown);
  }
}

const PREFIX_CHUNK = 16 * 1024;

/**
 * At least `wanted` leading bytes of the content (fewer only when the content is shorter), inflating
 * no more of the stream than needed: enough for a header, so `inspect` and arrival checks stay cheap
 * on large runs. A stream that ends early is not an error here; the caller checks lengths.
 */
export function inflatePrefix(bytes: Uint8Array, wanted: number, source: string): Uint8Array {
  if (!isGzip(bytes)) return bytes.subarray(0, wanted);
  const chunks: Uint8Array[] = [];
  let have = 0;
  const stream = new Gunzip((chunk) => {
    chunks.push(chunk);
    have += chunk.length;
  });
  try {
    for (let offset = 0; offset < bytes.length && have < wanted; offset += PREFIX_CHUNK) {
      const end = Math.min(bytes.length, offset + PREFIX_CHUNK);
      stream.push(bytes.subarray(offset, end), end === bytes.length);
    }
  } catch (thrown) {
    // fflate's code 0 is "unexpected EOF": a file still arriving (K01) or a prefix read on purpose.
    // What inflated so far is returned, and the header decoder says whether it is enough.
    const endedEarly = (thrown as { code?: unknown }).code === 0;
    if (!endedEarly && have < wanted) throw corrupt(source, thrown);
  }
  const out = new Uint8Array(Math.min(have, wanted));
  let at = 0;
  for (const chunk of chunks) {
    if (at >= out.length) break;
    const take = chunk.subarray(0, out.length - at);
    out.set(take, at);
    at += take.length;
  }
  return out;
}
