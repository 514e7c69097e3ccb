/**
 * What the reader accepts and refuses, and how it turns stored values into numbers: transfer syntaxes,
 * SOP classes, vendors, mosaic slice counts (K05/K09), scaling (K16), sign and bit depth (K17).
 * Fixtures are real files edited at the byte level (test/helpers/dicom-fixtures.ts).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BoldstreamError, type ErrorCode, type Warning } from '../../src/errors.js';
import { readDicom } from '../../src/ingest/dicom/index.js';
import { mosaicLayout, resolveSliceCount } from '../../src/ingest/dicom/mosaic.js';
import { dicomText, edit, find, python, uint16Value, withTempDir } from '../helpers/dicom-fixtures.js';
import { dataPath } from '../helpers/paths.js';

const rtFile = () => path.join(dataPath('rtcloud-faces', 'dicom'), '001_000013_000001.dcm');
const trioFile = () => path.join(dataPath('siemens-trio-motion-pair', 'In', 'Orientation', 'ax', 'axasc35'), 'MR.1.3.12.2.1107.5.2.32.35131.2014031012493950715786673');
const load = (file: string) => new Uint8Array(readFileSync(file));

function codeOf(fn: () => unknown): ErrorCode | 'no error' {
  try {
    fn();
    return 'no error';
  } catch (e) {
    expect(e).toBeInstanceOf(BoldstreamError);
    return (e as BoldstreamError).code;
  }
}

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  return '';
}

/** Renames a CSA element in place (same length), hiding it from any reader. */
function renameCsa(bytes: Uint8Array, name: string, replacement: string): Uint8Array {
  const csa = find(bytes, 0x00291010)!;
  const at = Buffer.from(bytes.subarray(csa.valueStart, csa.end)).indexOf(`${name}\0`, 0, 'latin1');
  expect(at).toBeGreaterThan(0);
  const out = bytes.slice();
  out.set(Buffer.from(replacement, 'latin1'), csa.valueStart + at);
  return out;
}

/** The volume index of the stored mosaic pixel (row, column) for a 6x6 grid of 64x64 tiles (rt-cloud). */
const voxelOf = (row: number, column: number) => {
  const k = Math.floor(row / 64) * 6 + Math.floor(column / 64);
  return k * 4096 + (63 - (row % 64)) * 64 + (column % 64);
};

