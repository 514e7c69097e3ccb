/**
 * Header quirks on small fixtures that nibabel writes (then, where nibabel cannot write the quirk,
 * the test patches header bytes); every expected value is what nibabel reads from the same file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BoldstreamError } from '../../src/errors.js';
import { readNifti, readNiftiFile, type NiftiImage } from '../../src/ingest/nifti/index.js';
import { flat, nibabelDescribe, nibabelMake, temporaryFolder, type FixtureSpec } from '../fixtures/nifti/nibabel.js';

const folder = temporaryFolder();
const at = (name: string): string => path.join(folder.dir, name);

/** An oblique, rigid-times-scale affine with a left-handed voxel axis order (qfac -1), like real EPI. */
const OBLIQUE = [
  [-2.9991, 0.0173, 0.0929, 92.0772],
  [0.0251, 2.9801, 0.4584, -111.9101],
  [0.0672, -0.3443, 3.9726, -23.9628],
  [0, 0, 0, 1],
];
const DATATYPE_VALUES: Record<string, number[]> = {
  uint8: [0, 1, 127, 128, 255],
  int8: [-128, -1, 0, 1, 127],
  int16: [-32768, -1, 0, 1, 32767],
  uint16: [0, 1, 32767, 32768, 65535],
  int32: [-2147483648, -1, 0, 1, 2147483647],
  uint32: [0, 1, 2147483647, 2147483648, 4294967295],
  float32: [-3.5, 0, 1e-20, 1.25, 3.4e38],
  float64: [-1e300, 0, 0.1, 1 / 3, 1e300],
};
const repeat = (values: number[], n: number): number[] => Array.from({ length: n }, (_, i) => values[i % values.length]!);

const SPECS: FixtureSpec[] = [
  { path: at('nifti2.nii'), shape: [5, 4, 3, 3], version: 2, affine: OBLIQUE, zooms: [3, 3, 4, 2], timeUnit: 'sec' },
  { path: at('nifti2-big.nii.gz'), shape: [5, 4, 3], version: 2, endianness: '>', dtype: 'float32', affine: OBLIQUE },
  { path: at('nifti1-big.nii'), shape: [5, 4, 3, 2], endianness: '>', dtype: 'uint16', values: repeat(DATATYPE_VALUES.uint16!, 120) },
  ...Object.entries(DATATYPE_VALUES).map(([dtype, values]) => ({ path: at(`type-${dtype}.nii`), shape: [5, 2, 2], dtype, values: repeat(values, 20) })),
  { path: at('type-int64.nii'), shape: [2, 2, 2], dtype: 'int64' },
  { path: at('type-complex64.nii'), shape: [2, 2, 2], dtype: 'complex64' },
  { path: at('extension.nii'), shape: [4, 3, 2], extensions: [[6, 'a comment that pushes vox_offset past 352'], [4, '<AFNI_attributes/>']] },
  { path: at('plain.nii'), shape: [4, 3, 2, 2], affine: OBLIQUE, zooms: [3, 3, 4, 1.5], timeUnit: 'sec' },
  { path: at('float.nii'), shape: [4, 3, 2], dtype: 'float32' },
  { path: at('qform-only.nii'), shape: [4, 3, 2], affine: OBLIQUE, sformCode: 0, qformCode: 1 },
  { path: at('no-forms.nii'), shape: [4, 3, 2], affine: OBLIQUE, sformCode: 0, qformCode: 0 },
  { path: at('qform-shifted.nii'), shape: [4, 3, 2], affine: OBLIQUE, qform: OBLIQUE.map((r, i) => (i === 0 ? [...r.slice(0, 3), r[3]! + 0.5] : r)) },
  { path: at('qform-close.nii'), shape: [4, 3, 2], affine: OBLIQUE, qform: OBLIQUE.map((r, i) => (i === 0 ? [...r.slice(0, 3), r[3]! + 0.004] : r)) },
  { path: at('tr-ms.nii'), shape: [2, 2, 2, 3], zooms: [2, 2, 3, 1500], timeUnit: 'msec' },
  { path: at('tr-us.nii'), shape: [2, 2, 2, 3], zooms: [2, 2, 3, 2_000_000], timeUnit: 'usec' },
  { path: at('tr-2000s.nii'), shape: [2, 2, 2, 3], zooms: [2, 2, 3, 2000], timeUnit: 'sec' },
  { path: at('tr-zero.nii'), shape: [2, 2, 2, 3], zooms: [2, 2, 3, 0], timeUnit: 'sec' },
  { path: at('five-d.nii'), shape: [3, 2, 2, 2, 1], zooms: [2, 2, 3, 2, 1], timeUnit: 'sec' },
  { path: at('five-d-vector.nii'), shape: [3, 2, 2, 1, 3] },
];

