/**
 * K29 Malformed length fields (undefined lengths, lengths past the end, lengths that cut an element or
 * run into the next): a coded error, no exception of another kind, no junk. "No junk" is checked
 * against the undamaged file: whatever a damaged file gives as a volume must be that file's volume
 * exactly (identity, grid, every voxel), never one assembled from misread elements.
 *
 * Hundreds of cases, from a fixed seed so that every run damages the same way. The elements are found
 * by the tests' own walker (test/helpers/dicom-fixtures.ts), not by the reader under test. Random byte
 * flips and truncation are covered by test/unit/dicom-malformed.test.ts ("K01/K29 %s: random truncation
 * plus random byte flips", "K29 malformed lengths") and random bytes by test/unit/nifti-damage.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BoldstreamError, catalogue } from '../../src/errors.js';
import { readDicom } from '../../src/ingest/dicom/index.js';
import { readNifti, writeNifti } from '../../src/ingest/nifti/index.js';
import { readVolumeFile } from '../../src/ingest/sources/file-volume.js';
import { dicomHeaderIdentity } from '../../src/ingest/sources/watch-header.js';
import type { Volume } from '../../src/volume.js';
import { type RawElement, walk } from '../helpers/dicom-fixtures.js';
import { blobData, rtBytes, smallGrid } from '../helpers/kind-fixtures.js';

/** What a no-junk check needs of a volume (readers differ in what else they return). */
type Image = Pick<Volume, 'identity' | 'grid' | 'data'>;
type Outcome = { kind: 'volume'; volume: Image } | { kind: 'error'; code: string };

/** Anything but a BoldstreamError with a catalogue code escapes here and fails the property. */
function outcome(read: () => Image): Outcome {
  try {
    return { kind: 'volume', volume: read() };
  } catch (thrown) {
    if (!(thrown instanceof BoldstreamError)) throw new Error(`escaped as ${String(thrown)}`, { cause: thrown });
    expect(Object.hasOwn(catalogue, thrown.code)).toBe(true);
    expect(thrown.message).toMatch(/\S/);
    return { kind: 'error', code: thrown.code };
  }
}

function expectSameVolume(got: Image, want: Image, label: string): void {
  expect(got.identity, label).toEqual(want.identity);
  expect(got.grid.dims, label).toEqual(want.grid.dims);
  expect(Array.from(got.grid.affine), label).toEqual(Array.from(want.grid.affine));
  expect(got.data.length, label).toBe(want.data.length);
  // Element by element without building a diff of 110 592 voxels.
  const first = got.data.findIndex((v, i) => !Object.is(v, want.data[i]));
  expect(first, `${label}: first voxel that differs`).toBe(-1);
}

const LONG_LENGTH_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);

/** Byte offset and width of an element's length field in an explicit VR little-endian file. */
function lengthField(el: RawElement): { at: number; bytes: 2 | 4 } {
  if (el.vr === null || LONG_LENGTH_VRS.has(el.vr)) return { at: el.valueStart - 4, bytes: 4 };
  return { at: el.start + 6, bytes: 2 };
}

