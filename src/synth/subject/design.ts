/**
 * The experimental design: slow event-related runs timed in TRs, so that the decoder's HRF-shifted
 * windows (onset + hrfDelaySec, 5 s by default) fall on the peak of each trial's own response.
 *
 *   run:    [lead-in rest 4 TR] [trial] [trial] ... [trial] [tail rest 8 TR]
 *   trial:  image 2 TR, grey screen 2 TR          (TR 1.5 s: 3 s image, 6 s onset to onset)
 *
 * With TR 1.5 s the window [onset + 5 s, onset + 8 s) holds the TRs 6.0 and 7.5 s after onset, where
 * a 3 s image's response peaks; the next trial starts 6 s after the onset and the previous one has
 * decayed to a few percent of its peak, so trials barely mix. The tail lets the last response finish.
 *
 * Training runs show every training image once, in a shuffled order. Test runs show every test image
 * the same number of times (±1) in each run, shuffled with no image twice in a row, so averaging the
 * repetitions across runs helps as in real experiments.
 */
import type { Random } from '../random.js';
import type { Stimulus } from '../stimuli/sets.js';

export const LEAD_TRS = 4;
export const IMAGE_TRS = 2;
export const BLANK_TRS = 2;
export const TAIL_TRS = 8;

export interface Trial {
  /** Seconds from the first volume. */
  readonly onset: number;
  readonly duration: number;
  readonly stimulus: Stimulus;
}

export interface RunPlan {
  readonly task: 'train' | 'test';
  /** 1-based within its task. */
  readonly run: number;
  readonly volumes: number;
  readonly trials: readonly Trial[];
}

export function trialsPerRun(volumes: number): number {
  return Math.max(0, Math.floor((volumes - LEAD_TRS - TAIL_TRS) / (IMAGE_TRS + BLANK_TRS)));
}

function timed(order: readonly Stimulus[], repetitionTime: number): Trial[] {
  return order.map((stimulus, n) => ({
    onset: (LEAD_TRS + n * (IMAGE_TRS + BLANK_TRS)) * repetitionTime,
    duration: IMAGE_TRS * repetitionTime,
    stimulus,
  }));
}

/** Shuffled, then any image that follows itself is swapped with a later different one. */
function noRepeats(items: Stimulus[], random: Random): Stimulus[] {
  random.shuffle(items);
  for (let i = 1; i < items.length; i++) {
    if (items[i] !== items[i - 1]) continue;
    const j = items.findIndex((s, k) => k > i && s !== items[i] && s !== items[i + 1] && items[k + 1] !== items[i] && items[k - 1] !== items[i]);
    if (j > 0) [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

export function trainingRun(run: number, stimuli: readonly Stimulus[], volumes: number, repetitionTime: number, random: Random): RunPlan {
  return { task: 'train', run, volumes, trials: timed(random.shuffle([...stimuli]), repetitionTime) };
}

export function testRun(run: number, stimuli: readonly Stimulus[], volumes: number, repetitionTime: number, random: Random): RunPlan {
  const slots = trialsPerRun(volumes);
  // Each image floor(slots / n) times; the remaining slots go to images chosen at random for this run.
  const list = Array.from({ length: Math.floor(slots / stimuli.length) }, () => [...stimuli]).flat();
  list.push(...random.shuffle([...stimuli]).slice(0, slots - list.length));
  return { task: 'test', run, volumes, trials: timed(noRepeats(list, random), repetitionTime) };
}
