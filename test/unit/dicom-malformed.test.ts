/**
 * Damaged and unfinished files: a coded BoldstreamError every time, never a partial image, never another
 * exception, never a hang (K01, K02, K08, K29).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { BoldstreamError, type ErrorCode } from '../../src/errors.js';
import { isProbablyDicom, readDicom, readDicomFile } from '../../src/ingest/dicom/index.js';
import { edit, find, walk } from '../helpers/dicom-fixtures.js';
import { dataPath } from '../helpers/paths.js';

const load = (...parts: string[]) => new Uint8Array(readFileSync(dataPath(...parts)));
const rtName = ['rtcloud-faces', 'dicom', '001_000013_000001.dcm'] as const;
const trioName = ['siemens-trio-motion-pair', 'In', 'Orientation', 'ax', 'axasc35', 'MR.1.3.12.2.1107.5.2.32.35131.2014031012493950715786673'] as const;

function codeOf(bytes: Uint8Array): ErrorCode | 'volume' {
  try {
    readDicom(bytes);
    return 'volume';
  } catch (e) {
    if (!(e instanceof BoldstreamError)) throw e;
    return e.code;
  }
}

describe('K01/K08 a file still being written', () => {
  it.each([
    ['Skyra E11, explicit VR', rtName],
    ['TrioTim B17, explicit VR', trioName],
    ['TrioTim diffusion, implicit VR', ['nibabel', 'dicom', '0.dcm']],
  ] as const)('K01 %s cut every 307 bytes is DICOM_TRUNCATED, never a partial image', (_label, parts) => {
    const bytes = load(...parts);
    const codes = new Map<string, number>();
    for (let cut = 0; cut < bytes.length; cut += 307) {
      const code = codeOf(bytes.subarray(0, cut));
      codes.set(code, (codes.get(code) ?? 0) + 1);
    }
    expect([...codes.keys()]).toEqual(['DICOM_TRUNCATED']);
  });

  it('K08 the last bytes of the pixel data missing: DICOM_TRUNCATED', () => {
    const bytes = load(...rtName);
    for (const missing of [1, 2, 1000]) expect(codeOf(bytes.subarray(0, bytes.length - missing))).toBe('DICOM_TRUNCATED');
  });

  it('K02 an empty file, or fewer bytes than preamble and marker, is DICOM_TRUNCATED (wait for more)', () => {
    expect(codeOf(new Uint8Array(0))).toBe('DICOM_TRUNCATED');
    expect(codeOf(new Uint8Array(100))).toBe('DICOM_TRUNCATED');
    expect(codeOf(load(...rtName).subarray(0, 130))).toBe('DICOM_TRUNCATED');
  });
});

describe('K29 malformed lengths', () => {
  let rt: Uint8Array;
  beforeAll(() => {
    rt = load(...rtName);
  });

  it('K29 a length past the end of the file is DICOM_TRUNCATED, with no junk elements read', () => {
    // SeriesDescription's 16-bit length made huge: everything after would be swallowed.
    const el = find(rt, 0x0008103e)!;
    const bytes = rt.slice();
    new DataView(bytes.buffer).setUint16(el.start + 6, 0xfff0, true);
    expect(codeOf(bytes)).not.toBe('volume');
    const pixels = find(rt, 0x7fe00010)!;
    const big = rt.slice();
    new DataView(big.buffer).setUint32(pixels.start + 8, pixels.length + 64, true);
    expect(codeOf(big)).toBe('DICOM_TRUNCATED');
  });

  it('K29 pixel data shorter than Rows x Columns is DICOM_MALFORMED', () => {
    const pixels = find(rt, 0x7fe00010)!;
    const short = edit(rt, [{ tag: 0x7fe00010, value: rt.slice(pixels.valueStart, pixels.end - 512) }]);
    expect(codeOf(short)).toBe('DICOM_MALFORMED');
  });

  it('K29 an undefined length on pixel data of an uncompressed file is refused', () => {
    const pixels = find(rt, 0x7fe00010)!;
    const bytes = rt.slice();
    new DataView(bytes.buffer).setUint32(pixels.start + 8, 0xffffffff, true);
    expect(['DICOM_MALFORMED', 'DICOM_TRUNCATED']).toContain(codeOf(bytes));
  });

  it('K29 an undefined length on a text element swallows the rest: not an image', () => {
    const el = find(rt, 0x00081090)!; // ManufacturerModelName, 16-bit length: rewrite it as a 32-bit undefined one
    const header = new Uint8Array(12);
    header.set(rt.subarray(el.start, el.start + 4));
    header.set([0x55, 0x4e, 0, 0, 0xff, 0xff, 0xff, 0xff], 4); // VR UN, undefined length
    const bytes = new Uint8Array(Buffer.concat([rt.subarray(0, el.start), header, rt.subarray(el.valueStart)]));
    expect(['DICOM_MALFORMED', 'DICOM_TRUNCATED']).toContain(codeOf(bytes));
  });
});

describe('not DICOM, not an image', () => {
  it('non-DICOM bytes give DICOM_NOT_DICOM; isProbablyDicom tells them apart', () => {
    const nifti = load('rtcloud-faces', 'rtcloud_faces_run01.json');
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...new Uint8Array(300)]);
    for (const bytes of [nifti, png, new TextEncoder().encode('hello world '.repeat(20))]) {
      expect(isProbablyDicom(bytes)).toBe(false);
      expect(codeOf(bytes)).toBe('DICOM_NOT_DICOM');
    }
    expect(isProbablyDicom(load(...rtName))).toBe(true);
    expect(isProbablyDicom(load(...trioName))).toBe(true);
  });

  it('a dataset without preamble and meta header (raw dataset start) is recognised and read', () => {
    const rt = load(...rtName);
    const firstDataset = walk(rt).find((el) => el.tag >>> 16 !== 2)!;
    const raw = rt.subarray(firstDataset.start);
    expect(isProbablyDicom(raw)).toBe(true);
    expect(readDicom(raw).volume.data).toEqual(readDicom(rt).volume.data);
  });

  it('a DICOM without pixel data: ending there looks unfinished (TRUNCATED); with elements after it, DICOM_NO_PIXEL_DATA', () => {
    const rt = load(...rtName);
    const noPixels = edit(rt, [{ tag: 0x7fe00010, value: null }]);
    expect(codeOf(noPixels)).toBe('DICOM_TRUNCATED');
    const padded = edit(noPixels, [{ tag: 0xfffcfffc, value: new Uint8Array(8), vr: 'OB' }]);
    expect(codeOf(padded)).toBe('DICOM_NO_PIXEL_DATA');
    // nibabel's csa_slice_norm.dcm is a real header whose pixel data was removed.
    expect(codeOf(load('nibabel', 'dicom', 'csa_slice_norm.dcm'))).toBe('DICOM_TRUNCATED');
  });

  it('readDicomFile: a missing file is INPUT_NOT_FOUND, a folder DICOM_NOT_DICOM', async () => {
    await expect(readDicomFile(path.join(dataPath('rtcloud-faces'), 'no-such.dcm'))).rejects.toMatchObject({ code: 'INPUT_NOT_FOUND' });
    await expect(readDicomFile(dataPath('rtcloud-faces', 'dicom'))).rejects.toMatchObject({ code: 'DICOM_NOT_DICOM' });
  });
});

describe('property: random damage gives a volume or a BoldstreamError, in bounded time', () => {
  it.each([
    ['Skyra E11', rtName],
    ['TrioTim B17', trioName],
  ] as const)('K01/K29 %s: random truncation plus random byte flips', (_label, parts) => {
    const original = load(...parts);
    const headerEnd = find(original, 0x7fe00010)!.start + 12;
    const flip = fc.record({ at: fc.nat({ max: headerEnd - 1 }), xor: fc.integer({ min: 1, max: 255 }) });
    fc.assert(
      fc.property(fc.array(flip, { maxLength: 6 }), fc.option(fc.nat({ max: original.length }), { freq: 2 }), (flips, cut) => {
        const bytes = original.slice(0, cut ?? original.length);
        for (const { at, xor } of flips) if (at < bytes.length) bytes[at]! ^= xor;
        const started = performance.now();
        try {
          const v = readDicom(bytes);
          const [ni, nj, nk] = v.volume.grid.dims;
          expect(v.volume.data.length).toBe(ni * nj * nk);
          expect(Array.from(v.volume.grid.affine).every(Number.isFinite)).toBe(true);
        } catch (e) {
          if (!(e instanceof BoldstreamError)) throw e;
          expect(e.code).toMatch(/^(DICOM_|HEADER_)/);
        }
        expect(performance.now() - started).toBeLessThan(2000);
      }),
      { numRuns: 300, seed: 20240611 },
    );
  });
});
