/**
 * `boldstream simulate` writes a BIDS dataset on the real run's grid: read back with nibabel, every run
 * has the input's dims and affine, the asked TR in header and sidecar, int16 like the input; the events
 * name stimulus PNGs that exist; the visual mask is on the same grid; the product's own BIDS discovery
 * finds the runs with their events.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli.js';
import { findBoldRuns, readEvents } from '../../src/ingest/bids/index.js';
import { simulateSubject, type SimulatedSubject } from '../../src/synth/subject/simulate.js';
import { dataPath, referencePython } from '../helpers/paths.js';

const input = dataPath('rtcloud-faces', 'rtcloud_faces_run01.nii.gz');

const describeInPython = `
import sys, json, numpy as np, nibabel as nib
real = nib.load(sys.argv[1])
out = []
for f in sys.argv[2:]:
    im = nib.load(f)
    out.append({'file': f, 'shape': list(im.shape), 'dtype': str(im.get_data_dtype()), 'tr': float(im.header.get_zooms()[3]) if len(im.shape) == 4 else None,
                'affineError': float(np.abs(im.affine - real.affine).max()), 'values': sorted(set(np.unique(np.asarray(im.dataobj)).tolist()))[:3] if len(im.shape) == 3 else None,
                'count': int((np.asarray(im.dataobj) > 0).sum()) if len(im.shape) == 3 else None})
print(json.dumps({'shape': list(real.shape), 'runs': out}))`;

interface Described {
  shape: number[];
  runs: { file: string; shape: number[]; dtype: string; tr: number | null; affineError: number; values: number[] | null; count: number | null }[];
}

describe('simulate: the BIDS dataset', () => {
  let root: string;
  let subject: SimulatedSubject;
  let described: Described;

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'boldstream-simulate-'));
    // TR 2 s instead of the input's 1.5 s: the written TR must be the asked one.
    subject = await simulateSubject({ from: input, out: root, seed: 3, trainRuns: 2, testRuns: 1, volumesPerRun: 92, repetitionTime: 2, roiVoxels: 600 });
    const files = [...subject.runs.map((r) => r.path), subject.mask];
    described = JSON.parse(execFileSync(referencePython, ['-c', describeInPython, input, ...files], { encoding: 'utf8' })) as Described;
  });

  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('runs have the input grid, affine and datatype, and the asked TR in header and sidecar', async () => {
    expect(subject.runs.map((r) => path.basename(r.path))).toEqual([
      'sub-sim_task-train_run-01_bold.nii.gz',
      'sub-sim_task-train_run-02_bold.nii.gz',
      'sub-sim_task-test_run-01_bold.nii.gz',
    ]);
    for (const run of described.runs.slice(0, 3)) {
      expect(run.shape).toEqual([...described.shape.slice(0, 3), 92]);
      expect(run.affineError).toBeLessThan(1e-4);
      expect(run.dtype).toBe('int16');
      expect(run.tr).toBeCloseTo(2, 6);
      const sidecar = JSON.parse(await readFile(run.file.replace('.nii.gz', '.json'), 'utf8')) as { RepetitionTime: number; TaskName: string };
      expect(sidecar.RepetitionTime).toBe(2);
      expect(['train', 'test']).toContain(sidecar.TaskName);
    }
  });

  it('the visual mask is a binary image of the asked size on the same grid', () => {
    const mask = described.runs[3]!;
    expect(mask.shape).toEqual(described.shape.slice(0, 3));
    expect(mask.affineError).toBeLessThan(1e-4);
    expect(mask.values).toEqual([0, 1]);
    expect(mask.count).toBe(600);
  });

  it('events are timed in whole TRs, name existing stimulus PNGs, and test images repeat across runs', async () => {
    const seen = new Map<string, number>();
    for (const run of subject.runs) {
      const events = await readEvents(run.path.replace('_bold.nii.gz', '_events.tsv'));
      expect(events).toHaveLength(20); // (92 − 12 rest TRs) / 4 TRs per trial
      for (const e of events) {
        expect(e.onset % 2).toBe(0);
        expect(e.duration).toBe(4);
        expect(e.stim_file).toMatch(run.task === 'train' ? /^train\/(patch|texture)-\d{4}\.png$/ : /^test\/(shape-[a-z]+-\d|letter-[A-Z])\.png$/);
        expect(e.trial_type).toBe(/(patch|texture|shape|letter)/.exec(e.stim_file!)![1]);
        expect((await stat(path.join(root, 'stimuli', e.stim_file!))).isFile()).toBe(true);
        if (run.task === 'test') seen.set(e.stim_file!, (seen.get(e.stim_file!) ?? 0) + 1);
      }
    }
    // 20 test images in 20 slots: each once in the run (two test runs would show each twice).
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    expect(seen.size).toBe(20);
  });

  it('the product finds the runs, their TR and events; ground truth and description are written', async () => {
    const runs = await findBoldRuns(root);
    expect(runs.map((r) => [r.task, r.run, r.repetitionTime, r.frames, r.events !== null])).toEqual([
      ['test', 1, 2, 92, true],
      ['train', 1, 2, 92, true],
      ['train', 2, 2, 92, true],
    ]);
    const description = JSON.parse(await readFile(path.join(root, 'dataset_description.json'), 'utf8')) as { BIDSVersion: string; DatasetType: string };
    expect(description.DatasetType).toBe('raw');
    const truth = (await readFile(path.join(root, 'derivatives', 'simulation', 'sub-sim_desc-encoding_voxels.tsv'), 'utf8')).trim().split('\n');
    expect(truth[0]!.split('\t').slice(0, 10)).toEqual(['voxel', 'i', 'j', 'k', 'x', 'y', 'z', 'prf_u', 'prf_v', 'prf_sigma']);
    expect(truth).toHaveLength(601);
    const motion = (await readFile(subject.runs[0]!.path.replace('_bold.nii.gz', '_motion.tsv'), 'utf8')).trim().split('\n');
    expect(motion[0]).toBe('trans_x\ttrans_y\ttrans_z\trot_x\trot_y\trot_z\tframewise_displacement');
    expect(motion).toHaveLength(93);
  });

  it('refuses a folder that is not empty, unless forced', async () => {
    await expect(simulateSubject({ from: input, out: root, trainRuns: 1, testRuns: 0 })).rejects.toThrow(/OUTPUT_NOT_WRITABLE|not empty/);
  });
});

describe('simulate: the command line', () => {
  it('shows its options, and wants --from and --out', async () => {
    const print = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    expect(await main(['simulate', '--help'])).toBe(0);
    expect(print.mock.calls.flat().join('\n')).toMatch(/--volumes-per-run 172\] \[--signal 1\] \[--noise-scale 1\]/);
    print.mockRestore();
    await expect(main(['simulate', '--out', '/nonexistent'])).rejects.toThrow(/usage: boldstream simulate --from/);
  });

  it('SIMULATE_INPUT_INVALID for a run too short to measure noise on', async () => {
    const out = await mkdtemp(path.join(tmpdir(), 'boldstream-simulate-'));
    try {
      vi.spyOn(console, 'error').mockImplementation(() => undefined);
      // Two volumes: the nibabel example EPI.
      const promise = main(['simulate', '--from', dataPath('nibabel', 'example4d.nii.gz'), '--out', out, '--force']);
      await expect(promise).rejects.toMatchObject({ code: 'SIMULATE_INPUT_INVALID' });
      vi.restoreAllMocks();
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});
