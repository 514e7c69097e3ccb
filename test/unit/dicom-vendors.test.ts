/**
 * Every vendor layout written from a known series (the rt-cloud run) and replayed, against dcm2niix's
 * conversion of the same files: voxel values identical, affine within 1e-3 mm, slice order and count.
 * (a) Siemens XA enhanced, (b) Philips enhanced, (c) GE, (d) Philips, (e) Siemens per slice.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { readDicomImage } from '../../src/ingest/dicom/index.js';
import { readNifti, type ReferenceNifti } from '../helpers/dicom-fixtures.js';
import { affineError, codes, convert, mismatches, replay } from '../helpers/dicom-series.js';
import { enhancedSeries, perSliceSeries, rtCloudSource, type SeriesSource } from '../helpers/dicom-export.js';
import { dataPath } from '../helpers/paths.js';

let src: SeriesSource;
let timing: number[];
beforeAll(() => {
  timing = (JSON.parse(readFileSync(dataPath('rtcloud-faces', 'rtcloud_faces_run01.json'), 'utf8')) as { SliceTiming: number[] }).SliceTiming;
  src = rtCloudSource(readNifti(dataPath('rtcloud-faces', 'rtcloud_faces_run01.nii.gz')), 3, timing);
});

/** The source's own voxels: the writer and dcm2niix agree on them when nothing is scaled. */
const sourceAsNifti = (): ReferenceNifti => ({ shape: [...src.dims, src.volumes.length], affine: src.affine.map((r) => [...r]), data: Float32Array.from(src.volumes.flatMap((v) => Array.from(v))) });

describe('(a) Siemens XA enhanced MR, one file per volume', () => {
  it('K07 K16 frames stored shuffled, rescaled per volume: each volume equals dcm2niix of its file; slice timing from FrameAcquisitionDateTime', async () => {
    const files = enhancedSeries(src, { vendor: 'siemens', seriesNumber: 21, frameOrder: 'shuffled', rescale: (t) => ({ slope: 1 + t / 4, intercept: t - 5 }) });
    const [refs, got] = await Promise.all([convert(files), replay(files)]);
    expect([...refs.keys()]).toEqual(['21_1.nii', '21_2.nii', '21_3.nii']);
    expect(got.volumes.map((v) => v.identity.index)).toEqual([0, 1, 2]);
    got.volumes.forEach((v, t) => {
      const ref = refs.get(`21_${t + 1}.nii`)!;
      expect(ref.shape).toEqual([64, 64, 27]);
      expect(v.grid.dims).toEqual([64, 64, 27]);
      expect(mismatches(v, ref, 0), `volume ${t}`).toBe(0);
      expect(affineError(v, ref)).toBeLessThan(1e-3);
      v.sliceTiming!.forEach((s, k) => expect(s).toBeCloseTo(timing[k]!, 5));
      expect(v.repetitionTime).toBe(1.5);
    });
    expect(got.volumes[1]!.acquisitionTime! - got.volumes[0]!.acquisitionTime!).toBeCloseTo(1.5, 6);
    expect(codes(got.items)).toEqual([]);
  });

  it('K16 a rescale that differs from frame to frame is applied per frame (dcm2niix 1.0.20220720 applies the first frame\u2019s to all)', async () => {
    const rescale = (_t: number, k: number) => ({ slope: 1 + (k % 3) / 4, intercept: -5 - k });
    const got = await replay(enhancedSeries(src, { vendor: 'siemens', seriesNumber: 23, rescale }));
    const [nx, ny] = src.dims;
    let bad = 0;
    for (let k = 0; k < 27; k++) {
      const { slope, intercept } = rescale(0, k);
      for (let v = k * nx * ny; v < (k + 1) * nx * ny; v++) {
        const expected = Math.round((src.volumes[0]![v]! - intercept) / slope) * slope + intercept;
        if (Math.abs(got.volumes[0]!.data[v]! - expected) > 1e-4) bad++;
      }
    }
    expect(bad).toBe(0);
  });

  it('K07 without scaling the volumes are the source voxels again, whatever the frame order', async () => {
    for (const frameOrder of ['time-major', 'slice-major', 'shuffled'] as const) {
      const got = await replay(enhancedSeries(src, { vendor: 'siemens', seriesNumber: 22, frameOrder }));
      got.volumes.forEach((v, t) => expect(mismatches(v, sourceAsNifti(), t), `${frameOrder} volume ${t}`).toBe(0));
    }
  });
});

