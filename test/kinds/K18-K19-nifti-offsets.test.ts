/**
 * K18 Big-endian files and NIfTI-2 64-bit offsets, K19 header extensions skipped by their sizes: read
 * correctly, or refused with a code, never read at a wrong offset and never an allocation the file
 * cannot back. Expected values come from nibabel (Debian's python3), not from the reader.
 *
 * Proved elsewhere (cited in docs/failure-kinds.md): test/unit/nifti-headers.test.ts "K18 byte order and
 * NIfTI-2" (NIfTI-2 little and big-endian, gzip, uint16 above 32767), "K19 header extensions";
 * test/unit/nifti-real.test.ts "K18 anatomical.nii is big-endian and reads as nibabel reads it";
 * test/unit/nifti-damage.test.ts "K19 a .nii.gz that is not compressed reads like the .nii it is",
 * "K19 a truncated gzip is NIFTI_GZIP_CORRUPT, at any cut", "K19 an extension with a negative esize …".
 * Here: offsets past 16 and 32 bits.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BoldstreamError } from '../../src/errors.js';
import { readNifti, readNiftiHeader } from '../../src/ingest/nifti/index.js';
import { python } from '../helpers/dicom-fixtures.js';
import { nibabelDescribe, nibabelMake, temporaryFolder } from '../fixtures/nifti/nibabel.js';

const folder = temporaryFolder();
const at = (name: string): string => path.join(folder.dir, name);
/** NIfTI-2 vox_offset: int64 at byte 168. */
const VOX_OFFSET_2 = 168;

beforeAll(() => {
  nibabelMake([
    { path: at('big2.nii'), shape: [5, 4, 3, 2], version: 2, endianness: '>', dtype: 'float32', zooms: [3, 3, 4, 2], timeUnit: 'sec' },
    // An extension of 70 000 bytes: the data starts past what a 16-bit field could say.
    { path: at('far2.nii'), shape: [5, 4, 3], version: 2, endianness: '>', dtype: 'int16', extensions: [[6, 'x'.repeat(70_000)]] },
  ]);
});
afterAll(() => folder.remove());

function codeOf(read: () => unknown): string {
  try {
    read();
  } catch (thrown) {
    if (thrown instanceof BoldstreamError) return thrown.code;
    throw new Error(`not a BoldstreamError: ${String(thrown)}`, { cause: thrown });
  }
  return 'no error';
}

/** vox_offset as nibabel reads it from the header. */
const nibabelVoxOffset = (file: string): number =>
  Number(python('import sys, nibabel as nib\nwith open(sys.argv[1], "rb") as f: print(int(nib.Nifti2Header.from_fileobj(f)["vox_offset"]))', file).trim());

describe('K18 NIfTI-2 64-bit offsets', () => {
  it('K18 a big-endian NIfTI-2 whose data starts past 65 535 bytes (a 70 kB extension) reads exactly as nibabel reads it', () => {
    const bytes = new Uint8Array(readFileSync(at('far2.nii')));
    const image = readNifti(bytes, 'far2.nii');
    expect(image.header.voxOffset).toBe(nibabelVoxOffset(at('far2.nii')));
    expect(image.header.voxOffset).toBeGreaterThan(70_000);
    expect(image.header.byteOrder).toBe('big');
    expect(image.data).toEqual(nibabelDescribe(at('far2.nii')).values);
  });

  it('K18 a big-endian vox_offset whose low 32 bits reach 2^31 is read as the large positive number it is, and the short file is NIFTI_TRUNCATED', () => {
    const bytes = new Uint8Array(readFileSync(at('big2.nii')));
    const offset = 2 ** 31 + 544;
    new DataView(bytes.buffer).setBigInt64(VOX_OFFSET_2, BigInt(offset), false);
    writeFileSync(at('low-word.nii'), bytes);
    expect(nibabelVoxOffset(at('low-word.nii'))).toBe(offset);
    expect(readNiftiHeader(bytes, 'low-word.nii').header.voxOffset).toBe(offset);
    expect(codeOf(() => readNifti(bytes, 'low-word.nii'))).toBe('NIFTI_TRUNCATED');
  });

  it('K18 offsets and dims past 2^32, or past what a number can hold, are refused with a code, without allocating', () => {
    const base = new Uint8Array(readFileSync(at('big2.nii')));
    const cases: [string, (v: DataView) => void, string[]][] = [
      ['vox_offset 2^40', (v) => v.setBigInt64(VOX_OFFSET_2, 2n ** 40n, false), ['NIFTI_TRUNCATED']],
      ['vox_offset 2^62', (v) => v.setBigInt64(VOX_OFFSET_2, 2n ** 62n, false), ['NIFTI_BAD_HEADER']],
      ['vox_offset negative', (v) => v.setBigInt64(VOX_OFFSET_2, -1024n, false), ['NIFTI_BAD_HEADER']],
      ['dim[1] 2^33', (v) => v.setBigInt64(16 + 8, 2n ** 33n, false), ['NIFTI_TRUNCATED', 'NIFTI_BAD_DIMS']],
      ['dim[4] 2^60', (v) => v.setBigInt64(16 + 4 * 8, 2n ** 60n, false), ['NIFTI_BAD_HEADER', 'NIFTI_TRUNCATED', 'NIFTI_BAD_DIMS']],
    ];
    for (const [label, damage, allowed] of cases) {
      const bytes = base.slice();
      damage(new DataView(bytes.buffer));
      const before = process.memoryUsage().arrayBuffers;
      expect(allowed, label).toContain(codeOf(() => readNifti(bytes, label)));
      expect(process.memoryUsage().arrayBuffers - before, label).toBeLessThan(64 * 1024 * 1024);
    }
  });
});
