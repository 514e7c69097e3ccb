/**
 * Reading NIfTI-1 and NIfTI-2 into float32 volumes on a world grid.
 *
 *   bytes ──gzip? (by content)──▶ header ──▶ layout (dims, frames, offset; sizes checked)
 *                                   ├──▶ affine (sform ▸ qform ▸ pixdim; see affine.ts)
 *                                   ├──▶ TR (unit sanity; see timing.ts)
 *                                   └──▶ voxels (byte order, datatype, scl_slope) ──▶ Float32Array
 *
 * A file is a volume only once it parses completely (invariant 1): a short header or short data is
 * NIFTI_TRUNCATED, a cut gzip NIFTI_GZIP_CORRUPT, never a partial image. Every failure on bad input
 * is a BoldstreamError.
 */
import { open, readFile } from 'node:fs/promises';
import { BoldstreamError, asBoldstreamError, type Warning } from '../../errors.js';
import type { Mat4 } from '../../geometry/mat4.js';
import type { VoxelGrid } from '../../volume.js';
import { chooseAffine } from './affine.js';
import { inflateAll, inflateAllAsync, inflatePrefix, isGzip } from './gzip.js';
import { decodeHeader, type RawHeader } from './header.js';
import { layoutOf, listExtensions, summarise, type Layout } from './layout.js';
import { headerRepetitionTime } from './timing.js';
import type { AffineSource, NiftiHeaderSummary, NiftiImage } from './types.js';
import { datatypeOf, decodeVoxels, scalingOf } from './voxels.js';

/** Everything but the voxels: what `inspect`, BIDS discovery and arrival checks need. */
export interface NiftiHeaderInfo {
  readonly grid: VoxelGrid;
  readonly frames: number;
  readonly repetitionTime: number | null;
  readonly affineSource: AffineSource;
  readonly warnings: readonly Warning[];
  readonly header: NiftiHeaderSummary;
}

const DEFAULT_SOURCE = 'NIfTI bytes';
/** Enough of any file for the NIfTI-2 header and its extender bytes. */
const HEADER_PREFIX = 544;
/** Extensions are listed for `inspect` only up to here; past it they are still skipped correctly. */
const EXTENSION_LISTING_LIMIT = 1 << 20;

/** The spec's voxel sizes, unless a header leaves them 0: then the affine's column lengths. */
function voxelSizeOf(h: RawHeader, affine: Mat4): [number, number, number] {
  return [0, 1, 2].map((c) => {
    const stored = Math.abs(h.pixdim[c + 1] ?? 0);
    return stored > 0 && Number.isFinite(stored) ? stored : Math.hypot(affine[c]!, affine[4 + c]!, affine[8 + c]!);
  }) as [number, number, number];
}

function describe(content: Uint8Array, compressed: boolean, source: string): { h: RawHeader; layout: Layout; info: NiftiHeaderInfo } {
  const h = decodeHeader(content, source);
  const layout = layoutOf(h, source);
  const chosen = chooseAffine(h, layout.dims, source);
  const timing = headerRepetitionTime(h, source);
  const info: NiftiHeaderInfo = {
    grid: { dims: layout.dims, voxelSize: voxelSizeOf(h, chosen.affine), affine: chosen.affine },
    frames: layout.frames,
    repetitionTime: timing.seconds,
    affineSource: chosen.source,
    warnings: [...chosen.warnings, ...timing.warnings],
    header: summarise(h, compressed, listExtensions(content, h, layout.dataOffset)),
  };
  return { h, layout, info };
}

function parse(content: Uint8Array, compressed: boolean, source: string): NiftiImage {
  const { h, layout, info } = describe(content, compressed, source);
  const type = datatypeOf(h.datatype, source);
  const perFrame = layout.dims[0] * layout.dims[1] * layout.dims[2];
  const count = perFrame * layout.frames;
  const needed = layout.dataOffset + count * type.bytes;
  if (content.length < needed) {
    throw new BoldstreamError('NIFTI_TRUNCATED', `${source}: ${content.length} bytes, header and data need ${needed}`);
  }
  const data = decodeVoxels(content, layout.dataOffset, count, type, h.littleEndian, scalingOf(h.sclSlope, h.sclInter));
  const frames = layout.frames;
  return {
    ...info,
    data,
    frame(t: number): Float32Array {
      if (!Number.isInteger(t) || t < 0 || t >= frames) {
        throw new BoldstreamError('VOLUME_TR_OUT_OF_RANGE', `${source}: frame ${t} of ${frames}`);
      }
      return data.subarray(t * perFrame, (t + 1) * perFrame);
    },
  };
}

/** A 4D file whose frames are decoded one at a time, when asked for: replaying a long run then holds the
 * file's own bytes (int16: half of float32) and one frame, instead of every frame in float32. */
export interface NiftiFrames extends NiftiHeaderInfo {
  /** Frame t as a new Float32Array (scaled, host order). */
  frame(t: number): Float32Array;
}

