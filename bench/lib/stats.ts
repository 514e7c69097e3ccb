/**
 * Summaries of timing samples. p99 is the nearest-rank quantile (the smallest sample with at least
 * 99 % of the samples at or below it), so with n samples it is an observed value, never interpolated;
 * with fewer than 100 samples it is the maximum, which the table shows by printing n beside it.
 */

export interface Summary {
  readonly n: number;
  readonly median: number;
  readonly p99: number;
  readonly min: number;
  readonly max: number;
  readonly mean: number;
}

export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1]!;
}

export function summarise(samples: readonly number[]): Summary {
  const sorted = samples.filter(Number.isFinite).sort((a, b) => a - b);
  const n = sorted.length;
  return {
    n,
    median: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    min: n > 0 ? sorted[0]! : Number.NaN,
    max: n > 0 ? sorted[n - 1]! : Number.NaN,
    mean: n > 0 ? sorted.reduce((s, x) => s + x, 0) / n : Number.NaN,
  };
}

/** Samples grouped by name, in first-seen order (stage names as the pipeline emits them). */
export class SampleSet {
  private readonly byName = new Map<string, number[]>();

  add(name: string, value: number): void {
    const list = this.byName.get(name);
    if (list) list.push(value);
    else this.byName.set(name, [value]);
  }

  addAll(values: Readonly<Record<string, number>>, prefix = ''): void {
    for (const [name, value] of Object.entries(values)) this.add(prefix + name, value);
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  get(name: string): readonly number[] {
    return this.byName.get(name) ?? [];
  }
}

export const megabytes = (bytes: number): number => bytes / (1024 * 1024);
