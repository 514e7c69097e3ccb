/**
 * `boldstream demo` (what `npm start` runs): the server, and real scans streamed through it.
 *
 *   with the data folder (config dataDir, default ../shared/data):
 *     1. a decoder is trained on Haxby et al. (2001) runs 01–09 (cached in the models folder);
 *     2. session "rtcloud": the rt-cloud Siemens real-time DICOM export, at scanner pace, with the
 *        left-amygdala ROI as the neurofeedback signal;
 *     3. session "haxby": Haxby run 10 at `--speed` with that decoder and the run's events;
 *   without it: a synthetic session (moving head, category-dependent activity) made on the spot,
 *   trained on its first runs and streamed with its last one.
 *
 * Records are printed as they arrive over the WebSocket (the same path a viewer uses), the page
 * at / shows them, and the server keeps running until Ctrl-C (or exits with --exit).
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CommandContext } from '../cli.js';
import { BoldstreamClient } from '../client/client.js';
import { readBundle } from '../decode/bundle.js';
import { loadModelDir } from '../session/loaded-model.js';
import type { SessionSpec } from '../generated/boldstream.js';
import { parseSpeed } from '../ingest/sources/pace.js';
import { chooseBackend } from '../recon/backend.js';
import { startServer } from '../server/start.js';
import { isErrorRecord, type SessionRecord } from '../session/types.js';
import { makeSyntheticSession } from '../synth/session.js';
import { describeScore, scoreDecoding } from '../train/score.js';
import { trainFromRuns } from '../train/train-runs.js';
import { formatRecordLine } from './record-line.js';
import { eventMarkers, numberOption, stringOption } from './options.js';
import { summarise } from './summary.js';

export const demoCommand = {
  summary: 'Start the server and stream real scans (or a synthetic session) through the whole pipeline.',
  usage: 'boldstream demo [--port PORT] [--speed N|max] [--synthetic] [--exit]',
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    speed: { type: 'string', default: '5' },
    synthetic: { type: 'boolean', default: false },
    exit: { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
  },
  run: demo,
  quietLogs: true,
} as const;

interface DemoSession {
  readonly label: string;
  readonly spec: SessionSpec & { id: string };
  /** Events and TR for scoring the decoder at the end, when there is one. */
  readonly scoring?: { events: SessionSpec['events']; repetitionTime: number };
}

const stamp = (): string => new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);

async function ensureModel(dir: string, runs: string[], mask: string, ctx: CommandContext): Promise<void> {
  const existing = await readBundle(dir).catch(() => null);
  if (existing && existing.training.runs.length === runs.length && existing.training.hrfDelaySearch) return;
  console.log(`training a decoder on ${runs.length} runs, HRF shift and strength by cross-validation (once; cached in ${dir}) ...`);
  const bundle = await trainFromRuns({ runs, mask, out: dir, pipeline: ctx.config.pipeline, hrfDelaySec: 'auto' });
  console.log(`  HRF shift ${bundle.hrfDelaySec} s: ${(bundle.training.hrfDelaySearch ?? []).map((d) => `${d.delaySec} s → ${(100 * d.meanAccuracy).toFixed(1)}%`).join(', ')}`);
  const cv = bundle.training.crossValidation;
  if (cv) console.log(`  cross-validated accuracy ${(100 * cv.meanAccuracy).toFixed(1)}% (chance ${(100 * cv.chance).toFixed(1)}%) over ${bundle.labels.length} categories`);
}

async function realSessions(dataDir: string, speed: number, ctx: CommandContext): Promise<DemoSession[]> {
  const haxby = path.join(dataDir, 'haxby2001-slice');
  const run = (r: number): string => path.join(haxby, 'sub-1', 'func', `sub-1_task-objectviewing_run-${String(r).padStart(2, '0')}_bold.nii.gz`);
  const modelDir = path.join(ctx.config.modelsDir, 'haxby2001-vt');
  await ensureModel(modelDir, [1, 2, 3, 4, 5, 6, 7, 8, 9].map(run), path.join(haxby, 'sub-1_space-bold_mask.nii.gz'), ctx);
  const events = await eventMarkers(run(10).replace('_bold.nii.gz', '_events.tsv'));
  const rt = path.join(dataDir, 'rtcloud-faces');
  return [
    {
      label: 'rtcloud',
      spec: {
        id: `rtcloud-faces-${stamp()}`,
        // The scanner's own pace, as a neurofeedback run would see it.
        source: { kind: 'replay', path: path.join(rt, 'dicom'), speed: Math.max(speed === 0 ? 0 : 1, 0) },
        masks: [{ name: 'amygdala', path: path.join(rt, 'L_AMYG_thrp5_bin_resampled_space-native.nii.gz') }],
        events: [],
      },
    },
    {
      label: 'haxby',
      spec: { id: `haxby-run10-${stamp()}`, source: { kind: 'replay', path: run(10), speed }, masks: [], model: 'haxby2001-vt', events },
      scoring: { events, repetitionTime: 2.5 },
    },
  ];
}

