/**
 * `boldstream evaluate` on a fixture in the layout `replay --out` writes: stimuli at 64 px, frames
 * at 32 px, two trials per stimulus. Near copies of the stimuli must be identified (1.0), copies of
 * unrelated images must not (about 0.5), and every number of the report must equal numpy's, computed
 * from the 8-bit codes the fixture wrote (area-averaged 64 → 32 px) and the frames the fixture
 * knows are final — not from anything the command read.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli.js';
import { encodePng } from '../../src/synth/png.js';
import { Random } from '../../src/synth/random.js';
import { referencePython } from '../helpers/paths.js';

const BIG = 64;
const SMALL = 32;
const STIMULI = 12;
const TRIALS = 2 * STIMULI;
const TRAINING = 10;

/** 8-bit codes as the PNG holds them: what every reader (ours and numpy) starts from. */
type Codes = Uint8Array;
const codesOf = (v: Float32Array): Codes => Uint8Array.from(v, (x) => Math.round(Math.min(1, Math.max(0, x)) * 255));
const fromCodes = (c: Codes): Float32Array => Float32Array.from(c, (x) => x / 255);

/** Grey screen with three coloured Gaussian blobs and a bar: distinct, smooth pictures. */
function picture(random: Random, size: number): Float32Array {
  const data = new Float32Array(size * size * 3).fill(0.5);
  for (let b = 0; b < 3; b++) {
    const [cx, cy, s] = [random.uniform(0.2, 0.8) * size, random.uniform(0.2, 0.8) * size, random.uniform(0.06, 0.18) * size];
    const colour = [random.uniform(-0.45, 0.45), random.uniform(-0.45, 0.45), random.uniform(-0.45, 0.45)];
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) for (let c = 0; c < 3; c++) data[3 * (y * size + x) + c]! += colour[c]! * Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * s * s));
  }
  const [y0, h] = [Math.floor(random.uniform(0, 0.7) * size), Math.ceil(0.15 * size)];
  for (let y = y0; y < y0 + h; y++) for (let x = 0; x < size; x++) data[3 * (y * size + x)] = 0.1;
  return data;
}

/** Area average by an integer factor, as the product's resampler does for 64 → 32. */
function halve(v: Float32Array, size: number): Float32Array {
  const n = size / 2;
  const out = new Float32Array(n * n * 3);
  for (let y = 0; y < n; y++)
    for (let x = 0; x < n; x++)
      for (let c = 0; c < 3; c++) out[3 * (y * n + x) + c] = (v[3 * (2 * y * size + 2 * x) + c]! + v[3 * (2 * y * size + 2 * x + 1) + c]! + v[3 * ((2 * y + 1) * size + 2 * x) + c]! + v[3 * ((2 * y + 1) * size + 2 * x + 1) + c]!) / 4;
  return out;
}

/** A reconstruction-like copy: 3×3 box blur (optional), then noise. */
function degrade(random: Random, v: Float32Array, size: number, noise: number, blur: boolean): Float32Array {
  const out = new Float32Array(v.length);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++)
      for (let c = 0; c < 3; c++) {
        let s = 0;
        let n = 0;
        for (let dy = blur ? -1 : 0; dy <= (blur ? 1 : 0); dy++)
          for (let dx = blur ? -1 : 0; dx <= (blur ? 1 : 0); dx++) {
            const [yy, xx] = [y + dy, x + dx];
            if (yy >= 0 && yy < size && xx >= 0 && xx < size) [s, n] = [s + v[3 * (yy * size + xx) + c]!, n + 1];
          }
        out[3 * (y * size + x) + c] = s / n + noise * random.gaussian();
      }
  return out;
}

async function writePng(file: string, codes: Codes, size: number): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, encodePng({ size, data: fromCodes(codes) }));
}

interface Fixture {
  readonly root: string;
  readonly stimuli: Codes[]; // 64 px
  readonly training: Codes[]; // 64 px
  /** Per trial, the final frame's codes (32 px), for each frames folder. */
  readonly finals: Record<'good' | 'wrong', Codes[]>;
  readonly stimOf: (trial: number) => string;
}