describe('transfer syntax, SOP class, vendor and image kind', () => {
  let rt: Uint8Array;
  beforeAll(() => {
    rt = load(rtFile());
  });

  it('compressed transfer syntaxes without a decoder are refused naming the UID (RLE and JPEG Lossless: dicom-compressed.test.ts)', () => {
    for (const uid of ['1.2.840.10008.1.2.4.50', '1.2.840.10008.1.2.4.80', '1.2.840.10008.1.2.4.90', '1.2.840.10008.1.2.1.99']) {
      const bytes = edit(rt, [{ tag: 0x00020010, value: dicomText(uid, 'UI') }]);
      expect(codeOf(() => readDicom(bytes))).toBe('DICOM_UNSUPPORTED_TRANSFER_SYNTAX');
      expect(messageOf(() => readDicom(bytes))).toContain(uid);
    }
  });

  it('explicit VR big endian (rewritten by pydicom) gives the same volume as the little-endian original', () => {
    withTempDir((dir) => {
      const out = path.join(dir, 'big.dcm');
      python(
        `import sys, pydicom
from pydicom.uid import ExplicitVRBigEndian
ds = pydicom.dcmread(sys.argv[1])
pixels = ds.pixel_array.astype('>u2').tobytes()
ds.file_meta.TransferSyntaxUID = ExplicitVRBigEndian
ds.is_little_endian = False
ds.is_implicit_VR = False
ds.PixelData = pixels
ds.save_as(sys.argv[2], write_like_original=False)`,
        rtFile(),
        out,
      );
      const big = readDicom(load(out));
      const little = readDicom(rt);
      expect(big.summary.transferSyntax.name).toBe('Explicit VR Big Endian');
      expect(big.volume.data).toEqual(little.volume.data);
      expect(Array.from(big.volume.grid.affine)).toEqual(Array.from(little.volume.grid.affine));
      expect(big.volume.identity).toEqual(little.volume.identity);
    });
  });

  it('other SOP classes are refused; a file that calls itself Enhanced MR without functional groups is malformed', () => {
    for (const uid of ['1.2.840.10008.5.1.4.1.1.7', '1.2.840.10008.5.1.4.1.1.66']) {
      const bytes = edit(rt, [{ tag: 0x00080016, value: dicomText(uid, 'UI') }]);
      expect(codeOf(() => readDicom(bytes))).toBe('DICOM_UNSUPPORTED_SOP_CLASS');
    }
    const enhanced = edit(rt, [{ tag: 0x00080016, value: dicomText('1.2.840.10008.5.1.4.1.1.4.1', 'UI') }]);
    expect(codeOf(() => readDicom(enhanced))).toBe('DICOM_MALFORMED');
    expect(messageOf(() => readDicom(enhanced))).toMatch(/Per-frame Functional Groups/);
  });

  it('other manufacturers are refused by vendor name, never with a wrong image', () => {
    for (const [maker, named] of [['GE MEDICAL SYSTEMS', 'GE'], ['Philips Medical Systems', 'Philips'], ['ACME Imaging', 'unrecognised']] as const) {
      const bytes = edit(rt, [{ tag: 0x00080070, value: dicomText(maker) }]);
      expect(codeOf(() => readDicom(bytes))).toBe('DICOM_UNSUPPORTED_VENDOR');
      expect(messageOf(() => readDicom(bytes))).toContain(named);
    }
  });

  it('K05 a Siemens image whose CSA header tiles 27 slices but whose ImageType lacks MOSAIC is refused, not read as one slice', () => {
    const bytes = edit(rt, [{ tag: 0x00080008, value: dicomText('ORIGINAL\\PRIMARY\\M\\ND\\NORM', 'CS') }]);
    expect(codeOf(() => readDicom(bytes))).toBe('DICOM_NOT_MOSAIC');
  });

  it('missing position or slice normal gives DICOM_MISSING_GEOMETRY', () => {
    expect(codeOf(() => readDicom(edit(rt, [{ tag: 0x00200032, value: null }])))).toBe('DICOM_MISSING_GEOMETRY');
    expect(codeOf(() => readDicom(renameCsa(rt, 'SliceNormalVector', 'SliceNormalVectoX')))).toBe('DICOM_MISSING_GEOMETRY');
  });
});

describe('K05/K09 mosaic slice count', () => {
  it('K05 without the CSA count, the private tag (0019,100A) gives it (TrioTim): same volume', () => {
    const trio = load(trioFile());
    const plain = readDicom(trio);
    const fallback = readDicom(renameCsa(trio, 'NumberOfImagesInMosaic', 'NumberOfImagesInMosaiX'));
    expect(fallback.volume.grid.dims).toEqual([64, 64, 35]);
    expect(fallback.volume.data).toEqual(plain.volume.data);
  });

  it('K05 without CSA count and private tag (Skyra E11 has no 0019 group): DICOM_MOSAIC_NO_SLICE_COUNT, no guessed tiling', () => {
    const bytes = renameCsa(load(rtFile()), 'NumberOfImagesInMosaic', 'NumberOfImagesInMosaiX');
    expect(codeOf(() => readDicom(bytes))).toBe('DICOM_MOSAIC_NO_SLICE_COUNT');
  });

  it('K09 CSA and private tag disagree: the count that tiles the image wins, with a warning', () => {
    const trio = load(trioFile());
    const key = find(trio, 0x0019100a)!;
    expect(key.length).toBe(2);
    // 40 slices would need a 7x7 grid, which cannot tile 384x384: the CSA's 35 is kept.
    const bytes = edit(trio, [{ tag: 0x0019100a, value: uint16Value(40) }]);
    const v = readDicom(bytes);
    expect(v.volume.grid.dims).toEqual([64, 64, 35]);
    expect(v.volume.warnings.map((w) => w.code)).toEqual(['DICOM_HEADER_DISAGREE']);
    expect(v.volume.warnings[0]!.message).toMatch(/35.*40/);
  });

  it('K09 when only the private count tiles the image, it wins over the CSA count', () => {
    const warnings: Warning[] = [];
    expect(resolveSliceCount({ csa: 40, privateTag: 35 }, 384, 384, 64, warnings)).toBe(35);
    expect(resolveSliceCount({ csa: 30, privateTag: 35 }, 384, 384, 64, [])).toBe(30); // both tile a 6x6 grid: CSA kept
    expect(warnings.map((w) => w.code)).toEqual(['DICOM_HEADER_DISAGREE']);
  });

  it('K05 a MOSAIC flag on an image of one slice is not a mosaic', () => {
    expect(() => mosaicLayout(1, 64, 64)).toThrow(expect.objectContaining({ code: 'DICOM_NOT_MOSAIC' }) as BoldstreamError);
  });

  it('K05 a mosaic flag on a picture the count cannot tile is refused', () => {
    const bytes = edit(load(rtFile()), [
      { tag: 0x00280010, value: uint16Value(380) },
      { tag: 0x00280011, value: uint16Value(380) },
    ]);
    expect(codeOf(() => readDicom(bytes))).toBe('DICOM_MOSAIC_INCONSISTENT');
  });
});

