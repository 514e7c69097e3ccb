/**
 * DICOM fixtures for the reader's tests, built from the real scans at test time (nothing is copied into
 * the repository), plus the independent references they are checked against.
 *
 * - A tiny element walker, written separately from src/ingest/dicom on purpose: it finds where each
 *   top-level element lies so that tests can cut, replace, insert or remove elements byte-exactly, and it
 *   finds identifying values without trusting the code under test.
 * - Reference answers come from dcm2niix and nibabel (Debian's python3), never from the reader.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { referencePython } from './paths.js';

export interface RawElement {
  /** group << 16 | element */
  readonly tag: number;
  readonly vr: string | null;
  readonly start: number;
  readonly valueStart: number;
  /** -1 for an undefined length */
  readonly length: number;
  readonly end: number;
}

const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
const u16 = (b: Uint8Array, p: number) => b[p]! | (b[p + 1]! << 8);
const u32 = (b: Uint8Array, p: number) => (u16(b, p) + u16(b, p + 2) * 0x10000) >>> 0;

function readElement(b: Uint8Array, pos: number, explicit: boolean): RawElement {
  const tag = ((u16(b, pos) << 16) | u16(b, pos + 2)) >>> 0;
  let vr: string | null = null;
  let length: number;
  let valueStart: number;
  if (explicit && u16(b, pos) !== 0xfffe) {
    vr = String.fromCharCode(b[pos + 4]!, b[pos + 5]!);
    if (LONG_VRS.has(vr)) [length, valueStart] = [u32(b, pos + 8), pos + 12];
    else [length, valueStart] = [u16(b, pos + 6), pos + 8];
  } else [length, valueStart] = [u32(b, pos + 4), pos + 8];
  if (length === 0xffffffff) return { tag, vr, start: pos, valueStart, length: -1, end: skipUndefined(b, valueStart, explicit) };
  return { tag, vr, start: pos, valueStart, length, end: valueStart + length };
}

/** Past the sequence delimiter of an undefined-length value, stepping over nested items. */
function skipUndefined(b: Uint8Array, pos: number, explicit: boolean): number {
  while (pos + 8 <= b.length) {
    const [g, e, len] = [u16(b, pos), u16(b, pos + 2), u32(b, pos + 4)];
    if (g === 0xfffe && e === 0xe0dd) return pos + 8;
    if (g !== 0xfffe || e !== 0xe000) throw new Error(`walker: unexpected tag in sequence at ${pos}`);
    if (len !== 0xffffffff) {
      pos += 8 + len;
      continue;
    }
    pos += 8;
    while (!(u16(b, pos) === 0xfffe && u16(b, pos + 2) === 0xe00d)) pos = readElement(b, pos, explicit).end;
    pos += 8;
  }
  throw new Error('walker: sequence without delimiter');
}

/** Top-level elements of a well-formed Part 10 file (meta group, then the dataset). */
export function walk(b: Uint8Array): RawElement[] {
  const out: RawElement[] = [];
  let pos = 132;
  while (pos < b.length && u16(b, pos) === 0x0002) {
    const el = readElement(b, pos, true);
    out.push(el);
    pos = el.end;
  }
  const explicit = explicitDataset(b, out);
  while (pos < b.length) {
    const el = readElement(b, pos, explicit);
    out.push(el);
    pos = el.end;
  }
  return out;
}

function explicitDataset(b: Uint8Array, elements: readonly RawElement[]): boolean {
  const ts = elements.find((el) => el.tag === 0x00020010);
  return ts ? textOf(b, ts) !== '1.2.840.10008.1.2' : true;
}

export function textOf(b: Uint8Array, el: RawElement): string {
  return Buffer.from(b.subarray(el.valueStart, el.valueStart + Math.max(0, el.length))).toString('latin1').replace(/[\s\0]+$/, '').trim();
}

export function find(b: Uint8Array, tag: number): RawElement | undefined {
  return walk(b).find((el) => el.tag === tag);
}

