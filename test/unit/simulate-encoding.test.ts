/**
 * The encoding model works: in a simulated run (still head, default signal and noise), each visual
 * voxel's time course follows its own pRF-weighted stimulus drive convolved with the HRF, computed
 * here independently in numpy from the written PNGs, the events table and the pRF table of
 * `derivatives/simulation/` (pixel-linear drive only, scipy's gamma densities for the HRF), and does
 * not follow the same drive shuffled across trials.
 *
 * Voxels checked: pRF centre inside the image (eccentricity < 0.9) and a pixel-linear share ≥ ½, the
 * part of the response this drive describes; the rest (contrast energy) and the noise keep single
 * voxels well below r = 1: about 0.45 at the defaults, 0.9 without noise.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulateSubject } from '../../src/synth/subject/simulate.js';
import { dataPath, referencePython } from '../helpers/paths.js';

const script = `
import sys, csv, json, numpy as np, nibabel as nib
from PIL import Image
from scipy.stats import gamma
root, run = sys.argv[1], sys.argv[2]
bold = nib.load(f'{root}/sub-sim/func/sub-sim_task-{run}_bold.nii.gz')
tr = float(bold.header.get_zooms()[3]); T = bold.shape[3]
Y = np.asarray(bold.dataobj, dtype=float).reshape(-1, T, order='F')   # rows by NIfTI voxel index (i fastest)
voxels = list(csv.DictReader(open(f'{root}/derivatives/simulation/sub-sim_desc-encoding_voxels.tsv'), delimiter='\\t'))
events = list(csv.DictReader(open(f'{root}/sub-sim/func/sub-sim_task-{run}_events.tsv'), delimiter='\\t'))
def contrast(file):
    rgb = np.asarray(Image.open(f'{root}/stimuli/{file}').convert('RGB').resize((64, 64), Image.BOX), dtype=float) / 255
    return rgb @ np.array([0.299, 0.587, 0.114]) - 0.5
L = np.array([contrast(e['stim_file']) for e in events])
centres = (np.arange(64) + 0.5) / 64 * 2 - 1   # pixel centres; the image spans -1..1
def drive(v):
    u, w, s = float(v['prf_u']), float(v['prf_v']), float(v['prf_sigma'])
    g = np.exp(-((centres[None, :] - u) ** 2 + (centres[:, None] - w) ** 2) / (2 * s * s))
    return (L * g).sum((1, 2))
dt = 0.1; kernel = gamma.pdf(np.arange(0, 32, dt), 6) - gamma.pdf(np.arange(0, 32, dt), 16) / 6
fine = np.arange(0, T * tr + 32, dt); times = np.arange(T) * tr
R = np.zeros((len(events), T))
for n, e in enumerate(events):
    on, du = float(e['onset']), float(e['duration'])
    box = ((fine >= on - 1e-9) & (fine < on + du - 1e-9)).astype(float)
    R[n] = np.interp(times, fine, np.convolve(box, kernel)[:len(fine)])
t = np.arange(T)
X = np.c_[np.ones(T), t - (T - 1) / 2, np.array([np.cos(np.pi * q * (t + 0.5) / T) for q in (1, 2, 3)]).T]
detrend = lambda y: y - X @ np.linalg.lstsq(X, y, rcond=None)[0]
rng = np.random.default_rng(0)
true_r, shuffled_r = [], []
for v in voxels:
    if np.hypot(float(v['prf_u']), float(v['prf_v'])) > 0.9 or float(v['pixel_share']) < 0.5: continue
    d = drive(v); y = detrend(Y[int(v['voxel'])])
    true_r.append(np.corrcoef(detrend(d @ R), y)[0, 1])
    shuffled_r.append(np.corrcoef(detrend(rng.permutation(d) @ R), y)[0, 1])
true_r, shuffled_r = np.array(true_r), np.array(shuffled_r)
print(json.dumps({'voxels': len(true_r), 'median': float(np.median(true_r)), 'shuffledMedian': float(np.median(shuffled_r)),
                  'shuffledAbove': float(np.mean(np.abs(shuffled_r) > 0.3)), 'beatsShuffled': float(np.mean(true_r > shuffled_r))}))`;

describe('simulate: the encoding model', () => {
  let root: string;

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'boldstream-simulate-'));
    await simulateSubject({ from: dataPath('rtcloud-faces', 'rtcloud_faces_run01.nii.gz'), out: root, seed: 21, trainRuns: 1, testRuns: 0, motionScale: 0 });
  });

  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('a visual voxel follows its pRF-weighted drive convolved with the HRF, and not the shuffled drive', () => {
    const r = JSON.parse(execFileSync(referencePython, ['-c', script, root, 'train_run-01'], { encoding: 'utf8' })) as {
      voxels: number;
      median: number;
      shuffledMedian: number;
      shuffledAbove: number;
      beatsShuffled: number;
    };
    expect(r.voxels).toBeGreaterThan(200);
    expect(r.median).toBeGreaterThan(0.3);
    expect(Math.abs(r.shuffledMedian)).toBeLessThan(0.05);
    expect(r.shuffledAbove).toBeLessThan(0.05);
    expect(r.beatsShuffled).toBeGreaterThan(0.9);
  });
});
