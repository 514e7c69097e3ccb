/**
 * Correlations between decoded and true features, the Kamitani lab's two views of the same matrix
 * (Horikawa & Kamitani 2017, Nat Commun 8:15037; Shen et al. 2019, PLoS Comput Biol 15:e1006633):
 *
 *   profile correlation   per unit, across samples: does the decoder follow this unit's ups and
 *                         downs from image to image? (A column of decoded vs a column of true.)
 *   pattern correlation   per sample, across units: does the decoded vector look like this image's
 *                         true vector? (A row vs a row; for pixels it is the pixel correlation.)
 *
 * A unit (or sample) that is constant in either matrix has no correlation: it is left out and
 * counted, not scored as 0, since a unit that never varies over the test images says nothing about
 * the decoder. Constant means every value equal, tested exactly: a two-pass variance of equal
 * float32 values can come out as 1e-20 rather than 0, and a correlation of rounding noise is noise.
 */
import { assertSameShape, type SampleMatrix, type Values } from './matrix.js';
import { scoreOf, type Score } from './score.js';

/** Pearson correlation of two equally long vectors; NaN when either is constant or empty. */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  if (x.length !== y.length) throw new RangeError(`vectors of ${x.length} and ${y.length} values`);
  return pearsonAt(x, 0, y, 0, x.length);
}

function pearsonAt(x: ArrayLike<number>, xAt: number, y: ArrayLike<number>, yAt: number, length: number): number {
  if (length === 0 || isConstant(x, xAt, length) || isConstant(y, yAt, length)) return Number.NaN;
  let mx = 0;
  let my = 0;
  for (let k = 0; k < length; k++) {
    mx += x[xAt + k]!;
    my += y[yAt + k]!;
  }
  mx /= length;
  my /= length;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let k = 0; k < length; k++) {
    const dx = x[xAt + k]! - mx;
    const dy = y[yAt + k]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return clampUnit(sxy / Math.sqrt(sxx * syy));
}

function isConstant(v: ArrayLike<number>, at: number, length: number): boolean {
  const first = v[at]!;
  for (let k = 1; k < length; k++) if (v[at + k] !== first) return false;
  return true;
}

// Rounding can put a perfect correlation a hair past ±1; identification compares them exactly.
const clampUnit = (r: number): number => (r > 1 ? 1 : r < -1 ? -1 : r);

export interface PatternOptions {
  /**
   * Per-unit mean and standard deviation to z-score both matrices with before correlating, normally
   * those of the training features (bdpy's `pattern_correlation(x, y, mean, std)`). Raw CNN
   * activations share a large mean profile across units (some channels are always strong), which
   * makes every pattern look like every other: the mean training image then scores as high as a
   * good reconstruction. Units whose std is not positive are left out of every pattern.
   */
  readonly mean?: Values;
  readonly std?: Values;
}

/** Per sample (row i of decoded vs row i of true), across units. */
export function patternCorrelation(decoded: SampleMatrix, truth: SampleMatrix, options: PatternOptions = {}): Score {
  assertSameShape(decoded, truth, 'pattern correlation');
  const { samples, units } = decoded;
  const values = new Float64Array(samples);
  const { mean, std } = options;
  if (!mean || !std) {
    for (let i = 0; i < samples; i++) values[i] = pearsonAt(decoded.data, i * units, truth.data, i * units, units);
    return scoreOf(values);
  }
  if (mean.length !== units || std.length !== units) throw new RangeError(`normalisation of ${mean.length} means and ${std.length} sds for ${units} units`);
  const kept = Array.from({ length: units }, (_, u) => u).filter((u) => std[u]! > 0 && Number.isFinite(std[u]!) && Number.isFinite(mean[u]!));
  const x = new Float64Array(kept.length);
  const y = new Float64Array(kept.length);
  for (let i = 0; i < samples; i++) {
    kept.forEach((u, k) => {
      x[k] = (decoded.data[i * units + u]! - mean[u]!) / std[u]!;
      y[k] = (truth.data[i * units + u]! - mean[u]!) / std[u]!;
    });
    values[i] = pearsonAt(x, 0, y, 0, kept.length);
  }
  return scoreOf(values);
}

