/**
 * Privacy for the enhanced and per-slice readers: the identifying values the writer puts into every file
 * (names, IDs, dates, institution; dates also inside FrameAcquisitionDateTime) never appear in what a
 * replay emits, in volumes, warnings, problems or notices, nor in errors for damaged files.
 */
import { describe, expect, it } from 'vitest';
import { BoldstreamError } from '../../src/errors.js';
import { readDicomImage } from '../../src/ingest/dicom/index.js';
import { replay } from '../helpers/dicom-series.js';
import { enhancedSeries, IDENTIFYING, perSliceSeries, syntheticSource, type WrittenFile } from '../helpers/dicom-export.js';

const src = syntheticSource([8, 6, 4], 2, (i, j, k, t) => 100 + i + 10 * j + 100 * k + t);
const secrets = Object.values(IDENTIFYING).flatMap((v) => [v, ...v.split('^')]).filter((v) => v.length >= 4);

function leaks(output: unknown): string[] {
  const text = JSON.stringify(output, (_k, v: unknown) => (v instanceof Float32Array ? Array.from(v) : v instanceof BoldstreamError ? { ...v.toJSON(), stack: v.stack } : v));
  return secrets.filter((s) => text.includes(s));
}

const formats: [string, () => WrittenFile[]][] = [
  ['Siemens XA enhanced', () => enhancedSeries(src, { vendor: 'siemens', seriesNumber: 91 })],
  ['Philips enhanced', () => enhancedSeries(src, { vendor: 'philips', seriesNumber: 92, philipsScale: () => 0.5, statedSlices: 9, filePerVolume: true })],
  ['GE per slice', () => perSliceSeries(src, { vendor: 'ge', seriesNumber: 93, signed: true, statedSlices: 9 })],
  ['Philips per slice', () => perSliceSeries(src, { vendor: 'philips', seriesNumber: 94, echoes: [{ timeMs: 20, number: 1, factor: 1 }, { timeMs: 45, number: 2, factor: 0.5 }] })],
  ['Siemens per slice', () => perSliceSeries(src, { vendor: 'siemens', seriesNumber: 95 })],
];

describe('privacy: the new readers let no identifying value out', () => {
  it('the written files do carry the values (the test has teeth)', () => {
    const bytes = Buffer.from(enhancedSeries(src, { vendor: 'siemens', seriesNumber: 91 })[0]!.bytes);
    for (const secret of secrets) expect(bytes.includes(secret), secret).toBe(true);
  });

  for (const [label, make] of formats) {
    it(`${label}: replayed items, with warnings and a short TR, are free of them`, async () => {
      const files = make();
      const got = await replay(files.slice(0, files.length - 1)); // the last TR short: a problem record too
      expect(got.volumes.length).toBeGreaterThan(0);
      expect(leaks(got.items)).toEqual([]);
    });

    it(`${label}: errors for cut and damaged files are free of them`, () => {
      const bytes = make()[0]!.bytes;
      let errors = 0;
      for (let cut = 200; cut < bytes.length; cut += 97) {
        try {
          readDicomImage(bytes.subarray(0, cut), 'cut.dcm');
        } catch (e) {
          errors++;
          expect(e).toBeInstanceOf(BoldstreamError);
          expect(leaks(e)).toEqual([]);
        }
      }
      expect(errors).toBeGreaterThan(5);
    });
  }
});