describe('(b) Philips enhanced MR', () => {
  const philips = { vendor: 'philips', seriesNumber: 31, frameOrder: 'slice-major', rescale: () => ({ slope: 2.5, intercept: -4 }), philipsScale: () => 0.8 } as const;

  it('K07 K16 a whole run in one file, frames slice-major, private scale slope: equals dcm2niix\u2019s precise values', async () => {
    const files = enhancedSeries(src, philips);
    expect(files).toHaveLength(1);
    const [refs, got] = await Promise.all([convert(files), replay(files)]);
    const ref = [...refs.values()][0]!;
    expect(ref.shape).toEqual([64, 64, 27, 3]);
    expect(got.volumes.map((v) => v.identity.index)).toEqual([0, 1, 2]);
    got.volumes.forEach((v, t) => {
      expect(mismatches(v, ref, t), `volume ${t}`).toBe(0);
      expect(affineError(v, ref)).toBeLessThan(1e-3);
    });
    // Precise = (stored x 2.5 - 4) / (2.5 x 0.8): not the displayed stored x 2.5 - 4.
    const stored = Math.round((src.volumes[0]![5000]! + 4) / 2.5);
    expect(got.volumes[0]!.data[5000]).toBeCloseTo((stored * 2.5 - 4) / 2, 4);
  });

  it('a real-time export (one file per volume) gives the same volumes as the one-file run', async () => {
    const [one, many] = await Promise.all([replay(enhancedSeries(src, philips)), replay(enhancedSeries(src, { ...philips, filePerVolume: true }))]);
    expect(many.volumes.map((v) => v.identity.index)).toEqual([0, 1, 2]);
    many.volumes.forEach((v, t) => expect(v.data).toEqual(one.volumes[t]!.data));
  });

  it('K09 a private slice count (2001,1018) that disagrees with the frames: the frames win, with a warning naming both', () => {
    const [file] = enhancedSeries(src, { ...philips, statedSlices: 30 });
    const image = readDicomImage(file!.bytes, file!.name);
    expect(image.kind === 'volumes' && image.volumes[0]!.volume.grid.dims).toEqual([64, 64, 27]);
    const warnings = image.kind === 'volumes' ? image.volumes[0]!.volume.warnings : [];
    expect(warnings.map((w) => w.code)).toEqual(['DICOM_HEADER_DISAGREE']);
    expect(warnings[0]!.message).toMatch(/2001,1018\) says 30.*27/);
  });
});

describe('per-slice exports, assembled by position and temporal index', () => {
  it('(c) GE: signed data, no rescale tags, InstanceNumber across the series, TemporalPositionIdentifier: equals dcm2niix', async () => {
    const files = perSliceSeries(src, { vendor: 'ge', seriesNumber: 41, signed: true }).reverse();
    const [refs, got] = await Promise.all([convert(files), replay(files)]);
    const ref = [...refs.values()][0]!;
    expect(ref.shape).toEqual([64, 64, 27, 3]);
    expect(got.volumes.map((v) => v.identity.index)).toEqual([0, 1, 2]);
    got.volumes.forEach((v, t) => {
      expect(v.grid.dims).toEqual([64, 64, 27]);
      expect(mismatches(v, ref, t), `volume ${t}`).toBe(0);
      expect(affineError(v, ref)).toBeLessThan(1e-3);
      // Slice timing from AcquisitionTime per slice, in k order (interleaved, as the run's sidecar).
      v.sliceTiming!.forEach((s, k) => expect(s).toBeCloseTo(timing[k]!, 5));
    });
    expect(codes(got.items)).toEqual([]);
  });

  it('(d) Philips: per-slice rescale and private scale slope (precise values): equals dcm2niix', async () => {
    const files = perSliceSeries(src, { vendor: 'philips', seriesNumber: 42, rescale: () => ({ slope: 1.5, intercept: 2 }), philipsScale: () => 0.25 });
    const [refs, got] = await Promise.all([convert(files), replay(files)]);
    const ref = [...refs.values()][0]!;
    expect(ref.shape).toEqual([64, 64, 27, 3]);
    got.volumes.forEach((v, t) => {
      expect(mismatches(v, ref, t), `volume ${t}`).toBe(0);
      expect(affineError(v, ref)).toBeLessThan(1e-3);
    });
  });

  it('(e) Siemens without mosaic: AcquisitionNumber per volume, unsigned: equals dcm2niix and the source', async () => {
    const files = perSliceSeries(src, { vendor: 'siemens', seriesNumber: 43 });
    const [refs, got] = await Promise.all([convert(files), replay(files)]);
    const ref = [...refs.values()][0]!;
    got.volumes.forEach((v, t) => {
      expect(mismatches(v, ref, t), `volume ${t}`).toBe(0);
      expect(mismatches(v, sourceAsNifti(), t), `volume ${t} vs source`).toBe(0);
      expect(affineError(v, ref)).toBeLessThan(1e-3);
    });
  });
});