async function syntheticSessions(speed: number, ctx: CommandContext): Promise<{ sessions: DemoSession[]; root: string }> {
  const root = path.join(tmpdir(), 'boldstream-synthetic-v2');
  const made = existsSync(path.join(root, 'dataset_description.json'));
  console.log(made ? `using the synthetic session in ${root}` : `making a synthetic session in ${root} ...`);
  const synthetic = made ? null : await makeSyntheticSession(root);
  const run = (r: number): string => path.join(root, 'sub-synth', 'func', `sub-synth_task-objects_run-${String(r).padStart(2, '0')}_bold.nii.gz`);
  const mask = synthetic?.mask ?? path.join(root, 'sub-synth_space-bold_mask.nii.gz');
  await ensureModel(path.join(ctx.config.modelsDir, 'synthetic-objects'), [1, 2, 3].map(run), mask, ctx);
  const events = await eventMarkers(run(4).replace('_bold.nii.gz', '_events.tsv'));
  return {
    root,
    sessions: [
      {
        label: 'synthetic',
        spec: { id: `synthetic-run4-${stamp()}`, source: { kind: 'replay', path: run(4), speed }, masks: [{ name: 'visual', path: mask }], model: 'synthetic-objects', events },
        scoring: { events, repetitionTime: 2 },
      },
    ],
  };
}

async function demo(ctx: CommandContext): Promise<number> {
  const speed = parseSpeed(stringOption(ctx.values, 'speed'), 5);
  const dataDir = path.resolve(ctx.config.dataDir);
  const real = !ctx.values.synthetic && existsSync(path.join(dataDir, 'rtcloud-faces', 'dicom')) && existsSync(path.join(dataDir, 'haxby2001-slice'));
  if (!real) {
    console.log(
      ctx.values.synthetic
        ? 'synthetic session requested (--synthetic).'
        : `no real scans in ${dataDir}: streaming a synthetic session instead.\n  To use real data: BOLDSTREAM_DATA_DIR=/path/to/data npm start  (see README, "Data").`,
    );
  }
  const plan = real ? { sessions: await realSessions(dataDir, speed, ctx), root: null } : await syntheticSessions(speed, ctx);
  const host = stringOption(ctx.values, 'host');
  const port = numberOption(ctx.values, 'port');
  // A server with access tokens gets one more, for this process's own viewer; an open one stays open.
  const { access } = ctx.config;
  const ownToken = access.tokens.length > 0 || access.tokensFile ? randomBytes(32).toString('hex') : undefined;
  const config = ownToken ? Object.freeze({ ...ctx.config, access: { ...access, tokens: [...access.tokens, { role: 'viewer' as const, token: ownToken }] } }) : ctx.config;
  const running = await startServer({
    config,
    logger: ctx.logger,
    backend: await chooseBackend(ctx.config.computeBackend),
    ...(host ? { host } : {}),
    ...(port !== undefined ? { port } : {}),
    ...(plan.root ? { extraDataDirs: [plan.root] } : {}),
    fallbackToFreePort: port === undefined,
  });
  console.log(`boldstream ${real ? 'on real scans' : 'on a synthetic session'}: watch at ${running.url}/  (compute backend: ${running.backend})`);

  const records = new Map<string, SessionRecord[]>(plan.sessions.map((s) => [s.spec.id, []]));
  const label = new Map(plan.sessions.map((s) => [s.spec.id, s.label]));
  let remaining = plan.sessions.length;
  let allEnded!: () => void;
  const ended = new Promise<void>((resolve) => (allEnded = resolve));
  const client = await BoldstreamClient.connect(running.url, {
    ...(ownToken ? { token: ownToken } : {}),
    onRecord: (session, record) => {
      records.get(session)?.push(record);
      if (!ctx.values.quiet) console.log(formatRecordLine(label.get(session) ?? session, record));
    },
    onStatus: (info) => {
      if (records.has(info.id) && (info.state === 'ended' || info.state === 'failed') && --remaining === 0) allEnded();
    },
  });
  for (const s of plan.sessions) await client.subscribe(s.spec.id);
  for (const s of plan.sessions) await running.server.hub.start(s.spec);
  const interrupted = await Promise.race([ended.then(() => false), running.closed.then(() => true)]);
  for (const s of plan.sessions) {
    const got = records.get(s.spec.id)!;
    const info = running.server.hub.info(s.spec.id);
    const seconds = ((info.endedAt ?? Date.now()) - info.startedAt) / 1000;
    console.log(`\n${s.label} (${s.spec.id}):\n${summarise(got, seconds)}`);
    if (s.scoring && got.some((r) => !isErrorRecord(r) && r.decoded)) {
      const events = s.scoring.events.map((e) => ({ onset: e.onset ?? 0, duration: e.duration, trial_type: e.trial_type ?? null }));
      const { bundle } = await loadModelDir(path.join(ctx.config.modelsDir, s.spec.model!));
      console.log(`decoding: ${describeScore(scoreDecoding(got, events, { repetitionTime: s.scoring.repetitionTime, hrfDelaySec: bundle.hrfDelaySec, classes: bundle.labels.length }))}`);
    }
  }
  client.close();
  if (ctx.values.exit || interrupted) {
    await running.close();
    return 0;
  }
  console.log(`\nrecordings are in ${path.resolve(ctx.config.recordingsDir)}; the server keeps running at ${running.url}/ (Ctrl-C to stop).`);
  await running.closed;
  return 0;
}
