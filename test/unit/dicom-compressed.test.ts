/**
 * Compressed transfer syntaxes. RLE Lossless: files compressed by pydicom's own RLE encoder, decoded by
 * dcm2niix (the reference) and by the reader's RLE decoder. JPEG Lossless: files compressed by the test
 * writer's encoder (written from T.81), which dcm2niix must decode to the values written; the reader
 * decodes them with the optional package jpeg-lossless-decoder-js when it is installed, and otherwise
 * refuses them as DICOM_UNSUPPORTED_TRANSFER_SYNTAX naming the package.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDicomImage } from '../../src/ingest/dicom/index.js';
import { jpegLosslessAvailable } from '../../src/ingest/dicom/jpeg-lossless.js';
import { python } from '../helpers/dicom-fixtures.js';
import { affineError, convert, inFolder, mismatches, replay } from '../helpers/dicom-series.js';
import { enhancedSeries, perSliceSeries, syntheticSource, type WrittenFile } from '../helpers/dicom-export.js';
import { JPEG_LOSSLESS_SV1, jpegLosslessEncode } from '../helpers/dicom-writer.js';

const src = syntheticSource([16, 12, 4], 2, (i, j, k, t) => (i * 977 + j * 4021 + k * 13 + t * 7 + ((i * j) % 11) * 3001) % 65536);

/** The same files, RLE-compressed by pydicom (its native encoder needs no plugin). */
function rleByPydicom(files: readonly WrittenFile[]): Promise<WrittenFile[]> {
  return inFolder(files, (dir) => {
    python(
      `import sys, os, pydicom
from pydicom.uid import RLELossless
for name in os.listdir(sys.argv[1]):
    ds = pydicom.dcmread(os.path.join(sys.argv[1], name))
    ds.compress(RLELossless)
    ds.save_as(os.path.join(sys.argv[1], name))`,
      dir,
    );
    return readdirSync(dir).map((name) => ({ name, bytes: new Uint8Array(readFileSync(path.join(dir, name))) }));
  });
}

describe('RLE Lossless', () => {
  it('per-slice files compressed by pydicom: equal dcm2niix and the uncompressed originals', async () => {
    const plain = perSliceSeries(src, { vendor: 'siemens', seriesNumber: 81 });
    const rle = await rleByPydicom(plain);
    expect(readDicomImage(rle[0]!.bytes).kind).toBe('slice');
    const [refs, got, original] = await Promise.all([convert(rle), replay(rle), replay(plain)]);
    const ref = [...refs.values()][0]!;
    expect(got.volumes).toHaveLength(2);
    got.volumes.forEach((v, t) => {
      expect(mismatches(v, ref, t), `volume ${t}`).toBe(0);
      expect(affineError(v, ref)).toBeLessThan(1e-3);
      expect(v.data).toEqual(original.volumes[t]!.data);
    });
    expect(Math.max(...got.volumes[0]!.data)).toBeGreaterThan(32767); // K17: no int16 overflow after decoding
  });

  it('an enhanced file (one fragment per frame) compressed by pydicom', async () => {
    const plain = enhancedSeries(src, { vendor: 'siemens', seriesNumber: 82 });
    const [rle, original] = await Promise.all([rleByPydicom(plain), replay(plain)]);
    const got = await replay(rle);
    got.volumes.forEach((v, t) => expect(v.data).toEqual(original.volumes[t]!.data));
  });

  it('a damaged RLE frame is DICOM_MALFORMED, never a wrong image', async () => {
    const [file] = await rleByPydicom(perSliceSeries(src, { vendor: 'siemens', seriesNumber: 83 }).slice(0, 1));
    const bytes = file!.bytes.slice(0, file!.bytes.length - 40);
    const fixed = new Uint8Array([...bytes, 0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0]); // close the sequence again
    expect(() => readDicomImage(fixed, 'cut.dcm')).toThrow(expect.objectContaining({ code: expect.stringMatching(/DICOM_MALFORMED|DICOM_TRUNCATED/) }) as Error);
  });
});

describe('JPEG Lossless (process 14, selection value 1)', () => {
  const files = () => perSliceSeries(src, { vendor: 'ge', seriesNumber: 84, syntax: JPEG_LOSSLESS_SV1, compress: jpegLosslessEncode });

  it('the test encoder is right: dcm2niix decodes its files to the values written', async () => {
    const ref = [...(await convert(files())).values()][0]!;
    const n = 16 * 12 * 4;
    for (let t = 0; t < 2; t++) for (let v = 0; v < n; v++) if (ref.data[t * n + v] !== src.volumes[t]![v]) throw new Error(`voxel ${v} of ${t}: ${ref.data[t * n + v]}`);
  });

  it(jpegLosslessAvailable() ? 'decoded by jpeg-lossless-decoder-js: equals dcm2niix' : 'without jpeg-lossless-decoder-js: refused as DICOM_UNSUPPORTED_TRANSFER_SYNTAX naming the package', async () => {
    const written = files();
    if (jpegLosslessAvailable()) {
      const [refs, got] = await Promise.all([convert(written), replay(written)]);
      const ref = [...refs.values()][0]!;
      got.volumes.forEach((v, t) => expect(mismatches(v, ref, t), `volume ${t}`).toBe(0));
      expect(got.volumes).toHaveLength(2);
    } else {
      expect(() => readDicomImage(written[0]!.bytes, 'a.dcm')).toThrow(/1\.2\.840\.10008\.1\.2\.4\.70.*jpeg-lossless-decoder-js/);
      await expect(replay(written)).rejects.toThrow(/no readable DICOM volume/);
    }
  });

  it('a file that names a compressed syntax but holds plain pixel data is malformed', () => {
    const [plain] = perSliceSeries(src, { vendor: 'ge', seriesNumber: 85, syntax: '1.2.840.10008.1.2.5' });
    expect(() => readDicomImage(plain!.bytes)).toThrow(expect.objectContaining({ code: 'DICOM_MALFORMED' }) as Error);
  });
});
