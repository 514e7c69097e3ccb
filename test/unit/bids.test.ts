/**
 * BIDS run discovery, sidecar inheritance, the TR rule (K20) and events tables: on the real Haxby
 * runs (checked against Python's csv module) and on a small dataset built here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BoldstreamError } from '../../src/errors.js';
import { fromRows } from '../../src/geometry/mat4.js';
import { eventsFor, findBoldRuns, parseBidsName, parseEvents, readEvents } from '../../src/ingest/bids/index.js';
import { writeNifti } from '../../src/ingest/nifti/index.js';
import { dataPath, referencePython } from '../helpers/paths.js';
import { temporaryFolder } from '../fixtures/nifti/nibabel.js';

async function codeOf(run: () => Promise<unknown> | unknown): Promise<string | undefined> {
  try {
    await run();
  } catch (thrown) {
    return thrown instanceof BoldstreamError ? thrown.code : `not a BoldstreamError: ${String(thrown)}`;
  }
  return undefined;
}

describe('the real Haxby runs', () => {
  const haxby = dataPath('haxby2001-slice');

  it('finds the 10 runs in order, with entities, sidecar TR, frames and events', async () => {
    const runs = await findBoldRuns(haxby);
    expect(runs.map((r) => r.run)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (const run of runs) {
      expect([run.sub, run.ses, run.task]).toEqual(['1', null, 'objectviewing']);
      expect([run.repetitionTime, run.repetitionTimeSource, run.frames, run.warnings]).toEqual([2.5, 'sidecar', 121, []]);
      expect(run.sidecar.TaskName).toBe('objectviewing');
      expect(run.sidecarFiles).toEqual([run.path.replace(/\.nii\.gz$/, '.json')]);
      expect(run.events).toBe(run.path.replace(/_bold\.nii\.gz$/, '_events.tsv'));
    }
  });

  it('finds the same runs from the func folder', async () => {
    const fromDataset = await findBoldRuns(haxby);
    const fromFunc = await findBoldRuns(path.join(haxby, 'sub-1', 'func'));
    expect(fromFunc).toEqual(fromDataset);
  });

  it('reads every events table as Python\'s csv module does', async () => {
    const runs = await findBoldRuns(haxby);
    const files = runs.map((r) => r.events!);
    const script = 'import csv, json, sys\nprint(json.dumps([[{"onset": float(r["onset"]), "duration": float(r["duration"]), "trial_type": r["trial_type"]} for r in csv.DictReader(open(f), delimiter="\\t")] for f in sys.argv[1:]]))';
    const expected = JSON.parse(execFileSync(referencePython, ['-c', script, ...files], { encoding: 'utf8' })) as unknown[];
    const ours = await Promise.all(files.map((f) => readEvents(f)));
    expect(ours).toEqual(expected);
    expect(new Set(ours.flat().map((e) => e.trial_type))).toEqual(new Set(['face', 'house', 'cat', 'bottle', 'scissors', 'shoe', 'chair', 'scrambledpix']));
  });

  it('files that are not BIDS runs are not found', async () => {
    expect(await findBoldRuns(dataPath('rtcloud-faces'))).toEqual([]);
  });
});

describe('a dataset with inheritance', () => {
  const folder = temporaryFolder();
  const ds = (...parts: string[]): string => path.join(folder.dir, ...parts);
  const grid = { dims: [4, 4, 3] as const, voxelSize: [3, 3, 4] as const, affine: fromRows([[-3, 0, 0, 0], [0, 3, 0, 0], [0, 0, 4, 0], [0, 0, 0, 1]]) };
  const bold = (file: string, repetitionTime: number | null, gzip = false): void => {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, writeNifti({ grid, data: new Int16Array(4 * 4 * 3 * 3), repetitionTime }, { gzip }));
  };
  const json = (file: string, value: unknown): void => {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
  };

  beforeAll(() => {
    json(ds('dataset_description.json'), { Name: 'test', BIDSVersion: '1.9.0' });
    json(ds('task-faces_bold.json'), { RepetitionTime: 2, TaskName: 'faces', Level: 'root' });
    json(ds('sub-01', 'sub-01_task-faces_bold.json'), { Level: 'subject' });
    bold(ds('sub-01', 'func', 'sub-01_task-faces_run-1_bold.nii.gz'), 2, true);
    writeFileSync(ds('sub-01', 'func', 'sub-01_task-faces_run-1_events.tsv'), 'onset\tduration\ttrial_type\n0\t2\tface\n');
    bold(ds('sub-01', 'func', 'sub-01_task-faces_run-2_bold.nii'), 2);
    json(ds('sub-01', 'func', 'sub-01_task-faces_run-2_bold.json'), { RepetitionTime: 1.5, Level: 'run' });
    bold(ds('sub-01', 'func', 'sub-01_task-faces_run-10_bold.nii'), 2);
    bold(ds('sub-01', 'func', 'sub-01_task-faces_run-1_echo-2_bold.nii'), 2);
    bold(ds('sub-02', 'ses-a', 'func', 'sub-02_ses-a_task-rest_bold.nii'), 2000);
    bold(ds('derivatives', 'prep', 'sub-01', 'func', 'sub-01_task-faces_run-1_desc-preproc_bold.nii.gz'), 2, true);
    bold(ds('sub-01', 'func', 'notes_about_bold.nii'), 2);
  });
  afterAll(() => folder.remove());

  it('finds raw runs only, sorted with run-10 after run-2, and parses their entities', async () => {
    const runs = await findBoldRuns(folder.dir);
    expect(runs.map((r) => path.relative(folder.dir, r.path))).toEqual([
      path.join('sub-01', 'func', 'sub-01_task-faces_run-1_bold.nii.gz'),
      path.join('sub-01', 'func', 'sub-01_task-faces_run-1_echo-2_bold.nii'),
      path.join('sub-01', 'func', 'sub-01_task-faces_run-2_bold.nii'),
      path.join('sub-01', 'func', 'sub-01_task-faces_run-10_bold.nii'),
      path.join('sub-02', 'ses-a', 'func', 'sub-02_ses-a_task-rest_bold.nii'),
    ]);
    expect(runs[1]!.entities).toEqual({ sub: '01', task: 'faces', run: '1', echo: '2' });
    expect([runs[4]!.sub, runs[4]!.ses, runs[4]!.task, runs[4]!.run]).toEqual(['02', 'a', 'rest', null]);
  });

  it('merges sidecars from the root down, the deepest winning', async () => {
    const [run1, , run2] = await findBoldRuns(ds('sub-01'));
    expect(run1!.sidecar).toEqual({ RepetitionTime: 2, TaskName: 'faces', Level: 'subject' });
    expect(run1!.sidecarFiles).toEqual([ds('task-faces_bold.json'), ds('sub-01', 'sub-01_task-faces_bold.json')]);
    expect(run2!.sidecar.Level).toBe('run');
  });

  it('K20 the sidecar RepetitionTime wins over the header, with BIDS_TR_DISAGREE when they differ', async () => {
    const [run1, , run2] = await findBoldRuns(folder.dir);
    expect([run1!.repetitionTime, run1!.repetitionTimeSource, run1!.warnings]).toEqual([2, 'sidecar', []]);
    expect([run2!.repetitionTime, run2!.repetitionTimeSource]).toEqual([1.5, 'sidecar']);
    expect(run2!.warnings.map((w) => w.code)).toEqual(['BIDS_TR_DISAGREE']);
  });

  it('K20 without a sidecar TR the header gives it, with unit sanity ("2000 s" is 2 s)', async () => {
    const rest = (await findBoldRuns(ds('sub-02')))[0]!;
    expect([rest.repetitionTime, rest.repetitionTimeSource]).toEqual([2, 'header']);
    expect(rest.warnings.map((w) => w.code)).toEqual(['HEADER_TR_UNITS']);
  });

  it('eventsFor finds the sibling table, shared across echoes, or null', async () => {
    const events = ds('sub-01', 'func', 'sub-01_task-faces_run-1_events.tsv');
    expect(await eventsFor(ds('sub-01', 'func', 'sub-01_task-faces_run-1_bold.nii.gz'))).toBe(events);
    expect(await eventsFor(ds('sub-01', 'func', 'sub-01_task-faces_run-1_echo-2_bold.nii'))).toBe(events);
    expect(await eventsFor(ds('sub-01', 'func', 'sub-01_task-faces_run-2_bold.nii'))).toBeNull();
  });

  it('a sidecar that is not JSON, or a TR that is not a number, is BIDS_SIDECAR_INVALID', async () => {
    const bad = temporaryFolder();
    try {
      bold(path.join(bad.dir, 'sub-01_task-x_bold.nii'), 2);
      json(path.join(bad.dir, 'sub-01_task-x_bold.json'), '{"RepetitionTime": 2,');
      expect(await codeOf(() => findBoldRuns(bad.dir))).toBe('BIDS_SIDECAR_INVALID');
      json(path.join(bad.dir, 'sub-01_task-x_bold.json'), { RepetitionTime: '2' });
      expect(await codeOf(() => findBoldRuns(bad.dir))).toBe('BIDS_SIDECAR_INVALID');
    } finally {
      bad.remove();
    }
  });

  it('a folder that does not exist is INPUT_NOT_FOUND', async () => {
    expect(await codeOf(() => findBoldRuns(ds('nowhere')))).toBe('INPUT_NOT_FOUND');
  });
});

describe('events tables', () => {
  it('n/a duration is 0, n/a cells are left out, extra columns kept, CRLF and BOM accepted', () => {
    const rows = parseEvents('\uFEFFonset\tduration\ttrial_type\tstim_file\tresponse_time\r\n1.5\tn/a\tface\tn/a\t0.8\r\n3e1\t2\tn/a\tface01.png\tn/a\r\n\r\n');
    expect(rows).toEqual([
      { onset: 1.5, duration: 0, trial_type: 'face', response_time: '0.8' },
      { onset: 30, duration: 2, stim_file: 'face01.png' },
    ]);
  });

  it.each([
    ['onset\tduration\n1\t2\nabc\t2\n', /line 3: onset "abc"/],
    ['onset\tduration\nn/a\t2\n', /line 2: onset "n\/a"/],
    ['onset\tduration\n1\t\n', /line 2: duration ""/],
    ['onset\tduration\n1\t-2\n', /line 2: duration -2 is negative/],
    ['onset\tduration\n1\tInfinity\n', /line 2: duration "Infinity"/],
    ['onset\tduration\n1\t2\t3\n', /line 2: 3 cells for 2 columns/],
    ['onset\ttrial_type\n1\tface\n', /line 1: no "duration" column/],
  ])('EVENTS_INVALID with the line number: %j', async (text, message) => {
    let error: unknown;
    try {
      parseEvents(text);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(BoldstreamError);
    expect((error as BoldstreamError).code).toBe('EVENTS_INVALID');
    expect((error as BoldstreamError).message).toMatch(message);
  });

  it('a missing events file is INPUT_NOT_FOUND', async () => {
    expect(await codeOf(() => readEvents('/nonexistent/sub-01_events.tsv'))).toBe('INPUT_NOT_FOUND');
  });
});

describe('BIDS names', () => {
  it.each([
    ['sub-01_ses-a_task-faces_acq-mb4_run-02_bold.nii.gz', { entities: { sub: '01', ses: 'a', task: 'faces', acq: 'mb4', run: '02' }, suffix: 'bold', extension: '.nii.gz' }],
    ['task-faces_bold.json', { entities: { task: 'faces' }, suffix: 'bold', extension: '.json' }],
    ['notes_about_bold.nii', null],
    ['sub-01_sub-02_bold.nii', null],
  ])('%s', (name, expected) => {
    expect(parseBidsName(name)).toEqual(expected);
  });
});