beforeAll(() => nibabelMake(SPECS));
afterAll(() => folder.remove());

/** Rewrites fields of a little-endian NIfTI-1 file (offsets from nifti1.h) into a new file. */
function patched(source: string, name: string, edit: (view: DataView) => void): string {
  const bytes = new Uint8Array(readFileSync(at(source)));
  edit(new DataView(bytes.buffer));
  writeFileSync(at(name), bytes);
  return at(name);
}

function expectLikeNibabel(image: NiftiImage, file: string): void {
  const reference = nibabelDescribe(file);
  expect([...image.grid.dims, image.frames]).toEqual([...reference.shape.slice(0, 3), reference.shape[3] ?? 1]);
  const affine = flat(reference.affine);
  affine.forEach((v, i) => expect(Math.abs(image.grid.affine[i]! - v)).toBeLessThanOrEqual(1e-4));
  expect(image.data.length).toBe(reference.values.length);
  image.data.forEach((v, i) => {
    if (!Object.is(v, reference.values[i])) expect.fail(`voxel ${i}: ours ${v}, nibabel ${reference.values[i]}`);
  });
}

const codes = (image: { warnings: readonly { code: string }[] }): string[] => image.warnings.map((w) => w.code).sort();

async function expectError(read: () => Promise<unknown> | unknown, code: string): Promise<void> {
  const error = await (async () => read())().then(() => null, (thrown: unknown) => thrown);
  expect(error).toBeInstanceOf(BoldstreamError);
  expect((error as BoldstreamError).code).toBe(code);
}

describe('K18 byte order and NIfTI-2', () => {
  it('reads NIfTI-2 written by nibabel (64-bit dims and offsets)', async () => {
    const image = await readNiftiFile(at('nifti2.nii'));
    expect(image.header.version).toBe(2);
    expect(image.repetitionTime).toBe(2);
    expect(codes(image)).toEqual([]);
    expectLikeNibabel(image, at('nifti2.nii'));
  });

  it('reads big-endian NIfTI-2, gzip-compressed', async () => {
    const image = await readNiftiFile(at('nifti2-big.nii.gz'));
    expect([image.header.version, image.header.byteOrder, image.header.compressed]).toEqual([2, 'big', true]);
    expectLikeNibabel(image, at('nifti2-big.nii.gz'));
  });

  it('reads big-endian NIfTI-1 uint16 with values above 32767 (K17)', async () => {
    const image = await readNiftiFile(at('nifti1-big.nii'));
    expect(image.header.byteOrder).toBe('big');
    expect(Math.max(...image.data)).toBe(65535);
    expectLikeNibabel(image, at('nifti1-big.nii'));
  });
});

describe('datatypes', () => {
  it.each(Object.keys(DATATYPE_VALUES))('reads %s exactly as nibabel does, as float32', async (dtype) => {
    const image = await readNiftiFile(at(`type-${dtype}.nii`));
    expect(image.header.datatype).toBe(dtype);
    expect(image.data).toBeInstanceOf(Float32Array);
    expectLikeNibabel(image, at(`type-${dtype}.nii`));
  });

  it.each(['int64', 'complex64'])('refuses %s with NIFTI_UNSUPPORTED_DATATYPE', async (dtype) => {
    await expectError(() => readNiftiFile(at(`type-${dtype}.nii`)), 'NIFTI_UNSUPPORTED_DATATYPE');
  });

  it('K22 NaN and Inf voxels pass through as NaN and Inf', async () => {
    const file = patched('float.nii', 'nonfinite.nii', (v) => {
      v.setFloat32(352 + 4 * 3, NaN, true);
      v.setFloat32(352 + 4 * 5, Infinity, true);
      v.setFloat32(352 + 4 * 7, -Infinity, true);
    });
    const image = await readNiftiFile(file);
    expect([image.data[3], image.data[5], image.data[7]]).toEqual([NaN, Infinity, -Infinity]);
    expectLikeNibabel(image, file);
  });
});