async function buildFixture(root: string): Promise<Fixture> {
  const random = new Random(2024);
  const stimuli = Array.from({ length: STIMULI }, () => codesOf(picture(random, BIG)));
  const training = Array.from({ length: TRAINING }, () => codesOf(picture(random, BIG)));
  const unrelated = Array.from({ length: TRIALS }, () => halve(picture(random, BIG), BIG));
  const stimOf = (trial: number): string => `test/img-${String(trial % STIMULI).padStart(2, '0')}.png`;
  for (const [k, codes] of stimuli.entries()) await writePng(path.join(root, 'stimuli', stimOf(k)), codes, BIG);
  for (const [k, codes] of training.entries()) await writePng(path.join(root, 'stimuli', 'train', `t-${k}.png`), codes, BIG);
  const tsv = (files: string[]) => ['onset\tduration\ttrial_type\tstim_file', ...files.map((f, i) => `${6 * i}\t3\timage\t${f}`)].join('\n') + '\n';
  await writeFile(path.join(root, 'train_events.tsv'), tsv(training.map((_, k) => `train/t-${k}.png`)));
  await writeFile(path.join(root, 'test_events.tsv'), tsv(Array.from({ length: TRIALS }, (_, t) => stimOf(t))));

  const finals: Fixture['finals'] = { good: [], wrong: [] };
  // Good: iteration 0 is a faint sketch, 10 a noisy copy, 50 a blurred, slightly noisy copy.
  const good = path.join(root, 'good.jsonl.frames');
  const lines: string[] = [];
  for (let t = 0; t < TRIALS; t++) {
    const truth = halve(fromCodes(stimuli[t % STIMULI]!), BIG);
    const steps: [number, Float32Array][] = [
      [0, Float32Array.from(truth, (v) => 0.5 + 0.2 * (v - 0.5) + 0.1 * random.gaussian())],
      [10, degrade(random, truth, SMALL, 0.15, false)],
      [50, degrade(random, truth, SMALL, 0.03, true)],
    ];
    for (const [iteration, image] of steps) {
      const codes = codesOf(image);
      const file = `trial-${t}/iter-${iteration}.png`;
      await writePng(path.join(good, file), codes, SMALL);
      // Tolerance on purpose: trial 3 names no stim_file (the events do), trial 5's lines have no `file`.
      const entry = { trial: t, tr: 8 + iteration / 10, iteration, loss: 1 / (1 + iteration), featureCorrelation: 0.5, ...(t === 3 ? {} : { stim_file: stimOf(t) }), ...(t === 5 ? {} : { file }) };
      lines.push(JSON.stringify(entry));
    }
    finals.good.push(codesOf(steps[2]![1]));
  }
  // Trial 7's last frame was written but the index was cut: found on disk, and it is the final one.
  const late = codesOf(degrade(random, halve(fromCodes(stimuli[7]!), BIG), SMALL, 0.02, true));
  await writePng(path.join(good, 'trial-7', 'iter-80.png'), late, SMALL);
  finals.good[7] = late;
  // Trial 9's last frame was cut short by a crash: unreadable, so its iteration-50 frame stands.
  const torn = encodePng({ size: SMALL, data: fromCodes(codesOf(halve(fromCodes(stimuli[9]!), BIG))) });
  await writeFile(path.join(good, 'trial-9', 'iter-90.png'), torn.subarray(0, torn.length >> 1));
  lines.push(JSON.stringify({ trial: 9, tr: 20, iteration: 90, loss: 0, featureCorrelation: 1, stim_file: stimOf(9), file: 'trial-9/iter-90.png' }));
  await writeFile(path.join(good, 'frames.jsonl'), lines.join('\n') + '\n{"trial": 2, "iter');

  // Wrong: near copies of unrelated images, in FILE.frames (the other naming).
  const wrong = path.join(root, 'wrong.frames');
  const wrongLines: string[] = [];
  for (let t = 0; t < TRIALS; t++) {
    const codes = codesOf(degrade(random, unrelated[t]!, SMALL, 0.03, true));
    await writePng(path.join(wrong, `trial-${t}`, 'iter-40.png'), codes, SMALL);
    wrongLines.push(JSON.stringify({ trial: t, tr: 9, iteration: 40, loss: 0.1, featureCorrelation: 0.2, stim_file: stimOf(t), file: `trial-${t}/iter-40.png` }));
    finals.wrong.push(codes);
  }
  await writeFile(path.join(wrong, 'frames.jsonl'), wrongLines.join('\n') + '\n');
  return { root, stimuli, training, finals, stimOf };
}

