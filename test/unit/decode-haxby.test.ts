/**
 * The whole decoding path on real scans: Haxby 2001 object viewing, 8 categories, the 530-voxel
 * ventral temporal mask. Features come from nibabel and numpy (masked voxels, linear detrend and
 * z-score per run), independently of boldstream's own preprocessing; labels and everything after
 * come from the code under test. Train on runs 01-09, decode run 10 TR by TR and trial by trial.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assertBundleGrid, bundleFiles, bundleFromFiles } from '../../src/decode/bundle.js';
import { LinearDecoder } from '../../src/decode/decoder.js';
import { parseEvents } from '../../src/ingest/bids/events.js';
import { volumeLabels } from '../../src/decode/labels.js';
import { featureMatrix } from '../../src/decode/matrix.js';
import { bundleFromTraining, trainClassifier } from '../../src/decode/train.js';
import { type TrialState, TrialAccumulator } from '../../src/decode/trial.js';
import { fromRows } from '../../src/geometry/mat4.js';
import { dataPath, referencePython } from '../helpers/paths.js';

const FEATURES = `
import sys, json, nibabel as nib, numpy as np
root = sys.argv[1]
mask = nib.load(root + '/sub-1_space-bold_mask.nii.gz')
idx = np.nonzero(np.asarray(mask.dataobj).ravel(order='F') > 0)[0]
runs = []
for r in range(1, 11):
    img = nib.load(f'{root}/sub-1/func/sub-1_task-objectviewing_run-{r:02d}_bold.nii.gz')
    d = np.asarray(img.dataobj, dtype=np.float64).reshape(-1, img.shape[-1], order='F')[idx].T
    t = np.arange(d.shape[0]); A = np.c_[np.ones_like(t), t]
    d = d - A @ np.linalg.lstsq(A, d, rcond=None)[0]
    runs.append(d / d.std(0))
head = json.dumps({'indices': idx.tolist(), 'affine': mask.affine.tolist(), 'dims': list(mask.shape[:3])}).encode()
sys.stdout.buffer.write(len(head).to_bytes(4, 'little') + head + np.vstack(runs).astype('<f4').tobytes())
`;

describe('decoding Haxby 2001 object categories', () => {
  it('trains on runs 01-09 well above chance and decodes run 10 by TR and by trial', () => {
    const root = dataPath('haxby2001-slice');
    const out = execFileSync(referencePython, ['-c', FEATURES, root], { maxBuffer: 1 << 28 });
    const headLength = out.readUInt32LE(0);
    const head = JSON.parse(out.subarray(4, 4 + headLength).toString()) as { indices: number[]; affine: number[][]; dims: [number, number, number] };
    const raw = out.subarray(4 + headLength);
    const x = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    const p = head.indices.length;
    expect(p).toBe(530);
    expect(x.length).toBe(10 * 121 * p);

    const runNames = Array.from({ length: 10 }, (_, r) => String(r + 1).padStart(2, '0'));
    const events = runNames.map((run) => parseEvents(readFileSync(`${root}/sub-1/func/sub-1_task-objectviewing_run-${run}_events.tsv`, 'utf8')));
    const labels = events.flatMap((e) => volumeLabels(e, { repetitionTime: 2.5, volumes: 121, hrfDelaySec: 5 }));
    const runs = runNames.flatMap((run) => new Array<string>(121).fill(run));
    const trainRows = 9 * 121;

    const trained = trainClassifier({ features: featureMatrix(x.subarray(0, trainRows * p), trainRows, p), labels: labels.slice(0, trainRows), runs: runs.slice(0, trainRows) });
    const cv = trained.crossValidation!;
    expect(trained.labels).toEqual(['bottle', 'cat', 'chair', 'face', 'house', 'scissors', 'scrambledpix', 'shoe']);
    expect(Object.values(trained.samplesPerLabel).every((n) => n >= 72)).toBe(true);
    expect(cv.folds).toHaveLength(9);
    expect(cv.chance).toBeCloseTo(0.125, 2);
    // One slice of cortex: far from perfect, but three to four times chance in every reading.
    expect(cv.meanAccuracy).toBeGreaterThan(0.35);

    const grid = { dims: head.dims, affine: fromRows(head.affine) };
    const bundle = bundleFromFiles(bundleFiles(bundleFromTraining(trained, { voxelIndices: head.indices, grid, hrfDelaySec: 5, features: 'psc', baselineLagVolumes: 10 })));
    assertBundleGrid(bundle, grid);
    const decoder = new LinearDecoder(bundle);
    const trials = new TrialAccumulator({ labels: bundle.labels, scoreKind: bundle.scoreKind, hrfDelaySec: bundle.hrfDelaySec, events: events[9] });
    let correct = 0;
    let labelled = 0;
    const last = new Map<number, TrialState>();
    for (let i = 0; i < 121; i++) {
      const row = trainRows + i;
      const decoded = decoder.scores(x.subarray(row * p, row * p + p));
      if (labels[row]) {
        labelled++;
        if (decoded.label === labels[row]) correct++;
      }
      const state = trials.update(i * 2.5, decoded.scores);
      if (state) last.set(state.index, state);
    }
    expect(correct / labelled).toBeGreaterThan(0.35);
    expect(last.size).toBe(8);
    expect([...last.values()].every((s) => s.n === 9)).toBe(true);
    expect([...last.values()].filter((s) => s.label === s.truth).length).toBeGreaterThanOrEqual(4);
  });
});
