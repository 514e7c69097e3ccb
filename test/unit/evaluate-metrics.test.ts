/**
 * The shared metrics (src/evaluate/metrics.ts) against numpy computing the same definitions from the
 * same numbers, and on cases whose answer is known without any reference: identical → 1, a decoder
 * that ignores the sample → identification exactly 0.5, shuffled → about 0.5.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  bootstrapInterval,
  correlationMatrix,
  image,
  pairwiseIdentification,
  patternCorrelation,
  pearson,
  pixelCorrelation,
  profileCorrelation,
  sampleMatrix,
  scoreOf,
  unitMoments,
  type SampleMatrix,
} from '../../src/evaluate/metrics.js';
import { Random } from '../../src/synth/random.js';
import { referencePython } from '../helpers/paths.js';

function python<T>(script: string, input: unknown): T {
  const out = execFileSync(referencePython, ['-c', script], { input: JSON.stringify(input), maxBuffer: 1 << 28 });
  return JSON.parse(out.toString()) as T;
}

// Written from the definitions (Horikawa & Kamitani 2017), not from the code under test.
const NUMPY_METRICS = `
import json, sys, numpy as np
d = json.load(sys.stdin)
n, p = d['n'], d['p']
D = np.array(d['D'], dtype=np.float64).reshape(n, p)
T = np.array(d['T'], dtype=np.float64).reshape(n, p)
groups = d['groups']
def corr(a, b):
    if np.ptp(a) == 0 or np.ptp(b) == 0: return None
    return float(np.corrcoef(a, b)[0, 1])
profile = [corr(D[:, u], T[:, u]) for u in range(p)]
pattern = [corr(D[i], T[i]) for i in range(n)]
C = np.corrcoef(D, T)[:n, n:]
ident = []
for i in range(n):
    others = [j for j in range(n) if j != i and groups[j] != groups[i]]
    ident.append(float(np.mean([1.0 if C[i, i] > C[i, j] else 0.5 if C[i, i] == C[i, j] else 0.0 for j in others])))
# bdpy's z-scored pattern correlation, with the moments of a separate training matrix (ddof 0).
R = np.array(d['R'], dtype=np.float64).reshape(-1, p)
m, s = R.mean(0), R.std(0)
keep = s > 0
Dz, Tz = ((D - m) / np.where(keep, s, 1))[:, keep], ((T - m) / np.where(keep, s, 1))[:, keep]
normed = [corr(Dz[i], Tz[i]) for i in range(n)]
print(json.dumps({'profile': profile, 'pattern': pattern, 'ident': ident, 'C': C.ravel().tolist(), 'normed': normed, 'm': m.tolist(), 's': s.tolist()}))
`;

function randomMatrix(random: Random, samples: number, units: number): Float64Array {
  return Float64Array.from({ length: samples * units }, () => random.gaussian());
}

/** decoded = signal · truth + noise, float32 like a decoder's output. */
function noisyCopy(random: Random, truth: SampleMatrix, signal: number): SampleMatrix {
  const data = Float32Array.from(truth.data, (v) => signal * v + random.gaussian());
  return sampleMatrix(data, truth.samples, truth.units);
}

const nanToNull = (values: Float64Array): (number | null)[] => Array.from(values, (v) => (Number.isNaN(v) ? null : v));