// From the definitions: Pearson over all values, Wang et al.'s SSIM (scipy Gaussian σ 1.5), pairwise
// identification with ties half and same-stimulus candidates skipped; the baseline is the mean image.
const NUMPY_EVALUATION = `
import json, sys, numpy as np
from scipy.ndimage import gaussian_filter
d = json.load(sys.stdin)
big, small = d['big'], d['small']
halve = lambda c: (np.array(c, float).reshape(big, big, 3) / 255).reshape(small, 2, small, 2, 3).mean((1, 3))
truth = np.array([halve(d['stimuli'][k]) for k in d['stimulusOfTrial']])
base = np.mean([halve(c) for c in d['training']], 0)
def ssim(x, y):
    f = lambda v: gaussian_filter(v, sigma=1.5, truncate=3.5, mode='reflect')
    out = []
    for c in range(3):
        a, b = x[..., c], y[..., c]; ux, uy = f(a), f(b)
        vx, vy, vxy = f(a * a) - ux * ux, f(b * b) - uy * uy, f(a * b) - ux * uy
        S = (2 * ux * uy + 1e-4) * (2 * vxy + 9e-4) / ((ux ** 2 + uy ** 2 + 1e-4) * (vx + vy + 9e-4))
        out.append(S[5:-5, 5:-5].mean())
    return float(np.mean(out))
def scores(images):
    n = len(images); D = images.reshape(n, -1); T = truth.reshape(n, -1); g = d['stimulusOfTrial']
    C = np.corrcoef(D, T)[:n, n:]
    ident = [np.mean([1.0 if C[i, i] > C[i, j] else 0.5 if C[i, i] == C[i, j] else 0.0 for j in range(n) if g[j] != g[i]]) for i in range(n)]
    return {'pixelCorrelation': [float(np.corrcoef(D[i], T[i])[0, 1]) for i in range(n)], 'ssim': [ssim(images[i], truth[i]) for i in range(n)], 'pixelIdentification': [float(v) for v in ident]}
out = {name: scores(np.array([np.array(c, float).reshape(small, small, 3) / 255 for c in frames])) for name, frames in d['finals'].items()}
out['baseline'] = scores(np.array([base] * len(truth)))
print(json.dumps(out))
`;

interface Summary {
  mean: number;
  sd: number;
  n: number;
  excluded: number;
  ci95: [number, number] | null;
}
interface JsonReport {
  size: number;
  distinctStimuli: number;
  space: { label: string; units: number; normalisation: { source: string; images: number } } | null;
  baseline: { source: string; images: number } | null;
  metrics: Record<string, { reconstruction: Summary; baseline: Summary | null }>;
  trials: { trial: number; stim_file: string; iteration: number; file: string; scores: Record<string, number | null>; baselineScores: Record<string, number | null> | null }[];
  byIteration: { iteration: number; reached: number; metrics: Record<string, Summary | null> }[] | null;
  warnings: string[];
}