function frames(content: Uint8Array, compressed: boolean, source: string): NiftiFrames {
  const { h, layout, info } = describe(content, compressed, source);
  const type = datatypeOf(h.datatype, source);
  const perFrame = layout.dims[0] * layout.dims[1] * layout.dims[2];
  const needed = layout.dataOffset + perFrame * layout.frames * type.bytes;
  if (content.length < needed) {
    throw new BoldstreamError('NIFTI_TRUNCATED', `${source}: ${content.length} bytes, header and data need ${needed}`);
  }
  const scaling = scalingOf(h.sclSlope, h.sclInter);
  return {
    ...info,
    frame(t: number): Float32Array {
      if (!Number.isInteger(t) || t < 0 || t >= layout.frames) throw new BoldstreamError('VOLUME_TR_OUT_OF_RANGE', `${source}: frame ${t} of ${layout.frames}`);
      return decodeVoxels(content, layout.dataOffset + t * perFrame * type.bytes, perFrame, type, h.littleEndian, scaling);
    },
  };
}

/** What decoding frames one at a time needs from a header: where they start, their size, how to decode one. */
export interface FrameLayout {
  readonly info: NiftiHeaderInfo;
  readonly dataOffset: number;
  readonly frameBytes: number;
  /** Decodes the bytes of one frame (exactly frameBytes) into scaled float32. */
  decode(bytes: Uint8Array): Float32Array;
}

/** The frame layout from the start of a file (uncompressed bytes, at least the header). */
export function frameLayout(head: Uint8Array, source = DEFAULT_SOURCE): FrameLayout {
  return guarded(() => {
    const { h, layout, info } = describe(head, false, source);
    const type = datatypeOf(h.datatype, source);
    const perFrame = layout.dims[0] * layout.dims[1] * layout.dims[2];
    const scaling = scalingOf(h.sclSlope, h.sclInter);
    return { info, dataOffset: layout.dataOffset, frameBytes: perFrame * type.bytes, decode: (bytes) => decodeVoxels(bytes, 0, perFrame, type, h.littleEndian, scaling) };
  });
}

/** Like readNifti, but each frame is decoded only when `frame(t)` is called. */
export async function openNiftiFrames(path: string): Promise<NiftiFrames> {
  const bytes = await readWhole(path);
  const content = await inflateAllAsync(bytes, path);
  return guarded(() => frames(content, isGzip(bytes), path));
}

/** Runs `read`, turning anything that is not already a BoldstreamError into one: bad input never escapes as a crash. */
function guarded<T>(read: () => T): T {
  try {
    return read();
  } catch (thrown) {
    throw asBoldstreamError(thrown, 'NIFTI_BAD_HEADER');
  }
}

/** Parses a complete NIfTI-1/2 file, gzip or not; `source` names it in messages and warnings. */
export function readNifti(bytes: Uint8Array, source = DEFAULT_SOURCE): NiftiImage {
  return guarded(() => parse(inflateAll(bytes, source), isGzip(bytes), source));
}

/** Header, grid, frames and TR from the start of a file; voxel data may be missing or still arriving. */
export function readNiftiHeader(bytes: Uint8Array, source = DEFAULT_SOURCE): NiftiHeaderInfo {
  return guarded(() => {
    const compressed = isGzip(bytes);
    const head = compressed ? inflatePrefix(bytes, HEADER_PREFIX, source) : bytes;
    const { layout, info } = describe(head, compressed, source);
    if (!compressed || layout.dataOffset <= head.length || layout.dataOffset > EXTENSION_LISTING_LIMIT) return info;
    // Extensions sit between header and data; inflate that far so `inspect` can list them.
    return describe(inflatePrefix(bytes, layout.dataOffset, source), compressed, source).info;
  });
}

async function readWhole(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (thrown) {
    throw new BoldstreamError('INPUT_NOT_FOUND', `${path}: ${(thrown as NodeJS.ErrnoException).code ?? String(thrown)}`, { cause: thrown });
  }
}

/** Reads and parses a file; decompression runs on zlib's thread pool, not the event loop. */
export async function readNiftiFile(path: string): Promise<NiftiImage> {
  const bytes = await readWhole(path);
  const content = await inflateAllAsync(bytes, path);
  return guarded(() => parse(content, isGzip(bytes), path));
}

/** Reads only the first `prefixBytes` of a file (64 KiB of gzip holds any real header) and its header. */
export async function readNiftiHeaderFile(path: string, prefixBytes = 64 * 1024): Promise<NiftiHeaderInfo> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (thrown) {
    throw new BoldstreamError('INPUT_NOT_FOUND', `${path}: ${(thrown as NodeJS.ErrnoException).code ?? String(thrown)}`, { cause: thrown });
  }
  try {
    const buffer = new Uint8Array(prefixBytes);
    const { bytesRead } = await handle.read(buffer, 0, prefixBytes, 0);
    return readNiftiHeader(buffer.subarray(0, bytesRead), path);
  } finally {
    await handle.close();
  }
}
