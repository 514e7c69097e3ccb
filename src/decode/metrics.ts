/**
 * Decisions and how good they are: argmax with a fixed tie rule, accuracy, confusion and chance.
 */

/**
 * Index of the largest of k values starting at `offset`. Ties go to the lowest index, i.e. the label
 * listed first in the model, so that the same scores always give the same label on every machine.
 * NaN never wins.
 */
export function argmax(values: ArrayLike<number>, offset = 0, k = values.length - offset): number {
  let best = 0;
  let bestValue = -Infinity;
  for (let c = 0; c < k; c++) {
    const v = values[offset + c]!;
    if (v > bestValue) {
      bestValue = v;
      best = c;
    }
  }
  return best;
}

/** Row-wise argmax of an n x k score matrix. */
export function predictions(scores: Float64Array, n: number, k: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = argmax(scores, i * k, k);
  return out;
}

export function accuracy(truth: ArrayLike<number>, predicted: ArrayLike<number>): number {
  if (truth.length === 0) return Number.NaN;
  let correct = 0;
  for (let i = 0; i < truth.length; i++) if (truth[i] === predicted[i]) correct++;
  return correct / truth.length;
}

/** k x k counts: rows are the true labels, columns the predicted ones (scikit-learn's convention). */
export function confusion(truth: ArrayLike<number>, predicted: ArrayLike<number>, k: number): number[][] {
  const m = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < truth.length; i++) m[truth[i]!]![predicted[i]!]!++;
  return m;
}

/**
 * Chance level: the accuracy of always answering the most frequent label. For balanced classes this
 * is 1/k; when the classes are not balanced 1/k flatters a decoder that learnt only the base rate.
 */
export function chanceLevel(y: ArrayLike<number>, k: number): number {
  if (y.length === 0) return Number.NaN;
  const counts = new Array<number>(k).fill(0);
  for (let i = 0; i < y.length; i++) counts[y[i]!]!++;
  return Math.max(...counts) / y.length;
}
