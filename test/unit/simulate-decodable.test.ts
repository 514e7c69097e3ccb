/**
 * The simulated subject is decodable, but not trivially: a plain ridge regression in numpy (no code of
 * the product's decoders) from the visual voxels to 32×32 RGB pixels, trained on the training runs
 * (patches and textures) with the default 5 s HRF-shifted windows and no motion correction, identifies
 * the test shapes and letters pairwise well above chance, while its reconstructions stay far from the
 * images (pixel correlation well below 1) and single trials are worse than averaged repetitions.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulateSubject } from '../../src/synth/subject/simulate.js';
import { dataPath, referencePython } from '../helpers/paths.js';

const script = `
import sys, csv, glob, json, numpy as np, nibabel as nib
from PIL import Image
root = sys.argv[1]
mask = np.asarray(nib.load(f'{root}/sub-sim/func/sub-sim_space-bold_desc-visual_mask.nii.gz').dataobj).reshape(-1, order='F') > 0
pixels = lambda f: (np.asarray(Image.open(f'{root}/stimuli/{f}').convert('RGB').resize((32, 32), Image.BOX), dtype=float) / 255).ravel()
def trials(task):
    X, files = [], []
    for f in sorted(glob.glob(f'{root}/sub-sim/func/sub-sim_task-{task}_run-*_bold.nii.gz')):
        b = nib.load(f); T = b.shape[3]; tr = float(b.header.get_zooms()[3]); t = np.arange(T)
        Y = np.asarray(b.dataobj, dtype=float).reshape(-1, T, order='F')[mask].T
        D = np.c_[np.ones(T), t, np.array([np.cos(np.pi * q * (t + 0.5) / T) for q in (1, 2, 3)]).T]
        Y -= D @ np.linalg.lstsq(D, Y, rcond=None)[0]; Y /= Y.std(0)
        for e in csv.DictReader(open(f.replace('_bold.nii.gz', '_events.tsv')), delimiter='\\t'):
            on, du = float(e['onset']), float(e['duration'])
            X.append(Y[(t * tr >= on + 5 - 1e-6) & (t * tr < on + du + 5 - 1e-6)].mean(0)); files.append(e['stim_file'])
    return np.array(X), files
Xtr, ftr = trials('train'); Xte, fte = trials('test')
mu, sd = Xtr.mean(0), Xtr.std(0); A = (Xtr - mu) / sd
Ytr = np.array([pixels(f) for f in ftr]); ym = Ytr.mean(0)
W = np.linalg.solve(A.T @ A + 100 * np.eye(A.shape[1]), A.T @ (Ytr - ym))
decode = lambda X: ((X - mu) / sd) @ W + ym
def identification(P, files):
    truth = np.array([pixels(f) for f in files]); C = np.corrcoef(P, truth)[:len(P), len(P):]
    wins = [C[i, i] > C[i, j] for i in range(len(P)) for j in range(len(P)) if files[i] != files[j]]
    return float(np.mean(wins)), float(np.mean(np.diag(C)))
images = sorted(set(fte))
averaged = np.array([Xte[[n for n, f in enumerate(fte) if f == u]].mean(0) for u in images])
print(json.dumps({'train': len(ftr), 'test': len(fte), 'averaged': identification(decode(averaged), images), 'single': identification(decode(Xte), fte)}))`;

describe('simulate: decodable, not trivially', () => {
  let root: string;

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'boldstream-simulate-'));
    await simulateSubject({ from: dataPath('rtcloud-faces', 'rtcloud_faces_run01.nii.gz'), out: root, seed: 4, trainRuns: 3, testRuns: 1 });
  });

  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('a pixel ridge trained on patches and textures identifies shapes and letters, imperfectly', () => {
    const r = JSON.parse(execFileSync(referencePython, ['-c', script, root], { encoding: 'utf8' })) as {
      train: number;
      test: number;
      averaged: [number, number];
      single: [number, number];
    };
    expect([r.train, r.test]).toEqual([120, 40]);
    const [identified, correlation] = r.averaged;
    const [identifiedOnce, correlationOnce] = r.single;
    expect(identified).toBeGreaterThan(0.8); // chance 0.5; measured 0.93
    expect(identifiedOnce).toBeGreaterThan(0.7);
    expect(identifiedOnce).toBeLessThan(identified + 0.02);
    expect(correlation).toBeGreaterThan(0.1);
    expect(correlation).toBeLessThan(0.6); // blurred blobs, not the images
    expect(correlationOnce).toBeLessThan(correlation);
  });
});
