/**
 * The one trial rule (trial-windows.ts) against a brute-force reading of it: for every t, the event
 * whose HRF-shifted window holds t (events.ts inWindow), the latest onset winning and, among equal
 * onsets, the event added last. Random overlapping, nested, equal-onset and zero-length events,
 * added in random order, some after lookups have begun (live markers).
 */
import { describe, expect, it } from 'vitest';
import { inWindow, type TimedEvent } from '../../src/decode/events.js';
import { TrialWindows } from '../../src/decode/trial-windows.js';
import { Random } from '../../src/synth/random.js';

function bruteForce(events: readonly TimedEvent[], delay: number, t: number): number | null {
  let best: number | null = null;
  events.forEach((e, i) => {
    if (inWindow(t, e.onset, e.duration, delay) && (best === null || e.onset >= events[best]!.onset)) best = i;
  });
  return best;
}

describe('trial windows', () => {
  it('give the brute-force trial of every TR, with events added before and while TRs are looked up', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const random = new Random(seed);
      const delay = [0, 4, 5.5][seed % 3]!;
      const windows = new TrialWindows(delay);
      const events: TimedEvent[] = [];
      const add = (): void => {
        const onset = Math.round(random.next() * 40) / 2;
        const duration = random.next() < 0.1 ? 0 : Math.round(random.next() * 12) / 2;
        const event = { onset, duration };
        events.push(event);
        expect(windows.add(event).index).toBe(events.length - 1);
      };
      for (let i = 0; i < 8; i++) add();
      for (let k = 0; k < 120; k++) {
        if (k % 30 === 0) add();
        const t = k * 0.25;
        expect(windows.at(t)?.index ?? null, `seed ${seed}, t ${t}`).toBe(bruteForce(events, delay, t));
      }
    }
  });

  it('has no trial at a non-finite time, and refuses a negative HRF delay', () => {
    const windows = new TrialWindows(5);
    windows.add({ onset: 0, duration: 100 });
    expect(windows.at(Number.NaN)).toBeNull();
    expect(() => new TrialWindows(-1)).toThrow(/HRF delay/);
  });
});
