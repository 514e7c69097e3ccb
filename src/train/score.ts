/**
 * How well a stream of records decoded what was shown: per-TR accuracy against the HRF-shifted
 * labels of the events (the same rule as training, decode/labels.ts), and trial accuracy from each
 * trial's final decision (its last record). Used by `replay` summaries, the demo and the tests.
 */
import { volumeLabels } from '../decode/labels.js';
import type { TimedEvent } from '../decode/events.js';
import type { TrRecord } from '../generated/boldstream.js';
import { isErrorRecord, type SessionRecord } from '../session/types.js';

export interface DecodingScore {
  readonly trCorrect: number;
  readonly trTotal: number;
  readonly trialCorrect: number;
  readonly trialTotal: number;
  readonly chance: number;
  /** Per trial: what was shown and what was decided. */
  readonly trials: readonly { index: number; truth: string; decided: string; n: number }[];
}

/**
 * `hrfDelaySec` should be the model's own (the shift it was trained with); `classes` the model's label
 * count, so that chance is that of the decoder, not of the categories this run happened to show.
 */
export function scoreDecoding(records: readonly SessionRecord[], events: readonly TimedEvent[], options: { repetitionTime: number; hrfDelaySec: number; classes?: number }): DecodingScore {
  const good = records.filter((r): r is TrRecord => !isErrorRecord(r));
  const maxTr = good.reduce((m, r) => Math.max(m, r.tr), -1);
  const labels = volumeLabels(events, { repetitionTime: options.repetitionTime, volumes: maxTr + 1, hrfDelaySec: options.hrfDelaySec });
  let trCorrect = 0;
  let trTotal = 0;
  const finalOfTrial = new Map<number, { truth: string; decided: string; n: number }>();
  for (const r of good) {
    const truth = labels[r.tr];
    if (truth && r.decoded) {
      trTotal++;
      if (r.decoded.label === truth) trCorrect++;
    }
    if (r.trial?.truth) finalOfTrial.set(r.trial.index, { truth: r.trial.truth, decided: r.trial.label, n: r.trial.n });
  }
  const trials = [...finalOfTrial.entries()].map(([index, t]) => ({ index, ...t })).sort((a, b) => a.index - b.index);
  const classes = options.classes ?? new Set(labels.filter((l): l is string => l !== null)).size;
  return {
    trCorrect,
    trTotal,
    trialCorrect: trials.filter((t) => t.truth === t.decided).length,
    trialTotal: trials.length,
    chance: classes > 0 ? 1 / classes : 0,
    trials,
  };
}

export function describeScore(score: DecodingScore): string {
  const pct = (a: number, b: number): string => (b > 0 ? `${((100 * a) / b).toFixed(1)}%` : 'n/a');
  return `per-TR ${score.trCorrect}/${score.trTotal} (${pct(score.trCorrect, score.trTotal)}), trials ${score.trialCorrect}/${score.trialTotal} (${pct(score.trialCorrect, score.trialTotal)}), chance ${(100 * score.chance).toFixed(1)}%`;
}
