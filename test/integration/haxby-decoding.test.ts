/**
 * The decoder does its job on real data: trained by `boldstream train` on Haxby et al. (2001) runs
 * 01–09, run 10 replayed with `--model` and `--events` is decoded far above chance (1/8) per TR and
 * per trial. The bundle on disk is the documented folder (docs/model-bundle.md), and a few lines of
 * numpy that know only that document give the record's decision values from it.
 */
import { execFileSync } from 'node:child_process';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config.js';
import { readNiftiFile } from '../../src/ingest/nifti/index.js';
import type { TrRecord } from '../../src/generated/boldstream.js';
import { isErrorRecord, type SessionRecord } from '../../src/session/types.js';
import { runFeatures } from '../../src/train/run-features.js';
import { scoreDecoding, describeScore, type DecodingScore } from '../../src/train/score.js';
import { checkRecords, readRecords, runCli, tempDir } from '../helpers/live-server.js';
import { dataPath, referencePython } from '../helpers/paths.js';

const func = dataPath('haxby2001-slice', 'sub-1', 'func');
const run10 = path.join(func, 'sub-1_task-objectviewing_run-10_bold.nii.gz');
const events10 = path.join(func, 'sub-1_task-objectviewing_run-10_events.tsv');
const mask = dataPath('haxby2001-slice', 'sub-1_space-bold_mask.nii.gz');

/** Reads bundle.json + weights.f32 as docs/model-bundle.md says, and scores feature rows given in mask order. */
const bundleReader = `
import json, sys, numpy as np, nibabel as nib
folder, rows_file = sys.argv[1], sys.argv[2]
meta = json.load(open(folder + "/bundle.json"))
w = meta["weights"]
raw = np.fromfile(folder + "/" + w["file"], dtype="<f4")
assert raw.nbytes == w["byteLength"], "weights file size differs from byteLength"
def array(name):
    ref = w[name]
    n = int(np.prod(ref["shape"]))
    return raw[ref["offset"] // 4 : ref["offset"] // 4 + n].reshape(ref["shape"])
W, b, mean, std = array("W"), array("bias"), array("featureMean"), array("featureStd")
# The mask file beside the bundle, read by nibabel: its voxels, flat index i + j*nx + k*nx*ny, ascending.
m = np.asarray(nib.load(folder + "/" + meta["mask"]).dataobj)
mask_order = np.flatnonzero(m.ravel(order="F") > 0)
vi = np.asarray(meta["voxelIndices"])
assert sorted(vi.tolist()) == mask_order.tolist(), "voxelIndices are not the mask's voxels"
column = {int(v): c for c, v in enumerate(mask_order)}
rows = json.load(open(rows_file))
out = []
for row in rows:
    x = np.asarray(row, dtype=np.float64)[[column[int(v)] for v in vi]]  # features in voxelIndices order
    s = W.astype(np.float64) @ ((x - mean) / std) + b
    out.append(dict(zip(meta["labels"], s.tolist())))
print(json.dumps({"labels": meta["labels"], "k": W.shape[0], "p": W.shape[1], "scores": out}))
`;