describe('K29 DICOM length fields', () => {
  const original = rtBytes(4);
  const elements = walk(original);
  const want = readDicom(original, 'original.dcm').volume;

  it('K29 the rt-cloud file has elements of both length widths to damage (the test has something to bite on)', () => {
    expect(elements.filter((el) => lengthField(el).bytes === 2).length).toBeGreaterThan(50);
    expect(elements.filter((el) => lengthField(el).bytes === 4).length).toBeGreaterThan(5);
  });

  it('K29 400 damaged length fields: each gives a coded error or exactly the undamaged volume, through the reader and the watched-folder path', () => {
    const counts = new Map<string, number>();
    const damage = fc.record({
      element: fc.nat({ max: elements.length - 1 }),
      // undefined length, past the end, a little more or less, odd, zero, the value of a neighbour
      rule: fc.constantFrom('undefined', 'past-end', 'plus', 'minus', 'odd', 'zero', 'max'),
      delta: fc.integer({ min: 1, max: 4096 }),
    });
    fc.assert(
      fc.property(damage, ({ element, rule, delta }) => {
        const el = elements[element]!;
        const field = lengthField(el);
        const max = field.bytes === 2 ? 0xffff : 0xffffffff;
        const length = Math.max(0, el.length);
        const value = {
          undefined: max,
          'past-end': Math.min(max, original.length - el.valueStart + delta),
          plus: Math.min(max, length + delta),
          minus: Math.max(0, length - delta),
          odd: Math.min(max, length | 1),
          zero: 0,
          max: max - 1,
        }[rule];
        const bytes = original.slice();
        const view = new DataView(bytes.buffer);
        if (field.bytes === 2) view.setUint16(field.at, value, true);
        else view.setUint32(field.at, value >>> 0, true);
        const label = `element ${el.tag.toString(16).padStart(8, '0')} (${el.vr ?? 'implicit'}) length ${length} → ${value} (${rule})`;

        const read = outcome(() => readDicom(bytes, 'damaged.dcm').volume);
        counts.set(read.kind === 'volume' ? 'volume' : read.code, (counts.get(read.kind === 'volume' ? 'volume' : read.code) ?? 0) + 1);
        if (read.kind === 'volume') expectSameVolume(read.volume, want, label);
        // The watched folder's path: the same verdict, and never an exception.
        const file = readVolumeFile('damaged.dcm', bytes, () => 0);
        if (file.kind === 'volume') expectSameVolume(file.volume, want, `${label} (watch)`);
        else expect(file.kind, label).not.toBe('unindexed');
        // The header peek used for files still being written never throws, and names no other TR.
        const peek = dicomHeaderIdentity(bytes);
        if (peek) expect(peek.identity.index, label).toBe(want.identity.index);
      }),
      { numRuns: 400, seed: 20240629 },
    );
    // Most damage is refused; the codes are the reader's own.
    const refused = [...counts].filter(([k]) => k !== 'volume').reduce((n, [, c]) => n + c, 0);
    expect(refused).toBeGreaterThan(200);
    for (const code of counts.keys()) expect(code === 'volume' || code.startsWith('DICOM_')).toBe(true);
  });
});

describe('K29 NIfTI length and size fields', () => {
  const frames = 3;
  const n = 16 * 16 * 8;
  const data = new Float32Array(frames * n);
  for (let t = 0; t < frames; t++) data.set(blobData({ seed: t + 1 }), t * n);
  const original = writeNifti({ grid: smallGrid(), data, frames, repetitionTime: 2 });
  const want = readNifti(original, 'original.nii');

  it('K29 250 damaged size fields (sizeof_hdr, dim, bitpix, vox_offset, an extension size): a coded error or a consistent image, never an exception', () => {
    const fields = [
      { name: 'sizeof_hdr', at: 0, type: 'int32' },
      ...[0, 1, 2, 3, 4, 5].map((i) => ({ name: `dim[${i}]`, at: 40 + 2 * i, type: 'int16' })),
      { name: 'bitpix', at: 72, type: 'int16' },
      { name: 'vox_offset', at: 108, type: 'float32' },
      { name: 'extension flag', at: 348, type: 'uint8' },
      { name: 'esize', at: 352, type: 'int32' },
    ] as const;
    const value = fc.oneof(fc.integer({ min: -70_000, max: 70_000 }), fc.constantFrom(0, -1, 1, 348, 352, 540, 2 ** 31 - 1, 32767, -32768, 255), fc.double({ noNaN: false }));
    fc.assert(
      fc.property(fc.nat({ max: fields.length - 1 }), value, (which, v) => {
        const field = fields[which]!;
        const bytes = original.slice();
        const view = new DataView(bytes.buffer);
        if (field.type === 'int32') view.setInt32(field.at, Math.trunc(Number.isFinite(v) ? v : 0) | 0, true);
        else if (field.type === 'int16') view.setInt16(field.at, Math.trunc(Number.isFinite(v) ? v : 0), true);
        else if (field.type === 'uint8') view.setUint8(field.at, Math.trunc(Number.isFinite(v) ? v : 0) & 0xff);
        else view.setFloat32(field.at, v, true);
        const got = outcome(() => {
          const image = readNifti(bytes, 'damaged.nii');
          const [x, y, z] = image.grid.dims;
          expect(image.data.length, field.name).toBe(x * y * z * image.frames);
          expect(Array.from(image.grid.affine).every(Number.isFinite), field.name).toBe(true);
          return { identity: { series: 'x', index: 0 }, grid: image.grid, data: image.data };
        });
        if (got.kind === 'error') expect(got.code).toMatch(/^NIFTI_/);
        // An unchanged size reads the unchanged image.
        else if (bytes.every((b, i) => b === original[i])) expect(got.volume.data).toEqual(want.data);
      }),
      { numRuns: 250, seed: 20240630 },
    );
  });
});
