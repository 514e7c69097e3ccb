/**
 * Pairwise identification (Horikawa & Kamitani 2017; Shen et al. 2019): for a decoded sample i, is
 * it more like its own true sample than like another candidate j? For each i, the fraction of
 * candidates j with corr(decoded_i, true_i) > corr(decoded_i, true_j), ties counting half; the
 * score is the mean over i. Chance is 0.5 whatever the number of candidates, which is why the lab
 * reports it instead of n-way accuracy: scores from test sets of different sizes compare.
 *
 * Candidates are the other true samples, and optionally extra true samples that were not decoded
 * (a larger candidate set, as in Horikawa & Kamitani's extended identification). `groups` names
 * the image behind each sample: a test set that shows an image several times must not ask a trial
 * to tell its image apart from itself, so candidates of the same group are skipped.
 */
import { correlationMatrix } from './correlation.js';
import { assertSameShape, type SampleMatrix } from './matrix.js';
import { scoreOf, type Score } from './score.js';

export interface IdentificationOptions {
  /** Per sample of `truth`, the image (or class) it shows; candidates of a sample's own group are skipped. */
  readonly groups?: ArrayLike<string | number>;
  /** More true samples to tell each decoded sample from (never the right answer), same units. */
  readonly extraCandidates?: SampleMatrix;
}

/**
 * Per decoded sample, the fraction of candidates it is told apart from. A sample is NaN when its
 * own correlation is undefined (a constant row) or it has no candidate; a candidate whose
 * correlation is undefined is not counted.
 */
export function pairwiseIdentification(decoded: SampleMatrix, truth: SampleMatrix, options: IdentificationOptions = {}): Score {
  assertSameShape(decoded, truth, 'pairwise identification');
  const { groups, extraCandidates } = options;
  if (groups && groups.length !== truth.samples) throw new RangeError(`${groups.length} groups for ${truth.samples} samples`);
  const n = decoded.samples;
  const own = correlationMatrix(decoded, truth);
  const extra = extraCandidates ? correlationMatrix(decoded, extraCandidates) : null;
  const extraCount = extraCandidates?.samples ?? 0;
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const right = own[i * n + i]!;
    let wins = 0;
    let count = 0;
    const compare = (other: number): void => {
      if (Number.isNaN(other)) return;
      count++;
      wins += right > other ? 1 : right === other ? 0.5 : 0;
    };
    for (let j = 0; j < n; j++) if (j !== i && !(groups && groups[j] === groups[i])) compare(own[i * n + j]!);
    for (let j = 0; j < extraCount; j++) compare(extra![i * extraCount + j]!);
    values[i] = Number.isNaN(right) || count === 0 ? Number.NaN : wins / count;
  }
  return scoreOf(values);
}