async function runEvaluate(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  try {
    const code = await main(['evaluate', ...args, '--log-level', 'silent']);
    return { code, stdout: out.join('\n'), stderr: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;

describe('boldstream evaluate on a fixture', () => {
  let fx: Fixture;
  let reference: Record<'good' | 'wrong' | 'baseline', Record<'pixelCorrelation' | 'ssim' | 'pixelIdentification', number[]>>;
  let good: JsonReport;
  let goodRun: { code: number; stdout: string; stderr: string };

  beforeAll(async () => {
    fx = await buildFixture(await mkdtemp(path.join(tmpdir(), 'boldstream-evaluate-')));
    reference = JSON.parse(
      execFileSync(referencePython, ['-c', NUMPY_EVALUATION], {
        input: JSON.stringify({
          big: BIG,
          small: SMALL,
          stimuli: fx.stimuli.map((c) => Array.from(c)),
          training: fx.training.map((c) => Array.from(c)),
          stimulusOfTrial: Array.from({ length: TRIALS }, (_, t) => t % STIMULI),
          finals: { good: fx.finals.good.map((c) => Array.from(c)), wrong: fx.finals.wrong.map((c) => Array.from(c)) },
        }),
        maxBuffer: 1 << 26,
      }).toString(),
    ) as typeof reference;
    const json = path.join(fx.root, 'good.json');
    goodRun = await runEvaluate([
      '--frames', path.join(fx.root, 'good.jsonl'),
      '--stimuli', path.join(fx.root, 'stimuli'),
      '--baseline-images', path.join(fx.root, 'stimuli', 'train'),
      '--events', path.join(fx.root, 'test_events.tsv'),
      '--space', 'mobilenet_v2', '--input-size', '64', '--by-iteration', '--json', json,
    ]);
    good = JSON.parse(await readFile(json, 'utf8')) as JsonReport;
  });

  afterAll(async () => {
    if (fx) await rm(fx.root, { recursive: true, force: true });
  });

  it('reads the tolerant layout: final frames, stimuli from the events, a torn line, a torn PNG and an unindexed PNG', () => {
    expect(goodRun.code).toBe(0);
    expect(good.size).toBe(SMALL);
    expect(good.distinctStimuli).toBe(STIMULI);
    expect(good.trials.map((t) => t.trial)).toEqual(Array.from({ length: TRIALS }, (_, t) => t));
    expect(good.trials.map((t) => t.stim_file)).toEqual(Array.from({ length: TRIALS }, (_, t) => fx.stimOf(t)));
    expect(good.trials.map((t) => t.iteration)).toEqual(Array.from({ length: TRIALS }, (_, t) => (t === 7 ? 80 : 50)));
    expect(good.trials[5]!.file).toBe(path.join('trial-5', 'iter-50.png'));
    expect(good.warnings.join('\n')).toMatch(/line 74 skipped: not JSON/);
    expect(good.warnings.join('\n')).toMatch(/trial-9.iter-90.png cannot be read .*previous frame is used/);
    expect(good.warnings.join('\n')).toMatch(/1 frame PNGs are not in frames.jsonl/);
    expect(goodRun.stderr).toMatch(/warning: frames.jsonl line 74/);
  });

  it('gives numpy\'s pixel correlation, SSIM and identification, per trial, for reconstructions and baseline', () => {
    for (const name of ['pixelCorrelation', 'ssim', 'pixelIdentification'] as const) {
      good.trials.forEach((t, i) => {
        expect(t.scores[name]).toBeCloseTo(reference.good[name][i]!, 6);
        expect(t.baselineScores![name]).toBeCloseTo(reference.baseline[name][i]!, 6);
      });
      expect(good.metrics[name]!.reconstruction.mean).toBeCloseTo(mean(reference.good[name]), 6);
      expect(good.metrics[name]!.baseline!.mean).toBeCloseTo(mean(reference.baseline[name]), 6);
    }
  });

  it('near copies are identified; the mean training image is the floor', () => {
    const m = good.metrics;
    expect(m.pixelIdentification!.reconstruction.mean).toBe(1);
    expect(m.featureIdentification!.reconstruction.mean).toBeGreaterThan(0.95);
    expect(m.pixelIdentification!.baseline!.mean).toBeCloseTo(0.5, 12); // one image for all: ½ by construction
    expect(m.featureIdentification!.baseline!.mean).toBeCloseTo(0.5, 12);
    expect(m.pixelCorrelation!.reconstruction.mean).toBeGreaterThan(0.9);
    expect(m.pixelCorrelation!.reconstruction.mean).toBeGreaterThan(m.pixelCorrelation!.baseline!.mean + 0.3);
    expect(m.ssim!.reconstruction.mean).toBeGreaterThan(m.ssim!.baseline!.mean);
    expect(m.featurePatternCorrelation!.reconstruction.mean).toBeGreaterThan(m.featurePatternCorrelation!.baseline!.mean);
    // The baseline is the same image in every trial: no unit varies, no profile correlation.
    expect(m.pixelProfileCorrelation!.baseline).toMatchObject({ n: 0, excluded: SMALL * SMALL * 3, mean: null });
    expect(m.pixelProfileCorrelation!.reconstruction.mean).toBeGreaterThan(0.8);
    const ci = m.pixelCorrelation!.reconstruction.ci95!;
    expect(ci[0]).toBeLessThanOrEqual(m.pixelCorrelation!.reconstruction.mean);
    expect(ci[1]).toBeGreaterThanOrEqual(m.pixelCorrelation!.reconstruction.mean);
    expect(good.baseline).toEqual({ source: path.join(fx.root, 'stimuli', 'train'), images: TRAINING });
    expect(good.space).toEqual({ label: 'mobilenet_v2 block_6_expand_relu at 64 px', units: 8 * 8 * 192, normalisation: { source: 'training images', images: TRAINING } });
  });

  it('reports the refinement by iteration', () => {
    const rows = good.byIteration!;
    expect(rows.map((r) => r.iteration)).toEqual([0, 10, 50, 80]);
    expect(rows.map((r) => r.reached)).toEqual([TRIALS, TRIALS, TRIALS, 1]);
    const r = rows.map((row) => row.metrics.pixelCorrelation!.mean);
    expect(r[0]).toBeLessThan(r[1]!);
    expect(r[1]).toBeLessThan(r[2]!);
    expect(rows[3]!.metrics.pixelCorrelation!.mean).toBeCloseTo(good.metrics.pixelCorrelation!.reconstruction.mean, 12);
  });

  it('prints a table with each metric beside its baseline', () => {
    const table = goodRun.stdout;
    expect(table).toMatch(/24 trials of 12 stimuli; final frames at iteration 50–80 \(median 50\)/);
    expect(table).toMatch(/baseline: mean of 10 training images/);
    expect(table).toMatch(/^ {2}pairwise identification +1\.000 \[1\.000, 1\.000\] +0\.500 /m);
    expect(table).toMatch(/features: mobilenet_v2 block_6_expand_relu at 64 px/);
    expect(table).toMatch(/^iteration +reached +pixel r +SSIM +ident px +pattern cnn +ident cnn$/m);
    expect(table).toMatch(/^baseline +0\.\d{3}/m);
  });

  it('copies of unrelated images are identified at chance, with the training events as baseline', async () => {
    const json = path.join(fx.root, 'wrong.json');
    const run = await runEvaluate([
      '--frames', path.join(fx.root, 'wrong.jsonl'),
      '--stimuli', path.join(fx.root, 'stimuli'),
      '--train-events', path.join(fx.root, 'train_events.tsv'),
      '--space', 'none', '--json', json,
    ]);
    expect(run.code).toBe(0);
    const wrong = JSON.parse(await readFile(json, 'utf8')) as JsonReport;
    const ident = wrong.metrics.pixelIdentification!.reconstruction.mean;
    expect(ident).toBeCloseTo(mean(reference.wrong.pixelIdentification), 6);
    expect(Math.abs(ident - 0.5)).toBeLessThan(0.15);
    expect(wrong.metrics.pixelCorrelation!.reconstruction.mean).toBeCloseTo(mean(reference.wrong.pixelCorrelation), 6);
    expect(wrong.baseline).toMatchObject({ images: TRAINING });
    expect(wrong.metrics.pixelCorrelation!.baseline!.mean).toBeCloseTo(mean(reference.baseline.pixelCorrelation), 6);
    expect(wrong.space).toBeNull();
    expect(wrong.metrics.featureIdentification).toBeUndefined();
  });

  it('fails with a code when nothing can be evaluated', async () => {
    const empty = path.join(fx.root, 'empty.frames');
    await mkdir(empty);
    await expect(runEvaluate(['--frames', empty, '--stimuli', fx.root, '--space', 'none'])).rejects.toMatchObject({ code: 'EVALUATE_NO_TRIALS' });
    await expect(runEvaluate(['--frames', path.join(fx.root, 'nowhere'), '--stimuli', fx.root])).rejects.toMatchObject({ code: 'INPUT_NOT_FOUND' });
    await expect(runEvaluate(['--frames', empty])).rejects.toMatchObject({ code: 'CLI_USAGE' });
  });
});