describe('K19 header extensions', () => {
  it('skips extensions by vox_offset and lists them for inspect', async () => {
    const image = await readNiftiFile(at('extension.nii'));
    expect(image.header.voxOffset).toBeGreaterThan(352);
    expect(image.header.extensions.map((e) => e.code)).toEqual([6, 4]);
    expectLikeNibabel(image, at('extension.nii'));
  });
});

describe('K15 scaling', () => {
  const SLOPE = 112;
  const INTER = 116;
  it('K15 scl_slope 0 means no scaling', async () => {
    const file = patched('plain.nii', 'slope-zero.nii', (v) => { v.setFloat32(SLOPE, 0, true); v.setFloat32(INTER, 100, true); });
    const image = await readNiftiFile(file);
    expectLikeNibabel(image, file);
    expect(image.data).toEqual(readNifti(readFileSync(at('plain.nii'))).data);
  });

  it('K15 scl_slope NaN means no scaling', async () => {
    const file = patched('plain.nii', 'slope-nan.nii', (v) => { v.setFloat32(SLOPE, NaN, true); v.setFloat32(INTER, NaN, true); });
    const image = await readNiftiFile(file);
    expectLikeNibabel(image, file);
    expect(image.data).toEqual(readNifti(readFileSync(at('plain.nii'))).data);
  });

  it('a real slope and intercept give float32-exact values', async () => {
    const file = patched('plain.nii', 'slope-real.nii', (v) => { v.setFloat32(SLOPE, 0.0754, true); v.setFloat32(INTER, 3100.76, true); });
    expectLikeNibabel(await readNiftiFile(file), file);
  });

  it('scales float32 data too', async () => {
    const file = patched('float.nii', 'float-scaled.nii', (v) => { v.setFloat32(SLOPE, 1.5, true); v.setFloat32(INTER, -2, true); });
    expectLikeNibabel(await readNiftiFile(file), file);
  });

  it('a valid slope with a NaN intercept keeps the slope (nibabel refuses; compared with intercept 0)', async () => {
    const withNan = patched('plain.nii', 'inter-nan.nii', (v) => { v.setFloat32(SLOPE, 2, true); v.setFloat32(INTER, NaN, true); });
    const withZero = patched('plain.nii', 'inter-zero.nii', (v) => { v.setFloat32(SLOPE, 2, true); v.setFloat32(INTER, 0, true); });
    const image = await readNiftiFile(withNan);
    expectLikeNibabel(image, withZero);
  });
});