describe('Haxby object-viewing decoding: train on runs 01–09, replay run 10', () => {
  let scratch: string;
  let modelDir: string;
  let records: SessionRecord[];
  let score: DecodingScore;
  let trainLog: string;
  let replayLog: string;
  const config = defaultConfig();

  beforeAll(async () => {
    scratch = await tempDir('haxby');
    modelDir = path.join(scratch, 'haxby-vt');
    const trained = await runCli(['train', func, '--runs', '1-9', '--mask', mask, '--out', modelDir, '--hrf-delay', 'auto']);
    expect(trained.code).toBe(0);
    trainLog = trained.stderr;
    const out = path.join(scratch, 'run10.jsonl');
    const replayed = await runCli(['replay', run10, '--model', modelDir, '--events', events10, '--out', out]);
    expect(replayed.code).toBe(0);
    replayLog = replayed.stderr;
    records = await readRecords(out);
    checkRecords(out, 121);
    const [header, ...rows] = (await readFile(events10, 'utf8')).trim().split('\n');
    expect(header).toBe('onset\tduration\ttrial_type');
    const events = rows.map((row) => {
      const [onset, duration, trialType] = row.split('\t');
      return { onset: Number(onset), duration: Number(duration), trial_type: trialType! };
    });
    const bundle = JSON.parse(await readFile(path.join(modelDir, 'bundle.json'), 'utf8')) as { hrfDelaySec: number; labels: string[] };
    score = scoreDecoding(records, events, { repetitionTime: 2.5, hrfDelaySec: bundle.hrfDelaySec, classes: bundle.labels.length });
  });

  afterAll(async () => {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('trains on nine runs with eight categories, choosing the HRF shift by cross-validation', () => {
    expect(trainLog).toMatch(/training on 9 runs/);
    expect(trainLog).toMatch(/labels: bottle, cat, chair, face, house, scissors, scrambledpix, shoe/);
    // Every candidate shift from 0 to 7.5 s was cross-validated, and one was chosen.
    for (const d of ['0.0', '2.5', '5.0', '7.5']) expect(trainLog).toMatch(new RegExp(`HRF shift ${d.replace('.', '\\.')} s: cross-validated accuracy`));
    expect(trainLog).toMatch(/HRF shift: [\d.]+ s \(chosen by cross-validation\)/);
  });

  it('decodes run 10 far above chance (1/8) per TR and per trial', () => {
    console.log(`Haxby run 10: ${describeScore(score)}`);
    expect(records).toHaveLength(121);
    expect(records.filter(isErrorRecord)).toEqual([]);
    expect(score.chance).toBeCloseTo(1 / 8, 10);
    // Eight blocks of 22.5 s at TR 2.5 s: 72 labelled TRs, eight trials.
    expect(score.trTotal).toBe(72);
    expect(score.trialTotal).toBe(8);
    // Measured 52.8% per TR and 6/8 trials (docs/decoding.md); chance is 12.5%.
    expect(score.trCorrect / score.trTotal).toBeGreaterThanOrEqual(0.4);
    expect(score.trialCorrect).toBeGreaterThanOrEqual(5);
    // The replay's own summary line says the same.
    expect(replayLog).toContain(`decoding: ${describeScore(score)}`);
  });

  it('writes the documented bundle files', async () => {
    expect((await readdir(modelDir)).sort()).toEqual(['bundle.json', 'mask.nii.gz', 'weights.f32']);
    const meta = JSON.parse(await readFile(path.join(modelDir, 'bundle.json'), 'utf8')) as {
      format: string;
      formatVersion: number;
      labels: string[];
      featureCount: number;
      mask: string;
      weights: { byteLength: number; file: string };
    };
    expect(meta.format).toBe('boldstream-model-bundle');
    expect(meta.formatVersion).toBe(1);
    expect(meta.mask).toBe('mask.nii.gz');
    expect(meta.weights.file).toBe('weights.f32');
    // The 530-voxel ventral temporal mask of the data set.
    expect(meta.featureCount).toBe(530);
    const k = meta.labels.length;
    const p = meta.featureCount;
    expect(meta.weights.byteLength).toBe(4 * (k * p + k + 2 * p));
    expect((await readFile(path.join(modelDir, 'weights.f32'))).byteLength).toBe(meta.weights.byteLength);
  });

  it('is read by an independent numpy reader that gives the records\u2019 decision values', async () => {
    // The features of run 10, made by the live preprocessing (the same operators as the session), in mask order.
    const maskImage = await readNiftiFile(path.join(modelDir, 'mask.nii.gz'));
    const features = await runFeatures(run10, { name: 'decoder', grid: maskImage.grid, data: maskImage.frame(0) }, config.pipeline, 'psc');
    const trs = [20, 60, 100];
    const rowsFile = path.join(scratch, 'rows.json');
    await writeFile(rowsFile, JSON.stringify(trs.map((tr) => Array.from(features.rows[features.trs.indexOf(tr)]!))));
    const answer = JSON.parse(execFileSync(referencePython, ['-c', bundleReader, modelDir, rowsFile], { encoding: 'utf8' })) as {
      labels: string[];
      k: number;
      p: number;
      scores: Record<string, number>[];
    };
    expect([answer.k, answer.p]).toEqual([8, 530]);
    trs.forEach((tr, i) => {
      const record = records.find((r) => r.tr === tr) as TrRecord;
      const expected = answer.scores[i]!;
      expect(Object.keys(record.decoded!.scores).sort()).toEqual([...answer.labels].sort());
      for (const label of answer.labels) expect(Math.abs(record.decoded!.scores[label]! - expected[label]!)).toBeLessThan(1e-4);
      const best = answer.labels.reduce((a, b) => (expected[b]! > expected[a]! ? b : a));
      expect(record.decoded!.label).toBe(best);
    });
  });
});