describe('profile, pattern correlation and identification against numpy', () => {
  const random = new Random(7);
  const n = 24;
  const p = 60;
  const truthData = randomMatrix(random, n, p);
  // Units 3 and 10 never vary in the truth, unit 20 never in the decoded: all three are left out.
  for (let i = 0; i < n; i++) [truthData[i * p + 3], truthData[i * p + 10]] = [0.25, -1];
  const truth = sampleMatrix(truthData, n, p);
  const decoded = noisyCopy(random, truth, 0.5);
  for (let i = 0; i < n; i++) decoded.data[i * p + 20] = 2;
  // Six images each shown four times: a trial is not asked to tell its image from itself.
  const groups = Array.from({ length: n }, (_, i) => `img-${i % 6}`);
  // Training features: a large shared mean profile across units, and unit 30 constant.
  const training = sampleMatrix(Float64Array.from({ length: 40 * p }, (_, k) => (k % p === 30 ? 1 : 3 * Math.sin(k % p) + random.gaussian())), 40, p);
  const reference = python<{ profile: (number | null)[]; pattern: (number | null)[]; ident: number[]; C: number[]; normed: number[]; m: number[]; s: number[] }>(NUMPY_METRICS, {
    n,
    p,
    D: Array.from(decoded.data),
    T: Array.from(truth.data),
    R: Array.from(training.data),
    groups,
  });

  it('profile correlation: every unit, constant ones left out and counted', () => {
    const score = profileCorrelation(decoded, truth);
    const ours = nanToNull(score.values);
    expect(ours.map((v) => v === null)).toEqual(reference.profile.map((v) => v === null));
    ours.forEach((v, u) => (v === null ? null : expect(v).toBeCloseTo(reference.profile[u]!, 12)));
    expect(score.excluded).toBe(3);
    expect(score.n).toBe(p - 3);
    const defined = reference.profile.filter((v): v is number => v !== null);
    expect(score.mean).toBeCloseTo(defined.reduce((a, b) => a + b, 0) / defined.length, 12);
  });

  it('pattern correlation: every sample', () => {
    const score = patternCorrelation(decoded, truth);
    Array.from(score.values).forEach((v, i) => expect(v).toBeCloseTo(reference.pattern[i]!, 12));
    expect(score.excluded).toBe(0);
  });

  it('pattern correlation z-scored by the training features\' moments (bdpy), constant units left out', () => {
    const moments = unitMoments(training);
    Array.from(moments.mean).forEach((v, u) => expect(v).toBeCloseTo(reference.m[u]!, 12));
    Array.from(moments.std).forEach((v, u) => expect(v).toBeCloseTo(reference.s[u]!, 12));
    expect(moments.std[30]).toBe(0);
    const score = patternCorrelation(decoded, truth, moments);
    Array.from(score.values).forEach((v, i) => expect(v).toBeCloseTo(reference.normed[i]!, 12));
  });

  it('correlation table and pairwise identification with repeated images', () => {
    Array.from(correlationMatrix(decoded, truth)).forEach((v, k) => expect(v).toBeCloseTo(reference.C[k]!, 12));
    const score = pairwiseIdentification(decoded, truth, { groups });
    Array.from(score.values).forEach((v, i) => expect(v).toBeCloseTo(reference.ident[i]!, 12));
    expect(score.mean).toBeGreaterThan(0.8); // signal 0.5 against unit noise over 60 units
  });
});