describe('K21 orientation: one rule for runs, references and masks', () => {
  it('uses the sform and warns HEADER_FORM_DISAGREE when the qform is 0.5 mm away', async () => {
    const image = await readNiftiFile(at('qform-shifted.nii'));
    expect(image.affineSource).toBe('sform');
    expect(codes(image)).toEqual(['HEADER_FORM_DISAGREE']);
    expect(image.warnings[0]!.message).toMatch(/0\.5000 mm/);
    expectLikeNibabel(image, at('qform-shifted.nii'));
  });

  it('stays quiet when the forms agree within 0.01 mm', async () => {
    expect(codes(await readNiftiFile(at('qform-close.nii')))).toEqual([]);
  });

  it('uses the qform when sform_code is 0', async () => {
    const image = await readNiftiFile(at('qform-only.nii'));
    expect([image.affineSource, codes(image)]).toEqual(['qform', []]);
    expectLikeNibabel(image, at('qform-only.nii'));
  });

  it('falls back to pixdim scaling (nibabel\'s Analyze affine) with HEADER_NO_ORIENTATION when both codes are 0', async () => {
    const image = await readNiftiFile(at('no-forms.nii'));
    expect([image.affineSource, codes(image)]).toEqual(['pixdim', ['HEADER_NO_ORIENTATION']]);
    expectLikeNibabel(image, at('no-forms.nii'));
  });

  it('skips an unknown sform code with HEADER_FORM_INVALID and uses the qform', async () => {
    const file = patched('plain.nii', 'sform-code-9.nii', (v) => v.setInt16(254, 9, true));
    const image = await readNiftiFile(file);
    expect([image.affineSource, codes(image)]).toEqual(['qform', ['HEADER_FORM_INVALID']]);
    const qform = flat(nibabelDescribe(at('plain.nii')).qform!);
    qform.forEach((v, i) => expect(image.grid.affine[i]).toBeCloseTo(v, 4));
  });

  it('skips a singular sform with HEADER_FORM_INVALID', async () => {
    const file = patched('plain.nii', 'sform-zero.nii', (v) => { for (let i = 0; i < 12; i++) v.setFloat32(280 + 4 * i, 0, true); });
    const image = await readNiftiFile(file);
    expect([image.affineSource, codes(image)]).toEqual(['qform', ['HEADER_FORM_INVALID']]);
  });

  it('normalises a non-unit quaternion with HEADER_QUATERNION_NONUNIT, as nibabel reads the normalised one', async () => {
    // A unit (b, c, d) with a = 0 (a 180° turn), stretched by 5%: a = sqrt(1 - 1.1025) would be imaginary.
    const [b, c, d] = [0.48, 0.6, 0.64];
    const write = (name: string, scale: number): string =>
      patched('plain.nii', name, (v) => {
        v.setInt16(254, 0, true);
        [b, c, d].forEach((q, i) => v.setFloat32(256 + 4 * i, q * scale, true));
      });
    const image = await readNiftiFile(write('quaternion-long.nii', 1.05));
    expect([image.affineSource, codes(image)]).toEqual(['qform', ['HEADER_QUATERNION_NONUNIT']]);
    expectLikeNibabel(image, write('quaternion-unit.nii', 1));
  });

  it('refuses with NIFTI_BAD_AFFINE when no form is usable and pixdim has a zero size', async () => {
    const file = patched('no-forms.nii', 'no-geometry.nii', (v) => v.setFloat32(80, 0, true));
    await expectError(() => readNiftiFile(file), 'NIFTI_BAD_AFFINE');
  });
});

describe('K20 repetition time from the header', () => {
  it.each([
    ['tr-ms.nii', 1.5, []],
    ['tr-us.nii', 2, []],
    ['tr-2000s.nii', 2, ['HEADER_TR_UNITS']],
    ['tr-zero.nii', null, ['HEADER_TR_MISSING']],
  ] as const)('%s gives TR %s', async (name, tr, warnings) => {
    const reference = nibabelDescribe(at(name));
    const image = await readNiftiFile(at(name));
    expect(image.repetitionTime).toBe(tr);
    expect(codes(image)).toEqual(warnings);
    expect(image.header.pixdim[4]).toBe(reference.pixdim[4]);
    expect(image.header.temporalUnits).toBe({ sec: 's', msec: 'ms', usec: 'us' }[reference.timeUnit]);
  });

  it('a 4th axis in Hz is not time: null with HEADER_TR_MISSING', async () => {
    const file = patched('tr-ms.nii', 'tr-hz.nii', (v) => v.setUint8(123, 2 | 32));
    const image = await readNiftiFile(file);
    expect([image.repetitionTime, codes(image)]).toEqual([null, ['HEADER_TR_MISSING']]);
  });
});

describe('dimensions', () => {
  it('reads 5D with trailing dims of 1 as 4D', async () => {
    const image = await readNiftiFile(at('five-d.nii'));
    expect([image.header.dims.length, image.frames]).toEqual([5, 2]);
    expectLikeNibabel(image, at('five-d.nii'));
  });

  it('refuses a 5th dimension above 1 with NIFTI_BAD_DIMS', async () => {
    await expectError(() => readNiftiFile(at('five-d-vector.nii')), 'NIFTI_BAD_DIMS');
  });

  it('frame(t) is a view of frame t and refuses frames out of range', async () => {
    const image = await readNiftiFile(at('plain.nii'));
    const n = 4 * 3 * 2;
    expect(image.frame(1)).toEqual(image.data.subarray(n, 2 * n));
    expect(image.frame(1).buffer).toBe(image.data.buffer);
    await expectError(() => image.frame(2), 'VOLUME_TR_OUT_OF_RANGE');
  });
});
