import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { BoldstreamError, type Warning } from '../../src/errors.js';
import type { SourceItem } from '../../src/ingest/sources/source.js';
import type { PipelineItem } from '../../src/pipeline/context.js';
import { sequenceVolumes } from '../../src/pipeline/sequence-volumes.js';
import { volumeItem } from '../helpers/volumes.js';

const label = (item: PipelineItem): string => (item.kind === 'tr' ? `v${item.ctx.tr}` : `${item.record.error.code === 'VOLUME_MISSING' ? 'gap' : 'err'}${item.record.tr}`);

function run(marble: string, values: Record<string, SourceItem>, expected: string, expectedValues: Record<string, string>, options: { window: number; waitMs: number; dummyScans: number; maxGap?: number } = { window: 2, waitMs: 5, dummyScans: 0 }): Warning[] {
  const notices: Warning[] = [];
  new TestScheduler((a, b) => expect(a).toEqual(b)).run(({ cold, expectObservable }) => {
    const out = cold(marble, values).pipe(sequenceVolumes({ ...options, onNotice: (w) => notices.push(w) }), map(label));
    expectObservable(out).toBe(expected, expectedValues);
  });
  return notices;
}

describe('sequenceVolumes', () => {
  it('passes volumes that arrive in order straight through', () => {
    run('a-b-c|', { a: volumeItem(0), b: volumeItem(1), c: volumeItem(2) }, 'a-b-c|', { a: 'v0', b: 'v1', c: 'v2' });
  });

  it('K13 puts out-of-order arrivals back in order without waiting for more than the late one', () => {
    run('b-a---c|', { a: volumeItem(0), b: volumeItem(1), c: volumeItem(2) }, '--(ab)c|', { a: 'v0', b: 'v1', c: 'v2' });
  });

  it('K14 a missing volume becomes a gap record after the wait, and later TRs keep their index', () => {
    // TR 1 never comes; TR 2 waits 5 frames, then 1 is declared missing.
    run('a-c--------d|', { a: volumeItem(0), c: volumeItem(2), d: volumeItem(3) }, 'a------(gc)d|', { a: 'v0', g: 'gap1', c: 'v2', d: 'v3' });
  });

  it('K14 a missing volume is declared as soon as `window` newer volumes have come', () => {
    run('a-(cd)--|', { a: volumeItem(0), c: volumeItem(2), d: volumeItem(3) }, 'a-(gcd)-|', { a: 'v0', g: 'gap1', c: 'v2', d: 'v3' });
  });

  it('K12 an exact duplicate is dropped once with a warning on the next record', () => {
    const notices = run('a-b-a-c|', { a: volumeItem(0), b: volumeItem(1), c: volumeItem(2) }, 'a-b---c|', { a: 'v0', b: 'v1', c: 'v2' });
    expect(notices.map((n) => n.code)).toEqual(['VOLUME_DUPLICATE']);
  });

  it('K12 another image with a repeated index keeps the first one', () => {
    const notices = run('a-x-b|', { a: volumeItem(0), x: volumeItem(0, { instance: 'other' }), b: volumeItem(1) }, 'a---b|', { a: 'v0', b: 'v1' });
    expect(notices[0]?.message).toMatch(/another image/);
  });

  it('a volume arriving after its TR was reported missing is dropped, never re-emitted out of order', () => {
    const notices = run('a-c--------b-|', { a: volumeItem(0), b: volumeItem(1), c: volumeItem(2) }, 'a------(gc)--|', { a: 'v0', g: 'gap1', c: 'v2' });
    expect(notices.map((n) => n.code)).toEqual(['VOLUME_TOO_LATE']);
  });

  it('a volume whose index jumps past maxGap is dropped with one warning; the run goes on without a flood of gap records', () => {
    const notices = run('a-x-b-(c|)', { a: volumeItem(0), x: volumeItem(4_000_000_000), b: volumeItem(1), c: volumeItem(5) }, 'a---b-(ghic|)', { a: 'v0', b: 'v1', g: 'gap2', h: 'gap3', i: 'gap4', c: 'v5' }, { window: 1, waitMs: 5, dummyScans: 0, maxGap: 4 });
    expect(notices.map((n) => n.code)).toEqual(['VOLUME_TR_OUT_OF_RANGE']);
    expect(notices[0]!.message).toMatch(/TR 4000000000 is 3999999999 TRs past the next expected \(TR 1\)/);
  });

  it('K24 dummy scans are discarded by index and TR indices are not renumbered', () => {
    run('a-b-c|', { a: volumeItem(0), b: volumeItem(1), c: volumeItem(2) }, '----c|', { c: 'v2' }, { window: 2, waitMs: 5, dummyScans: 2 });
  });

  it('K04 volumes of another series are ignored', () => {
    const notices = run('a-x-b|', { a: volumeItem(0), x: volumeItem(1, { series: 'other' }), b: volumeItem(1) }, 'a---b|', { a: 'v0', b: 'v1' });
    expect(notices.map((n) => n.code)).toEqual(['VOLUME_IGNORED']);
  });

  it('a problem with a known TR takes its slot as an error record; one without a TR is a warning', () => {
    const bad: SourceItem = { kind: 'problem', tr: 1, error: new BoldstreamError('DICOM_TRUNCATED', 'x.dcm') };
    const unknown: SourceItem = { kind: 'problem', tr: null, error: new BoldstreamError('DICOM_NOT_DICOM', 'notes.txt') };
    let seen: PipelineItem[] = [];
    new TestScheduler((a, b) => expect(a).toEqual(b)).run(({ cold, expectObservable }) => {
      const out = cold('a-u-b-c|', { a: volumeItem(0), u: unknown, b: bad, c: volumeItem(2) }).pipe(sequenceVolumes({ window: 2, waitMs: 5, dummyScans: 0 }));
      expectObservable(out.pipe(map(label))).toBe('a---e-c|', { a: 'v0', e: 'err1', c: 'v2' });
      out.subscribe((item) => (seen = [...seen, item]));
    });
    const failed = seen.find((i) => i.kind === 'failed');
    expect(failed?.kind === 'failed' && failed.record.warnings?.map((w) => w.code)).toEqual(['DICOM_NOT_DICOM']);
  });

  it('K01 a TR whose file is still being written is given up as VOLUME_INCOMPLETE; the late verdict is a warning', () => {
    const incomplete: SourceItem = { kind: 'expected', tr: 1, file: 'f1.dcm' };
    const verdict: SourceItem = { kind: 'problem', tr: 1, error: new BoldstreamError('VOLUME_INCOMPLETE', 'f1.dcm never completed') };
    const seen: PipelineItem[] = [];
    new TestScheduler((a, b) => expect(a).toEqual(b)).run(({ cold, expectObservable }) => {
      const out = cold('ax-c--------v-d|', { a: volumeItem(0), x: incomplete, c: volumeItem(2), v: verdict, d: volumeItem(3) }).pipe(sequenceVolumes({ window: 2, waitMs: 5, dummyScans: 0 }));
      expectObservable(out.pipe(map(label))).toBe('a-------(gc)--d|', { a: 'v0', g: 'err1', c: 'v2', d: 'v3' });
      out.subscribe((item) => seen.push(item));
    });
    const gap = seen.find((i) => i.kind === 'failed');
    expect(gap?.kind === 'failed' && gap.record.error.code).toBe('VOLUME_INCOMPLETE');
    expect(gap?.kind === 'failed' && gap.record.error.message).toMatch(/f1\.dcm/);
    const last = seen[seen.length - 1];
    expect(last?.kind === 'tr' && last.ctx.warnings.map((w) => w.code)).toEqual(['VOLUME_INCOMPLETE']);
  });

  it('a run joined late starts where it was joined', () => {
    const notices = run('a-b|', { a: volumeItem(40), b: volumeItem(41) }, 'a-b|', { a: 'v40', b: 'v41' });
    expect(notices.map((n) => n.code)).toEqual(['RUN_JOINED_LATE']);
  });

  it('flushes what is pending when the source completes, with gaps in between', () => {
    run('a-(c|)', { a: volumeItem(0), c: volumeItem(2) }, 'a-(gc|)', { a: 'v0', g: 'gap1', c: 'v2' });
  });
});