describe('known answers', () => {
  const random = new Random(11);

  it('identical matrices: profile, pattern and identification are 1', () => {
    const truth = sampleMatrix(randomMatrix(random, 10, 30), 10, 30);
    const copy = sampleMatrix(Float64Array.from(truth.data), 10, 30);
    for (const score of [profileCorrelation(copy, truth), patternCorrelation(copy, truth), pairwiseIdentification(copy, truth)]) {
      expect(score.mean).toBeCloseTo(1, 12);
      expect(score.excluded).toBe(0);
    }
  });

  it('a decoder that ignores the sample (the mean image) identifies at exactly 0.5', () => {
    const truth = sampleMatrix(randomMatrix(random, 15, 40), 15, 40);
    const mean = new Float64Array(40);
    for (let i = 0; i < 15; i++) for (let u = 0; u < 40; u++) mean[u]! += truth.data[i * 40 + u]! / 15;
    const same = sampleMatrix(Float64Array.from({ length: 15 * 40 }, (_, k) => mean[k % 40]!), 15, 40);
    // Each pair (i, j) is won by exactly one of the two: the mean over all ordered pairs is ½.
    expect(pairwiseIdentification(same, truth).mean).toBeCloseTo(0.5, 12);
    // Every unit is constant across samples: no profile correlation at all.
    const profile = profileCorrelation(same, truth);
    expect([profile.n, profile.excluded, profile.mean]).toEqual([0, 40, Number.NaN]);
  });

  it('shuffled samples: identification about 0.5', () => {
    const n = 200;
    const truth = sampleMatrix(randomMatrix(random, n, 50), n, 50);
    const order = random.shuffle(Array.from({ length: n }, (_, i) => i));
    const shuffled = new Float64Array(n * 50);
    order.forEach((from, i) => shuffled.set(truth.data.subarray(from * 50, from * 50 + 50), i * 50));
    const score = pairwiseIdentification(noisyCopy(random, sampleMatrix(shuffled, n, 50), 1), truth);
    expect(Math.abs(score.mean - 0.5)).toBeLessThan(0.05);
  });

  it('ties count half; a constant decoded row is left out', () => {
    // Rows 1 and 2 of the truth are the same picture under two names: decoded 0 cannot prefer either.
    const truth = sampleMatrix(Float64Array.from([1, 2, 3, 4, 1, 3, 2, 5, 1, 3, 2, 5]), 3, 4);
    const decoded = sampleMatrix(Float64Array.from([1, 2, 3, 4, 1, 3, 2, 5, 7, 7, 7, 7]), 3, 4);
    const score = pairwiseIdentification(decoded, truth);
    expect(score.values[0]).toBe(1);
    expect(score.values[1]).toBe(0.75); // beats row 0, ties with row 2
    expect(score.values[2]).toBeNaN();
    expect([score.n, score.excluded, score.mean]).toEqual([2, 1, 0.875]);
  });

  it('extra candidates join the comparison, never as the right answer', () => {
    const truth = sampleMatrix(Float64Array.from([0, 1, 2, 3, 3, 2, 1, 0]), 2, 4);
    const decoded = sampleMatrix(Float64Array.from([0, 1, 2, 3.5, 3, 2, 1, 0]), 2, 4);
    // The extra candidate is decoded row 0 itself: a perfect match that must beat true row 0.
    const extra = sampleMatrix(Float64Array.from([0, 1, 2, 3.5]), 1, 4);
    expect(Array.from(pairwiseIdentification(decoded, truth, { extraCandidates: extra }).values)).toEqual([0.5, 1]);
  });

  it('refuses matrices whose shapes differ', () => {
    expect(() => patternCorrelation(sampleMatrix(new Float64Array(6), 2, 3), sampleMatrix(new Float64Array(6), 3, 2))).toThrow(RangeError);
    expect(() => sampleMatrix(new Float32Array(5), 2, 3)).toThrow(RangeError);
  });
});

describe('pixel correlation', () => {
  it('equals numpy over every value of two RGB images', () => {
    const random = new Random(3);
    const a = image(Float32Array.from({ length: 8 * 5 * 3 }, () => random.next()), 8, 5, 3);
    const b = image(Float32Array.from(a.data, (v) => v + 0.3 * random.gaussian()), 8, 5, 3);
    const r = python<number>('import json, sys, numpy as np; d = json.load(sys.stdin); print(float(np.corrcoef(d["a"], d["b"])[0, 1]))', { a: Array.from(a.data), b: Array.from(b.data) });
    expect(pixelCorrelation(a, b)).toBeCloseTo(r, 6); // float32 inputs, float64 sums
    expect(pearson([1, 2, 3], [2, 4, 6])).toBe(1);
    expect(pixelCorrelation(a, image(new Float32Array(120).fill(0.5), 8, 5, 3))).toBeNaN();
  });
});

describe('spread', () => {
  it('sd over defined items; a seeded bootstrap interval around the mean', () => {
    const random = new Random(5);
    const values = Float64Array.from({ length: 400 }, () => 0.6 + 0.1 * random.gaussian());
    values[7] = Number.NaN;
    const score = scoreOf(values);
    expect([score.n, score.excluded]).toEqual([399, 1]);
    const ci = bootstrapInterval(values);
    expect(ci.low).toBeLessThan(score.mean);
    expect(ci.high).toBeGreaterThan(score.mean);
    // The bootstrap's width follows the standard error: 2 × 1.96 × sd/√n.
    expect((ci.high - ci.low) / ((2 * 1.96 * score.sd) / Math.sqrt(score.n))).toBeCloseTo(1, 1);
    expect(bootstrapInterval(values)).toEqual(ci);
    expect(bootstrapInterval([0.5, 0.5, 0.5])).toMatchObject({ low: 0.5, high: 0.5 });
  });
});
