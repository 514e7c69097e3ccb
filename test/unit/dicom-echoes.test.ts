/**
 * K10 multi-echo: echoes kept apart (by echo time, numbered by EchoNumbers or by echo time), one chosen
 * by the series rule or all averaged; unequal echo counts are an error for the TR, never a mixed volume.
 * K11 the scanner's motion-corrected copy beside the raw series: told apart by ImageType, ignored by
 * default, used when the rule says so.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { affineError, codes, convert, mismatches, replay } from '../helpers/dicom-series.js';
import { enhancedSeries, perSliceSeries, type SeriesSource, syntheticSource } from '../helpers/dicom-export.js';

let src: SeriesSource;
const echoes = [
  { timeMs: 14.5, number: 1, factor: 1 },
  { timeMs: 38.2, number: 2, factor: 0.6 },
  { timeMs: 61.9, number: 3, factor: 0.35 },
];
beforeAll(() => {
  src = syntheticSource([12, 10, 6], 3, (i, j, k, t) => 1000 + 40 * i - 25 * j + 90 * k + 7 * t + ((i * j) % 5));
});

describe('K10 multi-echo', () => {
  it('GE per-slice, numbered echoes: each kept echo equals dcm2niix\u2019s file of that echo; the default keeps the first', async () => {
    const files = perSliceSeries(src, { vendor: 'ge', seriesNumber: 51, echoes, signed: true });
    const refs = await convert(files);
    expect(refs.size).toBe(3);
    const byEcho = [...refs.values()]; // dcm2niix names the echoes 51_1, 51_1_e2, 51_1_e3
    for (const echo of [1, 2, 3]) {
      const got = echo === 1 ? await replay(files) : await replay(files, { echo, derived: 'ignore' });
      const ref = byEcho[echo - 1]!;
      expect(got.volumes.map((v) => v.identity.index)).toEqual([0, 1, 2]);
      got.volumes.forEach((v, t) => {
        expect(mismatches(v, ref, t), `echo ${echo} volume ${t}`).toBe(0);
        expect(affineError(v, ref)).toBeLessThan(1e-3);
      });
      // The echo is part of the identity: a kept echo 2 is never taken for echo 1 of the same series.
      expect(new Set(got.volumes.map((v) => v.identity.series)).size).toBe(1);
      if (echo > 1) expect(got.volumes[0]!.identity.series).toMatch(new RegExp(`\\.e${echo}$`));
    }
  });

  it('"mean" averages the echoes voxel by voxel', async () => {
    const files = perSliceSeries(src, { vendor: 'ge', seriesNumber: 52, echoes, signed: true });
    const refs = [...(await convert(files)).values()];
    const got = await replay(files, { echo: 'mean', derived: 'ignore' });
    expect(got.volumes).toHaveLength(3);
    const n = 12 * 10 * 6;
    got.volumes.forEach((v, t) => {
      for (let x = 0; x < n; x += 7) expect(v.data[x]).toBeCloseTo((refs[0]!.data[t * n + x]! + refs[1]!.data[t * n + x]! + refs[2]!.data[t * n + x]!) / 3, 3);
    });
    expect(got.volumes[0]!.identity.series).toMatch(/\.mean$/);
  });

  it('echoes without numbers (enhanced, EffectiveEchoTime only) are told apart by echo time and numbered by it', async () => {
    const unnumbered = echoes.map(({ timeMs, factor }) => ({ timeMs, factor }));
    const files = enhancedSeries(src, { vendor: 'siemens', seriesNumber: 53, echoes: unnumbered, frameOrder: 'shuffled' });
    const numbered = await replay(perSliceSeries(src, { vendor: 'ge', seriesNumber: 54, echoes, signed: true }), { echo: 2, derived: 'ignore' });
    const got = await replay(files, { echo: 2, derived: 'ignore' });
    expect(got.volumes.map((v) => v.identity.index)).toEqual([0, 1, 2]);
    got.volumes.forEach((v, t) => expect(v.data).toEqual(numbered.volumes[t]!.data));
  });

  it('unequal counts: a TR missing one echo is DICOM_ECHOES_UNEQUAL when averaging; the kept echo is unaffected', async () => {
    const files = perSliceSeries(src, { vendor: 'ge', seriesNumber: 55, echoes, signed: true });
    // Echo 3 of TR 1 never arrives: every slice of it is left out.
    const short = files.filter((_, f) => !(Math.floor(f / (6 * 3)) === 1 && f % 3 === 2));
    const mean = await replay(short, { echo: 'mean', derived: 'ignore' });
    expect(mean.volumes.map((v) => v.identity.index)).toEqual([0, 2]);
    const problems = mean.items.filter((i) => i.kind === 'problem');
    expect(problems.map((p) => p.kind === 'problem' && [p.tr, p.error.code])).toEqual([[1, 'DICOM_ECHOES_UNEQUAL']]);
    const kept = await replay(short);
    expect(kept.volumes.map((v) => v.identity.index)).toEqual([0, 1, 2]);
    expect(codes(kept.items)).toEqual([]);
  });
});

describe('K11 the scanner\u2019s motion-corrected series beside the raw one', () => {
  const raw = () => perSliceSeries(src, { vendor: 'siemens', seriesNumber: 61 });
  const moco = () => perSliceSeries(src.volumes.length ? { ...src, volumes: src.volumes.map((v) => v.map((x) => x + 3)) } : src, { vendor: 'siemens', seriesNumber: 62, imageType: ['DERIVED', 'PRIMARY', 'M', 'ND', 'MOCO'] }).map((f) => ({ ...f, name: `moco_${f.name}` }));

  it('ignored by default, with one notice; the raw series is the run', async () => {
    const [raws, got] = await Promise.all([replay(raw()), replay([...raw(), ...moco()])]);
    expect(got.volumes).toHaveLength(3);
    got.volumes.forEach((v, t) => expect(v.data).toEqual(raws.volumes[t]!.data));
    const notices = got.items.filter((i) => i.kind === 'notice' && i.warning.code === 'VOLUME_IGNORED');
    expect(notices).toHaveLength(1);
    expect(notices[0]!.kind === 'notice' && notices[0]!.warning.message).toMatch(/series 62.*MOCO/);
  });

  it('used instead of the raw series when the rule says so', async () => {
    const [raws, mocos] = await Promise.all([replay(raw()), replay([...raw(), ...moco()], { echo: 1, derived: 'use' })]);
    expect(mocos.volumes).toHaveLength(3);
    mocos.volumes.forEach((v, t) => v.data.forEach((x, i) => expect(x).toBe(raws.volumes[t]!.data[i]! + 3)));
  });

  it('an enhanced MoCo series (one file per volume) is told apart the same way', async () => {
    const mocoEnhanced = enhancedSeries(src, { vendor: 'siemens', seriesNumber: 63, imageType: ['DERIVED', 'PRIMARY', 'M', 'MOCO'] });
    const got = await replay([...enhancedSeries(src, { vendor: 'siemens', seriesNumber: 64 }), ...mocoEnhanced.map((f) => ({ ...f, name: `m${f.name}` }))]);
    expect(got.volumes).toHaveLength(3);
    expect(codes(got.items)).toEqual(['VOLUME_IGNORED']);
  });
});
