/**
 * Which optimiser iterations `--by-iteration` reports when none are asked for: the first frame (0)
 * and points spaced by halving back from the last iteration, snapped to iterations that frames were
 * written at. Refinement is fast early and slow late, so halving steps show both phases in a short
 * table, where evenly spaced ones would spend most rows on the flat tail.
 */
export function checkpoints(iterations: readonly number[], most = 8): number[] {
  const seen = [...new Set(iterations)].sort((a, b) => a - b);
  if (seen.length <= most) return seen;
  const last = seen.at(-1)!;
  const picked = new Set<number>([seen[0]!, last]);
  for (let target = last / 2; picked.size < most && target >= 1; target /= 2) {
    // The latest iteration at or before the target: what a client showed then.
    const at = seen.filter((i) => i <= target).at(-1);
    if (at !== undefined) picked.add(at);
  }
  return [...picked].sort((a, b) => a - b);
}
