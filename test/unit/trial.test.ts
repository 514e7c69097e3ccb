/**
 * Trial accumulation against examples worked out by hand.
 *
 * The main example: labels a, b; TR 2 s; HRF delay 4 s.
 *   event 0: onset 0, duration 6, type a  → window [4, 10)  → TRs at t = 4, 6, 8
 *   event 1: onset 10, duration 4, type b → window [14, 18) → TRs at t = 14, 16
 *
 *   t    per-TR scores (a, b)   ridge: running mean              logistic: running sum
 *   0    (9, 9)                 null                              null
 *   4    (1, −1)                trial 0, n 1: (1, −1) → a         (1, −1) → a
 *   6    (−1, 0)                n 2: (0, −0.5) → a                (0, −1) → a
 *   8    (−2, 2)                n 3: (−2/3, 1/3) → b              (−2, 1) → b
 *   10   (5, 5)                 null (the window's end is excluded)
 *   14   (0.5, 0.5)             trial 1, n 1: (0.5, 0.5) → a (tie: first label)
 *   16   (0, 1)                 n 2: (0.25, 0.75) → b             (0.5, 1.5) → b
 *   18   (1, 1)                 null
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseEvents } from '../../src/ingest/bids/events.js';
import { volumeLabels } from '../../src/decode/labels.js';
import { TrialAccumulator } from '../../src/decode/trial.js';
import { BoldstreamError } from '../../src/errors.js';
import { dataPath } from '../helpers/paths.js';

const events = [
  { onset: 0, duration: 6, trial_type: 'a' },
  { onset: 10, duration: 4, trial_type: 'b', stim_file: 'house3.png' },
];
const trs: [number, number, number][] = [
  [0, 9, 9],
  [4, 1, -1],
  [6, -1, 0],
  [8, -2, 2],
  [10, 5, 5],
  [14, 0.5, 0.5],
  [16, 0, 1],
  [18, 1, 1],
];

describe('TrialAccumulator', () => {
  it('averages ridge decision values over the trial so far', () => {
    const acc = new TrialAccumulator({ labels: ['a', 'b'], scoreKind: 'decision', hrfDelaySec: 4, events });
    const out = trs.map(([t, a, b]) => acc.update(t, { a, b }));
    expect(out[0]).toBeNull();
    expect(out[1]).toEqual({ index: 0, onset: 0, duration: 6, n: 1, label: 'a', scores: { a: 1, b: -1 }, truth: 'a' });
    expect(out[2]).toMatchObject({ index: 0, n: 2, label: 'a', scores: { a: 0, b: -0.5 } });
    expect(out[3]!.n).toBe(3);
    expect(out[3]!.label).toBe('b');
    expect(out[3]!.scores.a).toBeCloseTo(-2 / 3, 15);
    expect(out[3]!.scores.b).toBeCloseTo(1 / 3, 15);
    expect(out[4]).toBeNull();
    expect(out[5]).toEqual({ index: 1, onset: 10, duration: 4, n: 1, label: 'a', scores: { a: 0.5, b: 0.5 }, truth: 'b', stim_file: 'house3.png' });
    expect(out[6]).toMatchObject({ index: 1, n: 2, label: 'b', scores: { a: 0.25, b: 0.75 } });
    expect(out[7]).toBeNull();
  });

  it('sums logistic log-probabilities over the trial so far', () => {
    const acc = new TrialAccumulator({ labels: ['a', 'b'], scoreKind: 'log-probability', hrfDelaySec: 4, events });
    const out = trs.map(([t, a, b]) => acc.update(t, Float64Array.from([a, b])));
    expect(out[2]).toMatchObject({ n: 2, label: 'a', scores: { a: 0, b: -1 } });
    expect(out[3]).toMatchObject({ n: 3, label: 'b', scores: { a: -2, b: 1 } });
    expect(out[6]).toMatchObject({ n: 2, label: 'b', scores: { a: 0.5, b: 1.5 } });
  });

  it('takes events added while the run goes on, without revisiting TRs already passed', () => {
    const acc = new TrialAccumulator({ labels: ['a', 'b'], scoreKind: 'decision', hrfDelaySec: 4 });
    expect(acc.update(4, { a: 1, b: 0 })).toBeNull();
    // The marker for onset 0 arrives late: the TR at 4 s is gone, the one at 6 s is the first counted.
    expect(acc.addEvent({ onset: 0, duration: 6 })).toBe(0);
    const state = acc.update(6, { a: 0, b: 3 });
    expect(state).toEqual({ index: 0, onset: 0, duration: 6, n: 1, label: 'b', scores: { a: 0, b: 3 } });
    expect(acc.eventCount).toBe(1);
  });

  it('gives overlapping windows to the latest onset and resumes the earlier trial after it', () => {
    // No delay, TR 1 s. Long: [0, 10); short: [4, 6), added first so that indices are insertion order.
    const acc = new TrialAccumulator({ labels: ['a', 'b'], scoreKind: 'decision', hrfDelaySec: 0 });
    acc.addEvent({ onset: 4, duration: 2, trial_type: 'short' });
    acc.addEvent({ onset: 0, duration: 10, trial_type: 'long' });
    const seen = Array.from({ length: 11 }, (_, t) => acc.update(t, { a: t, b: 0 }));
    expect(seen.map((s) => s?.index ?? null)).toEqual([1, 1, 1, 1, 0, 0, 1, 1, 1, 1, null]);
    // The long trial counts only its own TRs: 0, 1, 2, 3, then 6, 7, 8, 9.
    expect(seen[3]).toMatchObject({ n: 4, scores: { a: 1.5 } });
    expect(seen[5]).toMatchObject({ index: 0, n: 2, scores: { a: 4.5 }, truth: 'short' });
    expect(seen[6]).toMatchObject({ index: 1, n: 5, scores: { a: 12 / 5 } });
    expect(seen[9]).toMatchObject({ index: 1, n: 8, scores: { a: 36 / 8 } });
  });

  it('among equal onsets takes the event added last', () => {
    const twins = [
      { onset: 2, duration: 2, trial_type: 'first' },
      { onset: 2, duration: 2, trial_type: 'second' },
    ];
    const acc = new TrialAccumulator({ labels: ['a'], scoreKind: 'decision', hrfDelaySec: 0, events: twins });
    expect(acc.update(2, { a: 1 })).toMatchObject({ index: 1, truth: 'second' });
  });

  it('agrees with the training labels on every TR of Haxby run 01', () => {
    const rows = parseEvents(readFileSync(dataPath('haxby2001-slice/sub-1/func/sub-1_task-objectviewing_run-01_events.tsv'), 'utf8'));
    const labels = volumeLabels(rows, { repetitionTime: 2.5, volumes: 121, hrfDelaySec: 5 });
    const acc = new TrialAccumulator({ labels: ['x'], scoreKind: 'decision', hrfDelaySec: 5, events: rows });
    const truths = labels.map((_, i) => acc.update(i * 2.5, { x: 0 })?.truth ?? null);
    expect(truths).toEqual(labels);
  });

  it('refuses events it cannot place and scores it cannot read', () => {
    const acc = new TrialAccumulator({ labels: ['a', 'b'], scoreKind: 'decision', hrfDelaySec: 0, events });
    expect(() => acc.addEvent({ onset: 1, duration: -1 })).toThrow(BoldstreamError);
    expect(() => acc.update(1, { a: 1 })).toThrow(/no score for label "b"/);
    // A TR with a non-finite score is not counted; the trial is still reported.
    expect(acc.update(0, { a: 1, b: 1 })).toMatchObject({ n: 1 });
    expect(acc.update(1, { a: Number.NaN, b: 1 })).toMatchObject({ n: 1 });
    expect(acc.update(Number.NaN, { a: 1, b: 1 })).toBeNull();
  });
});
