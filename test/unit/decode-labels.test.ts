/**
 * Per-TR training labels from BIDS events, checked against timing worked out by hand (and confirmed
 * with a few lines of Python over the same events.tsv) for run 01 of the Haxby 2001 object-viewing
 * data: TR 2.5 s, 121 volumes, HRF delay 5 s.
 *
 *   scissors onset 15.0 dur 22.5 → window [20.0, 42.5) s → TRs  8..16 (t = 20.0 .. 40.0)
 *   face     52.5 → [57.5, 80.0)  → TRs 23..31     cat      87.5 → [92.5, 115.0)  → TRs 37..45
 *   shoe    122.5 → [127.5, 150.0) → TRs 51..59     house   157.5 → [162.5, 185.0) → TRs 65..73
 *   scrambledpix 195.0 → [200.0, 222.5) → TRs 80..88   bottle 230.0 → [235.0, 257.5) → TRs 94..102
 *   chair   265.0 → [270.0, 292.5) → TRs 108..116
 * Each window spans 22.5 s = 9 TRs exactly, its end excluded: 72 labelled TRs, 49 rest.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseEvents } from '../../src/ingest/bids/events.js';
import { labelCounts, volumeLabels } from '../../src/decode/labels.js';
import { BoldstreamError } from '../../src/errors.js';
import { dataPath } from '../helpers/paths.js';

const run01 = () => parseEvents(readFileSync(dataPath('haxby2001-slice/sub-1/func/sub-1_task-objectviewing_run-01_events.tsv'), 'utf8'));

const expected: [string, number, number][] = [
  ['scissors', 8, 16],
  ['face', 23, 31],
  ['cat', 37, 45],
  ['shoe', 51, 59],
  ['house', 65, 73],
  ['scrambledpix', 80, 88],
  ['bottle', 94, 102],
  ['chair', 108, 116],
];

describe('volume labels from BIDS events', () => {
  it('takes the Haxby events.tsv as the BIDS reader gives it', () => {
    const events = run01();
    expect(events).toHaveLength(8);
    expect(events[0]).toEqual({ onset: 15, duration: 22.5, trial_type: 'scissors' });
    expect(events[7]).toMatchObject({ onset: 265, trial_type: 'chair' });
  });

  it('labels the HRF-shifted TRs of Haxby run 01 as worked out by hand', () => {
    const labels = volumeLabels(run01(), { repetitionTime: 2.5, volumes: 121, hrfDelaySec: 5 });
    const want = new Array<string | null>(121).fill(null);
    for (const [type, first, last] of expected) for (let i = first; i <= last; i++) want[i] = type;
    expect(labels).toEqual(want);
    expect(labelCounts(labels)).toEqual(Object.fromEntries(expected.map(([t]) => [t, 9])));
    expect(labels.filter((l) => l === null)).toHaveLength(49);
  });

  it('keeps only the trial types asked for', () => {
    const labels = volumeLabels(run01(), { repetitionTime: 2.5, volumes: 121, hrfDelaySec: 5, trialTypes: ['face', 'house'] });
    expect(labelCounts(labels)).toEqual({ face: 9, house: 9 });
    expect(labels[23]).toBe('face');
    expect(labels[8]).toBeNull();
  });

  it('uses acquisition times when given (a gap shifts what each volume saw)', () => {
    // Volume 3 arrived late, at 9.1 s instead of 7.5 s.
    const events = [{ onset: 4, duration: 4, trial_type: 'x' }];
    // Window [4 + 1, 8 + 1) = [5, 9): t = 0, 2.5, 5, 9.1 → null, null, x, null
    expect(volumeLabels(events, { repetitionTime: 2.5, volumes: 4, hrfDelaySec: 1, acquisitionTimes: [0, 2.5, 5, 9.1] })).toEqual([null, null, 'x', null]);
    expect(volumeLabels(events, { repetitionTime: 2.5, volumes: 4, hrfDelaySec: 1 })).toEqual([null, null, 'x', 'x']);
  });

  it('gives overlapping windows to the latest onset, and ignores events without a type', () => {
    const events = [
      { onset: 0, duration: 10, trial_type: 'long' },
      { onset: 4, duration: 2, trial_type: 'short' },
      { onset: 8, duration: 4, trial_type: null },
    ];
    // TR 1 s, no delay: 0..3 long, 4..5 short, 6..9 long again, 10.. nothing (the untyped event is ignored).
    expect(volumeLabels(events, { repetitionTime: 1, volumes: 12, hrfDelaySec: 0 })).toEqual([
      'long', 'long', 'long', 'long', 'short', 'short', 'long', 'long', 'long', 'long', null, null,
    ]);
  });

  it('puts decimal boundaries on the side their authors meant', () => {
    // Window [0.1 + 0.2, 0.1 + 0.3 + 0.2) = [0.3, 0.6) s, but in binary the start is 0.30000000000000004
    // and the end 0.6000000000000001: without slack volume 1 (0.3 s) would miss its window and
    // volume 2 (0.6 s) would fall inside it.
    const labels = volumeLabels([{ onset: 0.1, duration: 0.3, trial_type: 'x' }], { repetitionTime: 0.3, volumes: 4, hrfDelaySec: 0.2 });
    expect(labels).toEqual([null, 'x', null, null]);
  });

  it('refuses events and timings it cannot place', () => {
    expect(() => volumeLabels([{ onset: Number.NaN, duration: 1, trial_type: 'x' }], { repetitionTime: 2, volumes: 3, hrfDelaySec: 0 })).toThrow(BoldstreamError);
    expect(() => volumeLabels([], { repetitionTime: 0, volumes: 3, hrfDelaySec: 0 })).toThrow(/EVENTS|events/);
    expect(() => volumeLabels([{ onset: 1, duration: -2, trial_type: 'x' }], { repetitionTime: 2, volumes: 3, hrfDelaySec: 0 })).toThrow(/event 0: duration -2/);
    expect(() => volumeLabels([], { repetitionTime: 2, volumes: 3, hrfDelaySec: 0, acquisitionTimes: [0, 2] })).toThrow(/2 acquisition times for 3 volumes/);
  });
});
