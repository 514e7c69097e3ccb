/**
 * Voxel data to float32: byte order, sign and scaling resolved once, here (invariant 4).
 * NaN and Inf in float data pass through unchanged; the pipeline counts and excludes them (K22).
 */
import { BoldstreamError } from '../../errors.js';

type NumericArray = Uint8Array | Int8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array;

interface Datatype {
  readonly name: string;
  readonly bytes: number;
  readonly view: (buffer: ArrayBuffer) => NumericArray;
}

/** The datatypes real scanners and converters write for fMRI; the codes are nifti1.h's. */
const SUPPORTED = new Map<number, Datatype>([
  [2, { name: 'uint8', bytes: 1, view: (b) => new Uint8Array(b) }],
  [4, { name: 'int16', bytes: 2, view: (b) => new Int16Array(b) }],
  [8, { name: 'int32', bytes: 4, view: (b) => new Int32Array(b) }],
  [16, { name: 'float32', bytes: 4, view: (b) => new Float32Array(b) }],
  [64, { name: 'float64', bytes: 8, view: (b) => new Float64Array(b) }],
  [256, { name: 'int8', bytes: 1, view: (b) => new Int8Array(b) }],
  [512, { name: 'uint16', bytes: 2, view: (b) => new Uint16Array(b) }],
  [768, { name: 'uint32', bytes: 4, view: (b) => new Uint32Array(b) }],
]);

/** Named so `inspect` and error messages can say what a file holds even when we cannot read it. */
const UNSUPPORTED_NAMES = new Map<number, string>([
  [0, 'none'], [1, 'binary'], [32, 'complex64'], [128, 'rgb24'], [1024, 'int64'], [1280, 'uint64'],
  [1536, 'float128'], [1792, 'complex128'], [2048, 'complex256'], [2304, 'rgba32'],
]);

export function datatypeName(code: number): string {
  return SUPPORTED.get(code)?.name ?? UNSUPPORTED_NAMES.get(code) ?? `unknown(${code})`;
}

export function datatypeOf(code: number, source: string): Datatype {
  const type = SUPPORTED.get(code);
  if (!type) throw new BoldstreamError('NIFTI_UNSUPPORTED_DATATYPE', `${source}: ${datatypeName(code)} (code ${code})`);
  return type;
}

export interface Scaling {
  readonly slope: number;
  readonly inter: number;
}

/**
 * K15: a slope of 0 or NaN (or Inf) means "no scaling", as nifti1.h says and nibabel does;
 * a valid slope with a non-finite intercept keeps the slope and drops the intercept.
 */
export function scalingOf(slope: number, inter: number): Scaling | null {
  if (slope === 0 || !Number.isFinite(slope)) return null;
  const offset = Number.isFinite(inter) ? inter : 0;
  return slope === 1 && offset === 0 ? null : { slope, inter: offset };
}

export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reverses the byte order of each `width`-byte element. */
export function swapInPlace(bytes: Uint8Array, width: number): void {
  for (let i = 0; i + width <= bytes.length; i += width) {
    for (let a = i, b = i + width - 1; a < b; a++, b--) {
      const t = bytes[a]!;
      bytes[a] = bytes[b]!;
      bytes[b] = t;
    }
  }
}

/**
 * `count` voxels of `type` starting at `offset` in `bytes`, as float32 after scaling.
 * The caller has checked that the bytes are there.
 */
export function decodeVoxels(bytes: Uint8Array, offset: number, count: number, type: Datatype, littleEndian: boolean, scaling: Scaling | null): Float32Array {
  // Copy into a fresh, aligned buffer: vox_offset need not be a multiple of the width, and
  // `slice` cannot be trusted to copy (on a Node Buffer it returns a view of a shared pool).
  const raw = new Uint8Array(count * type.bytes);
  raw.set(bytes.subarray(offset, offset + raw.length));
  if (littleEndian !== HOST_LITTLE_ENDIAN && type.bytes > 1) swapInPlace(raw, type.bytes);
  const source = type.view(raw.buffer);
  if (source instanceof Float32Array && scaling === null) return source;
  const out = new Float32Array(count);
  if (scaling === null) {
    out.set(source);
    return out;
  }
  // Scale in float64 and round once, so values are float32-exact against a float64 reference.
  const { slope, inter } = scaling;
  for (let i = 0; i < count; i++) out[i] = source[i]! * slope + inter;
  return out;
}