/**
 * Per unit (column u of decoded vs column u of true), across samples. Accumulated row by row, so
 * that a layer of 10⁵ units is read in memory order.
 */
export function profileCorrelation(decoded: SampleMatrix, truth: SampleMatrix): Score {
  assertSameShape(decoded, truth, 'profile correlation');
  const { samples, units } = decoded;
  const mx = columnMeans(decoded.data, samples, units);
  const my = columnMeans(truth.data, samples, units);
  const varies = new Uint8Array(units);
  const sxy = new Float64Array(units);
  const sxx = new Float64Array(units);
  const syy = new Float64Array(units);
  for (let i = 0; i < samples; i++) {
    const at = i * units;
    for (let u = 0; u < units; u++) {
      const x = decoded.data[at + u]!;
      const y = truth.data[at + u]!;
      // Bit 1: the decoded column varies; bit 2: the true column does.
      varies[u]! |= (x !== decoded.data[u] ? 1 : 0) | (y !== truth.data[u] ? 2 : 0);
      const dx = x - mx[u]!;
      const dy = y - my[u]!;
      sxy[u]! += dx * dy;
      sxx[u]! += dx * dx;
      syy[u]! += dy * dy;
    }
  }
  const values = new Float64Array(units);
  for (let u = 0; u < units; u++) values[u] = varies[u] === 3 ? clampUnit(sxy[u]! / Math.sqrt(sxx[u]! * syy[u]!)) : Number.NaN;
  return scoreOf(values);
}

function columnMeans(data: Values, samples: number, units: number): Float64Array {
  const mean = new Float64Array(units);
  for (let i = 0; i < samples; i++) for (let u = 0; u < units; u++) mean[u]! += data[i * units + u]!;
  for (let u = 0; u < units; u++) mean[u]! /= samples;
  return mean;
}

/**
 * Correlation of every row of `a` with every row of `b` (a.samples × b.samples, row-major): the
 * table pairwise identification reads. Rows are centred and scaled once, so the table costs one
 * dot product per pair. A constant row gives a row (or column) of NaN.
 */
export function correlationMatrix(a: SampleMatrix, b: SampleMatrix): Float64Array {
  if (a.units !== b.units) throw new RangeError(`rows of ${a.units} and ${b.units} units cannot be correlated`);
  const za = standardisedRows(a);
  const zb = standardisedRows(b);
  const units = a.units;
  const out = new Float64Array(a.samples * b.samples);
  for (let i = 0; i < a.samples; i++) {
    for (let j = 0; j < b.samples; j++) {
      let dot = 0;
      for (let u = 0; u < units; u++) dot += za[i * units + u]! * zb[j * units + u]!;
      out[i * b.samples + j] = clampUnit(dot);
    }
  }
  return out;
}

/** Rows centred and divided by their norm (NaN for a constant row), in float64. */
function standardisedRows(m: SampleMatrix): Float64Array {
  const { samples, units, data } = m;
  const z = new Float64Array(samples * units);
  for (let i = 0; i < samples; i++) {
    const at = i * units;
    if (units === 0 || isConstant(data, at, units)) {
      z.fill(Number.NaN, at, at + units);
      continue;
    }
    let mean = 0;
    for (let u = 0; u < units; u++) mean += data[at + u]!;
    mean /= units;
    let ss = 0;
    for (let u = 0; u < units; u++) {
      const d = data[at + u]! - mean;
      z[at + u] = d;
      ss += d * d;
    }
    const scale = 1 / Math.sqrt(ss);
    for (let u = 0; u < units; u++) z[at + u]! *= scale;
  }
  return z;
}
