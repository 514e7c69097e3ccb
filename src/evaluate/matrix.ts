/**
 * The shape every metric takes: a samples × units matrix, row-major, with its counts.
 *
 * Samples are trials or images, units are feature units or pixel values. A decoder's output and the
 * true features are two such matrices of the same shape, and row i of one belongs to row i of the
 * other. Float32Array is what tfjs and the feature spaces give, Float64Array what the decoders
 * compute in; the metrics accumulate in float64 either way.
 */

export type Values = Float32Array | Float64Array;

export interface SampleMatrix {
  readonly data: Values;
  readonly samples: number;
  readonly units: number;
}

/** Checks the counts against the data once, so that the metrics can index without checks. */
export function sampleMatrix(data: Values, samples: number, units: number): SampleMatrix {
  if (!(Number.isInteger(samples) && samples >= 0 && Number.isInteger(units) && units >= 0)) {
    throw new RangeError(`a matrix needs whole counts, not ${samples} samples × ${units} units`);
  }
  if (data.length !== samples * units) throw new RangeError(`${data.length} values are not ${samples} samples × ${units} units`);
  return { data, samples, units };
}

/** Stacks equally long rows (e.g. one image per trial) into one matrix. */
export function stackRows(rows: readonly Values[]): SampleMatrix {
  const units = rows[0]?.length ?? 0;
  const data = new Float64Array(rows.length * units);
  rows.forEach((row, i) => {
    if (row.length !== units) throw new RangeError(`row ${i} has ${row.length} values, row 0 has ${units}`);
    data.set(row, i * units);
  });
  return { data, samples: rows.length, units };
}

export function assertSameShape(a: SampleMatrix, b: SampleMatrix, what: string): void {
  if (a.samples !== b.samples || a.units !== b.units) {
    throw new RangeError(`${what}: decoded is ${a.samples} × ${a.units}, true is ${b.samples} × ${b.units}`);
  }
}

/** Per-unit mean and standard deviation (population, ddof 0, as numpy's default). */
export interface UnitMoments {
  readonly mean: Float64Array;
  readonly std: Float64Array;
  readonly samples: number;
}

/**
 * Per-unit moments accumulated row by row, so that the features of hundreds of training images
 * never have to sit in memory at once. Welford's update keeps it exact for large means.
 */
export class MomentsAccumulator {
  private readonly mean: Float64Array;
  private readonly m2: Float64Array;
  private n = 0;

  constructor(readonly units: number) {
    this.mean = new Float64Array(units);
    this.m2 = new Float64Array(units);
  }

  add(row: Values): void {
    if (row.length !== this.units) throw new RangeError(`a row of ${row.length} values for ${this.units} units`);
    this.n++;
    for (let u = 0; u < this.units; u++) {
      const delta = row[u]! - this.mean[u]!;
      this.mean[u]! += delta / this.n;
      this.m2[u]! += delta * (row[u]! - this.mean[u]!);
    }
  }

  result(): UnitMoments {
    return { mean: Float64Array.from(this.mean), std: this.m2.map((v) => Math.sqrt(v / this.n)), samples: this.n };
  }
}

/** Moments of every unit (column) of a matrix. */
export function unitMoments(m: SampleMatrix): UnitMoments {
  const acc = new MomentsAccumulator(m.units);
  for (let i = 0; i < m.samples; i++) acc.add(m.data.subarray(i * m.units, (i + 1) * m.units));
  return acc.result();
}
