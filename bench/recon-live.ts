/**
 * Reconstruction while TRs arrive: `npx tsx bench/recon-live.ts [--speed 5] [--volumes 100]
 * [--skip-cnn]`.
 *
 * A small simulated subject (docs/simulate.md: seed 4, 3 training runs and a test run, 32 px
 * images) is made and trained here, with the real command line, once per feature space: the pixels
 * space, and MobileNetV2 (two layers, few units and voxels, so that training takes a minute, not
 * seven). The test run is then replayed at `--speed` times the scanner's pace through the real
 * session factory three times, each a fresh session:
 *
 *   no feature model    the per-TR latency of the record path alone (the reference)
 *   pixels              with live reconstruction in the worker (64 px frames)
 *   mobilenet_v2        the same with a CNN to invert: the worker is busiest
 *
 * Figures: per-TR latency (arrival → record) for each, so that what reconstruction costs the
 * records is read off side by side; time to a trial's first frame (the instant pixels frame) and to
 * its first optimised frame, each from the trial's first decoded TR (Frame.elapsedMs, measured by
 * the session); frames per trial. The machine's other load stretches all of them: load is printed.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { type Frame, type SessionSpec, type TrRecord } from '../src/generated/boldstream.js';
import { main as cli } from '../src/cli.js';
import { loadFeatureModelDir } from '../src/session/loaded-feature-model.js';
import { PipelineSessionFactory } from '../src/session/factory.js';
import { isErrorRecord } from '../src/session/types.js';
import { createLogger } from '../src/log.js';
import { eventMarkers } from '../src/commands/options.js';
import { finish, measure, numberArgument } from './lib/child.js';
import { dataPath } from './lib/data.js';
import { dist, type Row } from './lib/report.js';
import { benchConfig, benchTemp } from './lib/session.js';

const speed = numberArgument('speed', 5);
const volumes = numberArgument('volumes', 100);
const withCnn = !process.argv.includes('--skip-cnn');
const progress = (text: string): void => void process.stderr.write(`bench recon-live: ${text}\n`);
const BUDGET_FIRST = { text: 'max ≤ 1000 ms', on: 'max', atMost: 1000 } as const;

/** The command line, quiet: its own output would land among the figures on stdout. */
async function run(argv: string[]): Promise<void> {
  const { log, error } = console;
  const said: string[] = [];
  console.log = (...a: unknown[]) => void said.push(a.map(String).join(' '));
  console.error = console.log;
  try {
    const code = await cli([...argv, '--log-level', 'silent']);
    if (code !== 0) throw new Error(`boldstream ${argv[0]} failed (${code}): ${said.slice(-5).join(' | ')}`);
  } finally {
    console.log = log;
    console.error = error;
  }
}

interface Replayed {
  readonly latencies: number[];
  readonly firstFrameMs: number[];
  readonly firstOptimisedMs: number[];
  readonly framesPerTrial: number[];
  readonly errors: number;
}

async function replay(run: string, events: string, featureDir: string | null): Promise<Replayed> {
  const config = benchConfig({ reconstruction: { imageSize: 64 } });
  const featureModel = featureDir ? await loadFeatureModelDir(featureDir) : null;
  const factory = new PipelineSessionFactory({ config, logger: createLogger(config), record: false, model: null, featureModel });
  const spec: SessionSpec & { id: string } = { id: `bench-recon-${path.basename(featureDir ?? 'none')}`, source: { kind: 'replay', path: run, speed }, masks: [], events: await eventMarkers(events) };
  const session = await factory.create(spec);
  const latencies: number[] = [];
  let errors = 0;
  const frames: Frame[] = [];
  session.records$.subscribe((r) => {
    if (isErrorRecord(r)) errors += 1;
    else latencies.push((r as TrRecord).latencyMs.total!);
  });
  session.frames$?.subscribe((f) => frames.push(f));
  await session.done;
  const byTrial = new Map<number, Frame[]>();
  for (const f of frames) byTrial.set(f.trial, [...(byTrial.get(f.trial) ?? []), f]);
  const firstFrameMs: number[] = [];
  const firstOptimisedMs: number[] = [];
  for (const list of byTrial.values()) {
    firstFrameMs.push(list[0]!.elapsedMs);
    const optimised = list.find((f) => f.iteration > 0);
    if (optimised) firstOptimisedMs.push(optimised.elapsedMs);
  }
  return { latencies, firstFrameMs, firstOptimisedMs, framesPerTrial: [...byTrial.values()].map((l) => l.length), errors };
}

async function body(notes: string[]): Promise<Row[]> {
  const temp = await benchTemp('recon-live');
  try {
    const sim = path.join(temp, 'sim');
    progress('simulating a small subject on the rt-cloud run');
    await run(['simulate', '--from', dataPath('rtcloud-faces', 'rtcloud_faces_run01.nii.gz'), '--out', sim, '--seed', '4', '--train-runs', '3', '--test-runs', '1', '--volumes-per-run', String(volumes), '--image-size', '32']);
    const func = path.join(sim, 'sub-sim', 'func');
    const mask = path.join(func, 'sub-sim_space-bold_desc-visual_mask.nii.gz');
    const testRun = path.join(func, 'sub-sim_task-test_run-01_bold.nii.gz');
    const testEvents = path.join(func, 'sub-sim_task-test_run-01_events.tsv');
    const spaces: { name: string; dir: string; train: string[] }[] = [{ name: 'pixels', dir: path.join(temp, 'pixels'), train: ['--feature-space', 'pixels', '--pixels', '16'] }];
    if (withCnn) {
      spaces.push({ name: 'mobilenet_v2', dir: path.join(temp, 'mobilenet'), train: ['--feature-space', 'mobilenet_v2', '--layers', 'block_1_expand_relu,block_6_expand_relu', '--units', '200', '--voxels', '200'] });
    }
    for (const s of spaces) {
      progress(`training the ${s.name} feature decoders`);
      const t0 = performance.now();
      await run(['train', sim, '--task', 'train', '--mask', mask, '--out', s.dir, ...s.train]);
      notes.push(`${s.name} bundle trained in ${((performance.now() - t0) / 1000).toFixed(0)} s (${s.train.join(' ')})`);
    }
    const rows: Row[] = [];
    progress(`replaying the test run at speed ${speed} without a feature model`);
    const alone = await replay(testRun, testEvents, null);
    rows.push(dist('per-TR latency, no reconstruction', 'ms', alone.latencies));
    for (const s of spaces) {
      progress(`replaying the test run at speed ${speed} with the ${s.name} bundle`);
      const r = await replay(testRun, testEvents, s.dir);
      rows.push(dist(`per-TR latency, reconstructing (${s.name})`, 'ms', r.latencies));
      rows.push(dist(`first frame from first decoded TR (${s.name})`, 'ms', r.firstFrameMs, BUDGET_FIRST));
      rows.push(dist(`first optimised frame (${s.name})`, 'ms', r.firstOptimisedMs));
      notes.push(`${s.name}: ${r.framesPerTrial.reduce((a, b) => a + b, 0)} frames for ${r.framesPerTrial.length} trials; ${r.errors} error records`);
    }
    notes.push(`test run of ${volumes} volumes (TR 1.5 s) at speed ${speed}: a TR every ${(1500 / speed).toFixed(0)} ms; frames 64 px`);
    return rows;
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

await finish(measure('recon-live', 'Live reconstruction: per-TR latency beside it, time to first frames', body));
