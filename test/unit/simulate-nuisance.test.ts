/**
 * Noise and motion of a simulated run against independent measurements in numpy/scipy.
 *
 * Two twins from the same seed: one with head motion, one still (`motionScale: 0`); they share every
 * other draw (signal, drift, noise), so the moving run is its still twin moved and nothing else.
 *
 * tSNR: the still run's per-voxel tSNR (mean / sd after removing a line and three slow cosines, the
 * drift model) is compared with the real run's (mean / sd after removing a line: the rule the simulator
 * uses), voxel by voxel over brain voxels outside the visual region. Tolerance: the simulated sd is
 * estimated from 172 volumes of AR(0.3) noise, about 140 effective degrees of freedom, so each voxel's
 * ratio scatters by ≈ 1/√280 = 6 %: 90 % of voxels within −15 %/+20 % is over 2.5 standard errors.
 * The median may sit a few percent high: detrending removes more than its share of slow, correlated
 * noise (≈ +2 %), and the shared slow noise varies from run to run (≈ ±1.5 %): −5 %/+7 % for it.
 *
 * Motion: a rigid registration in scipy (trilinear, Powell, sum of squares over brain voxels) of moving
 * volumes to their still twins recovers the parameters written to `_motion.tsv`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulateSubject } from '../../src/synth/subject/simulate.js';
import { dataPath, referencePython } from '../helpers/paths.js';

const input = dataPath('rtcloud-faces', 'rtcloud_faces_run01.nii.gz');

const tsnrScript = `
import sys, json, numpy as np, nibabel as nib
from scipy import ndimage
real = np.asarray(nib.load(sys.argv[1]).dataobj, dtype=float)
region = np.asarray(nib.load(sys.argv[2]).dataobj) > 0
mean0 = real.mean(-1)
brain = ndimage.binary_erosion(mean0 > 0.25 * np.percentile(mean0[mean0 > 0], 98))
def tsnr(data, cosines):
    T = data.shape[-1]; t = np.arange(T)
    X = [np.ones(T), t - (T - 1) / 2] + [np.cos(np.pi * q * (t + 0.5) / T) for q in range(1, cosines + 1)]
    X = np.array(X).T; Y = data.reshape(-1, T).T
    R = Y - X @ np.linalg.lstsq(X, Y, rcond=None)[0]
    sd = np.sqrt((R ** 2).sum(0) / (T - X.shape[1]))
    return (Y.mean(0) / np.where(sd > 0, sd, np.nan)).reshape(data.shape[:3])
ref = tsnr(real, 0)
out = {}
for name, f in zip(['still', 'moving'], sys.argv[3:5]):
    ratio = tsnr(np.asarray(nib.load(f).dataobj, dtype=float), 3) / ref
    other = ratio[brain & ~region]
    out[name] = {'voxels': int(other.size), 'median': float(np.nanmedian(other)), 'p5': float(np.nanpercentile(other, 5)), 'p95': float(np.nanpercentile(other, 95)),
                 'region': float(np.nanmedian(ratio[region]))}
print(json.dumps(out))`;

const motionScript = `
import sys, json, numpy as np, nibabel as nib
from scipy import ndimage, optimize
moving, still = nib.load(sys.argv[1]), nib.load(sys.argv[2])
truth = np.loadtxt(sys.argv[3], skiprows=1)
A = moving.affine; dims = np.array(moving.shape[:3])
c = A[:3, :3] @ ((dims - 1) / 2) + A[:3, 3]   # rotations turn about the middle of the field of view
def rot(a, b, g):
    Rx = np.array([[1, 0, 0], [0, np.cos(a), -np.sin(a)], [0, np.sin(a), np.cos(a)]])
    Ry = np.array([[np.cos(b), 0, np.sin(b)], [0, 1, 0], [-np.sin(b), 0, np.cos(b)]])
    Rz = np.array([[np.cos(g), -np.sin(g), 0], [np.sin(g), np.cos(g), 0], [0, 0, 1]])
    return Rx @ Ry @ Rz
def head(p):
    H = np.eye(4); R = rot(*p[3:]); H[:3, :3] = R; H[:3, 3] = c + p[:3] - R @ c; return H
first = np.asarray(still.dataobj[..., 0], dtype=float)
brain = ndimage.binary_erosion(first > 0.25 * np.percentile(first[first > 0], 98))
brain[::2] = False  # every other plane of voxels is plenty for six parameters, and twice as fast
vox = np.vstack([np.array(np.nonzero(brain)), np.ones(brain.sum())])
out = [{'t': 0, 'estimate': [0] * 6, 'truth': truth[0, :6].tolist(), 'meanDisplacementError': 0.0,
        'identical': bool(np.array_equal(np.asarray(moving.dataobj[..., 0]), np.asarray(still.dataobj[..., 0])))}]
for t in [int(v) for v in sys.argv[4].split(',')]:
    target = np.asarray(moving.dataobj[..., t], dtype=float)[brain]
    twin = np.asarray(still.dataobj[..., t], dtype=float)
    def cost(q):
        p = q * np.array([1, 1, 1, 0.02, 0.02, 0.02])
        coords = (np.linalg.inv(A) @ np.linalg.inv(head(p)) @ A @ vox)[:3]
        return np.mean((ndimage.map_coordinates(twin, coords, order=1, mode='nearest') - target) ** 2)
    q = optimize.minimize(cost, np.zeros(6), method='Powell', options={'xtol': 1e-4, 'ftol': 1e-10}).x
    p = q * np.array([1, 1, 1, 0.02, 0.02, 0.02])
    world = A @ vox
    error = np.linalg.norm((head(p) @ world - head(truth[t, :6]) @ world)[:3], axis=0).mean()
    out.append({'t': t, 'estimate': p.tolist(), 'truth': truth[t, :6].tolist(), 'meanDisplacementError': float(error), 'identical': bool(np.array_equal(target, twin[brain]))})
print(json.dumps(out))`;

interface Ratio {
  voxels: number;
  median: number;
  p5: number;
  p95: number;
  region: number;
}

describe('simulate: noise and motion against independent measurements', () => {
  let folder: string;
  let moving: string, still: string, motionTsv: string, mask: string;

  beforeAll(async () => {
    folder = await mkdtemp(path.join(tmpdir(), 'boldstream-simulate-'));
    const common = { from: input, seed: 11, trainRuns: 1, testRuns: 0, volumesPerRun: 172 };
    const a = await simulateSubject({ ...common, out: path.join(folder, 'moving') });
    const b = await simulateSubject({ ...common, out: path.join(folder, 'still'), motionScale: 0 });
    moving = a.runs[0]!.path;
    still = b.runs[0]!.path;
    motionTsv = moving.replace('_bold.nii.gz', '_motion.tsv');
    mask = a.mask;
  });

  afterAll(async () => {
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  it('the still run has the real run’s tSNR voxel by voxel; motion lowers it, as in real data', () => {
    const r = JSON.parse(execFileSync(referencePython, ['-c', tsnrScript, input, mask, still, moving], { encoding: 'utf8' })) as { still: Ratio; moving: Ratio };
    expect(r.still.voxels).toBeGreaterThan(20_000);
    expect(r.still.median).toBeGreaterThan(0.95);
    expect(r.still.median).toBeLessThan(1.07);
    expect(r.still.p5).toBeGreaterThan(0.85);
    expect(r.still.p95).toBeLessThan(1.2);
    // The visual response adds variance in the region (a few percent of tSNR at the default signal).
    expect(r.still.region).toBeGreaterThan(0.8);
    expect(r.still.region).toBeLessThan(r.still.median);
    // Uncorrected motion costs tSNR where intensity changes fast in space (edges), not everywhere.
    expect(r.moving.median).toBeLessThan(r.still.median);
    expect(r.moving.median).toBeGreaterThan(0.7);
    expect(r.moving.p5).toBeLessThan(r.still.p5);
  });

  it('_motion.tsv is the motion that was applied (scipy registration to the still twin)', async () => {
    const rows = (await readFile(motionTsv, 'utf8')).trim().split('\n').slice(1).map((l) => l.split('\t').map(Number));
    expect(rows).toHaveLength(172);
    expect(rows[0]).toEqual([0, 0, 0, 0, 0, 0, 0]);
    // Framewise displacement (Power 2012, 50 mm) agrees with the parameters written beside it.
    rows.slice(1).forEach((row, n) => {
      const prev = rows[n]!;
      const fd = [0, 1, 2].reduce((s, a) => s + Math.abs(row[a]! - prev[a]!), 0) + 50 * [3, 4, 5].reduce((s, a) => s + Math.abs(row[a]! - prev[a]!), 0);
      expect(row[6]).toBeCloseTo(fd, 4);
    });
    const jump = rows.reduce((best, row, t) => (row[6]! > rows[best]![6]! ? t : best), 0);
    expect(rows[jump]![6]).toBeGreaterThan(0.3); // at least one sudden move, beside the slow drift
    // Volume 0 (compared whole), the drift just before the largest jump, the jump, and the last volume.
    const volumes = [Math.max(1, jump - 1), jump, 171];
    const results = JSON.parse(execFileSync(referencePython, ['-c', motionScript, moving, still, motionTsv, volumes.join(',')], { encoding: 'utf8' })) as {
      t: number;
      estimate: number[];
      truth: number[];
      meanDisplacementError: number;
      identical: boolean;
    }[];
    expect(results[0]!.identical).toBe(true); // the first volume is the reference pose: untouched
    for (const r of results) {
      r.estimate.forEach((value, k) => expect(Math.abs(value - r.truth[k]!), `volume ${r.t} parameter ${k}`).toBeLessThan(k < 3 ? 0.05 : 0.001));
      expect(r.meanDisplacementError).toBeLessThan(0.05);
    }
  });
});
