/**
 * One volume as a frame of volumes.bin. Only what the readers parse is kept (identity, grid,
 * float32 data, times, slice timing, the reader's warnings, which name codes and files, never header
 * values): never another field of a DICOM header, so a recording holds nothing that identifies a
 * person beyond the images themselves.
 */
import { Packr, Unpackr } from 'msgpackr';
import { BoldstreamError, catalogue, type Warning } from '../errors.js';
import type { Volume, VolumeIdentity } from '../volume.js';

// moreTypes keeps Float32Array data and the Float64Array affine as they are, byte for byte.
const packr = new Packr({ moreTypes: true, useRecords: false });
const unpackr = new Unpackr({ moreTypes: true, useRecords: false, mapsAsObjects: true });

export function volumeToFrame(volume: Volume): Uint8Array {
  const identity: VolumeIdentity = volume.identity.instance === undefined
    ? { series: volume.identity.series, index: volume.identity.index }
    : { series: volume.identity.series, index: volume.identity.index, instance: volume.identity.instance };
  // A copy: msgpackr packs into one shared, growing buffer, and a view kept until the write pins it all.
  const packed = packr.pack({
    identity,
    grid: { dims: [...volume.grid.dims], voxelSize: [...volume.grid.voxelSize], affine: Float64Array.from(volume.grid.affine) },
    data: volume.data,
    acquisitionTime: volume.acquisitionTime,
    receivedAt: volume.receivedAt,
    repetitionTime: volume.repetitionTime,
    ...(volume.sliceTiming ? { sliceTiming: [...volume.sliceTiming] } : {}),
    ...(volume.warnings.length ? { warnings: volume.warnings.map((w) => ({ code: w.code, message: w.message })) } : {}),
  });
  return Uint8Array.prototype.slice.call(packed);
}

type Loose = Record<string, unknown>;
const isObject = (v: unknown): v is Loose => typeof v === 'object' && v !== null && !Array.isArray(v);
const isTriple = (v: unknown): v is [number, number, number] => Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number');
const numberOrNull = (v: unknown): v is number | null => v === null || typeof v === 'number';

/** Throws RECORDING_INVALID when the frame is not a volume this module wrote. */
export function volumeFromFrame(payload: Uint8Array, where: string): Volume {
  let frame: unknown;
  try {
    frame = unpackr.unpack(payload);
  } catch (cause) {
    throw new BoldstreamError('RECORDING_INVALID', `${where}: frame is not msgpack`, { cause });
  }
  const bad = (what: string): never => {
    throw new BoldstreamError('RECORDING_INVALID', `${where}: ${what}`);
  };
  if (!isObject(frame) || !isObject(frame.identity) || !isObject(frame.grid)) return bad('frame is not a volume');
  const { identity, grid, data } = frame;
  if (typeof identity.series !== 'string' || typeof identity.index !== 'number') return bad('bad identity');
  if (!isTriple(grid.dims) || !isTriple(grid.voxelSize) || !(grid.affine instanceof Float64Array) || grid.affine.length !== 16) return bad('bad grid');
  if (!(data instanceof Float32Array) || data.length !== grid.dims[0] * grid.dims[1] * grid.dims[2]) return bad('data does not fill the grid');
  if (!numberOrNull(frame.acquisitionTime) || typeof frame.receivedAt !== 'number' || !numberOrNull(frame.repetitionTime)) return bad('bad times');
  const sliceTiming = frame.sliceTiming;
  if (sliceTiming !== undefined && !(Array.isArray(sliceTiming) && sliceTiming.every((t) => typeof t === 'number'))) return bad('bad slice timing');
  const warnings = frame.warnings ?? [];
  if (!(Array.isArray(warnings) && warnings.every((w) => isObject(w) && typeof w.code === 'string' && Object.hasOwn(catalogue, w.code) && typeof w.message === 'string'))) return bad('bad warnings');
  return {
    identity: typeof identity.instance === 'string'
      ? { series: identity.series, index: identity.index, instance: identity.instance }
      : { series: identity.series, index: identity.index },
    grid: { dims: grid.dims, voxelSize: grid.voxelSize, affine: grid.affine },
    data,
    acquisitionTime: frame.acquisitionTime,
    receivedAt: frame.receivedAt,
    repetitionTime: frame.repetitionTime,
    ...(sliceTiming ? { sliceTiming: sliceTiming as number[] } : {}),
    warnings: warnings as Warning[],
  };
}