/** A DICOM string value padded to even length (UIs with NUL, text with a space). */
export function dicomText(s: string, vr = 'LO'): Uint8Array {
  const pad = s.length % 2 === 1 ? (vr === 'UI' ? '\0' : ' ') : '';
  return new Uint8Array(Buffer.from(s + pad, 'latin1'));
}

export function uint16Value(...values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 2);
  values.forEach((v, i) => new DataView(out.buffer).setUint16(i * 2, v, true));
  return out;
}

function encodeElement(tag: number, vr: string | null, value: Uint8Array, explicit: boolean): Uint8Array {
  const long = vr !== null && LONG_VRS.has(vr);
  const head = new Uint8Array(!explicit ? 8 : long ? 12 : 8);
  const v = new DataView(head.buffer);
  v.setUint16(0, tag >>> 16, true);
  v.setUint16(2, tag & 0xffff, true);
  if (!explicit) v.setUint32(4, value.length, true);
  else {
    head.set(Buffer.from(vr ?? 'UN', 'latin1'), 4);
    if (long) v.setUint32(8, value.length, true);
    else v.setUint16(6, value.length, true);
  }
  return Buffer.concat([head, value]);
}

/**
 * Sets (replaces or inserts, in tag order) or removes (value null) top-level elements; the meta group
 * length follows. `vr` is needed only to insert into an explicit VR file.
 */
export function edit(b: Uint8Array, edits: readonly { tag: number; value: Uint8Array | null; vr?: string }[]): Uint8Array {
  let out = b;
  for (const { tag, value, vr } of edits) {
    const elements = walk(out);
    const explicit = tag >>> 16 === 2 || explicitDataset(out, elements);
    const existing = elements.find((el) => el.tag === tag);
    const at = existing ?? elements.find((el) => el.tag > tag);
    const cut = at ? at.start : out.length;
    const resume = existing ? existing.end : cut;
    const piece = value === null ? new Uint8Array(0) : encodeElement(tag, existing?.vr ?? vr ?? null, value, explicit);
    out = new Uint8Array(Buffer.concat([out.subarray(0, cut), piece, out.subarray(resume)]));
  }
  const groupLength = walk(out).find((el) => el.tag === 0x00020000);
  if (groupLength) {
    const metaEnd = walk(out).filter((el) => el.tag >>> 16 === 2).at(-1)!.end;
    new DataView(out.buffer, out.byteOffset).setUint32(groupLength.valueStart, metaEnd - groupLength.end, true);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Independent references

export function withTempDir<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(path.join(tmpdir(), 'boldstream-dicom-'));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function python(script: string, ...args: string[]): string {
  return execFileSync(referencePython, ['-c', script, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
}

export interface ReferenceNifti {
  readonly shape: number[];
  readonly affine: number[][];
  /** All voxels as float32, i fastest, then j, k, t. */
  readonly data: Float32Array;
}

/** A NIfTI as nibabel reads it: sform affine and raw voxel values (int16 in dcm2niix's output). */
export function readNifti(file: string): ReferenceNifti {
  return withTempDir((dir) => {
    const raw = path.join(dir, 'voxels.f32');
    const out = python(
      `import sys, json, numpy as np, nibabel as nib
img = nib.load(sys.argv[1])
np.asarray(img.dataobj).astype('<f4').ravel(order='F').tofile(sys.argv[2])
print(json.dumps({'shape': list(img.shape), 'affine': img.affine.tolist(), 'dtype': str(img.get_data_dtype())}))`,
      file,
      raw,
    );
    const meta = JSON.parse(out) as { shape: number[]; affine: number[][] };
    const bytes = readFileSync(raw);
    return { ...meta, data: new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)) };
  });
}

/** Runs dcm2niix on a folder and returns the NIfTI files it wrote. */
export function dcm2niix(inputDir: string, outDir: string): string[] {
  execFileSync('dcm2niix', ['-b', 'n', '-z', 'n', '-f', 'out_%s', '-o', outDir, inputDir], { stdio: 'pipe' });
  return readdirSync(outDir)
    .filter((f) => f.endsWith('.nii'))
    .sort()
    .map((f) => path.join(outDir, f));
}