describe('K16 scaling, K17 sign and bit depth', () => {
  let rt: Uint8Array;
  let stored: Float32Array;
  beforeAll(() => {
    rt = load(rtFile());
    stored = readDicom(rt).volume.data;
  });

  it('K16 RescaleSlope and RescaleIntercept are applied; a slope of 0 is ignored', () => {
    const scaled = readDicom(edit(rt, [
      { tag: 0x00281052, value: dicomText('-10', 'DS'), vr: 'DS' },
      { tag: 0x00281053, value: dicomText('2.5', 'DS'), vr: 'DS' },
    ])).volume.data;
    for (let v = 0; v < stored.length; v += 97) expect(scaled[v]).toBe(stored[v]! * 2.5 - 10);
    const zero = readDicom(edit(rt, [{ tag: 0x00281053, value: dicomText('0', 'DS'), vr: 'DS' }])).volume.data;
    expect(zero).toEqual(stored);
  });

  /** Writes raw 16-bit cells into the first mosaic row and sets the pixel-description tags. */
  function withCells(cells: number[], tags: { bitsStored: number; highBit: number; signed: boolean }): Float32Array {
    const px = find(rt, 0x7fe00010)!;
    const bytes = rt.slice();
    cells.forEach((c, i) => new DataView(bytes.buffer).setUint16(px.valueStart + i * 2, c, true));
    return readDicom(edit(bytes, [
      { tag: 0x00280101, value: uint16Value(tags.bitsStored) },
      { tag: 0x00280102, value: uint16Value(tags.highBit) },
      { tag: 0x00280103, value: uint16Value(tags.signed ? 1 : 0) },
    ])).volume.data;
  }

  it('K17 unsigned 16-bit values above 32767 stay positive', () => {
    const data = withCells([40000, 65535, 32768], { bitsStored: 16, highBit: 15, signed: false });
    expect([0, 1, 2].map((c) => data[voxelOf(0, c)])).toEqual([40000, 65535, 32768]);
  });

  it('K17 signed 12-bit values are sign-extended from bit 11; bits above HighBit are not part of the value', () => {
    const data = withCells([0x0fff, 0x0800, 0x07ff, 0xf123], { bitsStored: 12, highBit: 11, signed: true });
    expect([0, 1, 2, 3].map((c) => data[voxelOf(0, c)])).toEqual([-1, -2048, 2047, 0x123]);
  });

  it('K17 signed 16-bit two\u2019s complement', () => {
    const data = withCells([0xffff, 0x8000, 0x7fff], { bitsStored: 16, highBit: 15, signed: true });
    expect([0, 1, 2].map((c) => data[voxelOf(0, c)])).toEqual([-1, -32768, 32767]);
  });
});
