/**
 * Damaged, partial and mislabelled files: each gives a coded BoldstreamError or reads correctly,
 * never a partial volume, another exception, or a hang.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { BoldstreamError } from '../../src/errors.js';
import { readNifti, readNiftiFile, readNiftiHeader } from '../../src/ingest/nifti/index.js';
import { dataPath } from '../helpers/paths.js';
import { nibabelDescribe, nibabelMake, temporaryFolder } from '../fixtures/nifti/nibabel.js';

const folder = temporaryFolder();
const at = (name: string): string => path.join(folder.dir, name);
let plain: Uint8Array;
let compressed: Uint8Array;
let nifti2: Uint8Array;

beforeAll(() => {
  nibabelMake([
    { path: at('small.nii'), shape: [6, 5, 4, 3], zooms: [2, 2, 3, 2], timeUnit: 'sec' },
    { path: at('small.nii.gz'), shape: [6, 5, 4, 3], zooms: [2, 2, 3, 2], timeUnit: 'sec' },
    { path: at('small2.nii'), shape: [6, 5, 4], version: 2, dtype: 'float32', extensions: [[6, 'note']] },
  ]);
  plain = new Uint8Array(readFileSync(at('small.nii')));
  compressed = new Uint8Array(readFileSync(at('small.nii.gz')));
  nifti2 = new Uint8Array(readFileSync(at('small2.nii')));
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

describe('K19 decided by content, not by name', () => {
  it('K19 a .nii.gz that is not compressed reads like the .nii it is', async () => {
    copyFileSync(at('small.nii'), at('uncompressed.nii.gz'));
    const image = await readNiftiFile(at('uncompressed.nii.gz'));
    expect(image.header.compressed).toBe(false);
    expect(image.data).toEqual(nibabelDescribe(at('small.nii')).values);
  });

  it('a .nii that is gzip-compressed reads too', async () => {
    writeFileSync(at('compressed-named-plain.nii'), gzipSync(plain));
    const image = await readNiftiFile(at('compressed-named-plain.nii'));
    expect(image.header.compressed).toBe(true);
    expect(image.data).toEqual(nibabelDescribe(at('small.nii')).values);
  });
});

describe('K19 K01 partial files', () => {
  it('K19 a truncated gzip is NIFTI_GZIP_CORRUPT, at any cut', () => {
    for (const keep of [10, 100, compressed.length / 2, compressed.length - 8, compressed.length - 1]) {
      expect(codeOf(() => readNifti(compressed.subarray(0, Math.floor(keep))))).toBe('NIFTI_GZIP_CORRUPT');
    }
  });

  it('K19 a gzip with a wrong CRC is NIFTI_GZIP_CORRUPT', () => {
    const damaged = compressed.slice();
    damaged[damaged.length - 6]! ^= 0xff;
    expect(codeOf(() => readNifti(damaged))).toBe('NIFTI_GZIP_CORRUPT');
  });

  it('K01 a file cut inside its voxel data is NIFTI_TRUNCATED, compressed or not', () => {
    const cut = plain.subarray(0, plain.length - 2);
    expect(codeOf(() => readNifti(cut))).toBe('NIFTI_TRUNCATED');
    expect(codeOf(() => readNifti(gzipSync(cut)))).toBe('NIFTI_TRUNCATED');
  });

  it('K01 a file cut inside its header, or empty, is NIFTI_TRUNCATED', () => {
    expect(codeOf(() => readNifti(plain.subarray(0, 200)))).toBe('NIFTI_TRUNCATED');
    expect(codeOf(() => readNifti(nifti2.subarray(0, 500)))).toBe('NIFTI_TRUNCATED');
    expect(codeOf(() => readNifti(new Uint8Array(0)))).toBe('NIFTI_TRUNCATED');
  });

  it('K01 the header of a file still being written can be read before its data is complete', () => {
    const info = readNiftiHeader(compressed.subarray(0, 200));
    expect([...info.grid.dims, info.frames, info.repetitionTime]).toEqual([6, 5, 4, 3, 2]);
  });
});

describe('not NIfTI, or not sane', () => {
  it('text, DICOM and Analyze pairs are NIFTI_NOT_NIFTI', async () => {
    expect(codeOf(() => readNifti(new TextEncoder().encode('onset\tduration\n1\t2\n'.repeat(40))))).toBe('NIFTI_NOT_NIFTI');
    const dicom = new Uint8Array(readFileSync(dataPath('nibabel', 'dicom', '0.dcm')));
    expect(codeOf(() => readNifti(dicom))).toBe('NIFTI_NOT_NIFTI');
    const pair = plain.slice();
    pair.set([0x6e, 0x69, 0x31, 0], 344); // "ni1": header of a .hdr/.img pair
    expect(codeOf(() => readNifti(pair))).toBe('NIFTI_NOT_NIFTI');
  });

  it('a vox_offset inside the header is NIFTI_BAD_HEADER; 0 means right after the header', () => {
    const inside = plain.slice();
    new DataView(inside.buffer).setFloat32(108, 100, true);
    expect(codeOf(() => readNifti(inside))).toBe('NIFTI_BAD_HEADER');
    const zero = plain.slice();
    new DataView(zero.buffer).setFloat32(108, 0, true);
    expect(readNifti(zero).data).toEqual(readNifti(plain).data);
  });

  it('negative or zero dims are NIFTI_BAD_DIMS', () => {
    for (const [index, value] of [[0, 9], [1, -4], [2, 0]] as const) {
      const bad = plain.slice();
      new DataView(bad.buffer).setInt16(40 + 2 * index, value, true);
      expect(codeOf(() => readNifti(bad))).toBe('NIFTI_BAD_DIMS');
    }
  });

  it('K19 an extension with a negative esize (which makes nifti-reader-js loop forever) is skipped', () => {
    const looping = plain.slice();
    const view = new DataView(looping.buffer);
    looping[348] = 1; // "extensions follow"
    view.setInt32(352, -16, true); // walks back to 336 ...
    view.setInt32(336, 16, true); // ... which walks forward to 352 again
    view.setFloat32(108, 368, true);
    expect(codeOf(() => readNifti(looping))).toBe('NIFTI_TRUNCATED'); // the data moved 16 bytes later
    expect(readNiftiHeader(looping).header.extensions).toEqual([]);
  });

  it('dims that claim gigabytes are NIFTI_TRUNCATED without allocating them', () => {
    const huge = plain.slice();
    const view = new DataView(huge.buffer);
    [4, 32767, 32767, 32767, 32767].forEach((d, i) => view.setInt16(40 + 2 * i, d, true));
    expect(codeOf(() => readNifti(huge))).toBe('NIFTI_TRUNCATED');
  });
});

describe('property: bad input never escapes as anything but a BoldstreamError', () => {
  const settle = (bytes: Uint8Array): 'ok' | string => {
    const code = codeOf(() => readNifti(bytes));
    codeOf(() => readNiftiHeader(bytes));
    return code;
  };

  it('random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 4096 }), (bytes) => { expect(settle(bytes)).not.toBe('no error'); }), { numRuns: 500 });
  });

  it('random bytes behind a valid gzip magic or a valid NIfTI-1/2 sizeof_hdr', () => {
    const prefixes = [[0x1f, 0x8b, 0x08], [0x5c, 0x01, 0, 0], [0x1c, 0x02, 0, 0]];
    fc.assert(
      fc.property(fc.constantFrom(...prefixes), fc.uint8Array({ maxLength: 2048 }), (prefix, rest) => {
        const bytes = new Uint8Array([...prefix, ...rest]);
        settle(bytes);
      }),
      { numRuns: 500 },
    );
  });

  it('random truncations of valid files, compressed or not, NIfTI-1 or 2', () => {
    fc.assert(
      fc.property(fc.constantFrom('plain', 'compressed', 'nifti2'), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (which, fraction) => {
        const whole = which === 'plain' ? plain : which === 'compressed' ? compressed : nifti2;
        const cut = whole.subarray(0, Math.floor(fraction * whole.length));
        expect(['NIFTI_TRUNCATED', 'NIFTI_GZIP_CORRUPT']).toContain(settle(cut));
      }),
      { numRuns: 300 },
    );
  });

  it('random damage to the header bytes of a valid file', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('plain', 'nifti2'),
        fc.array(fc.tuple(fc.nat({ max: 560 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 12 }),
        (which, edits) => {
          const bytes = (which === 'plain' ? plain : nifti2).slice();
          for (const [offset, value] of edits) if (offset < bytes.length) bytes[offset] = value;
          settle(bytes);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
