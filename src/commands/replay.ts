/**
 * `boldstream replay <input>`: a recorded run through the pipeline, here (records as JSON lines to
 * --out or stdout) or into a server (--server: the volumes are pushed over the WebSocket as a live
 * scanner client would, and the records come back the same way).
 *
 * With --feature-model (or a recording made with one), trials are reconstructed as in a live session
 * and the frames written beside --out (frames-writer.ts); the command waits for the last trial's
 * reconstruction (config.reconstruction.drainMs) before it exits.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { endianness } from 'node:os';
import path from 'node:path';
import type { CommandContext } from '../cli.js';
import { BoldstreamClient } from '../client/client.js';
import type { Config } from '../config.js';
import { bundleFiles } from '../decode/bundle.js';
import { BoldstreamError, catalogue, type ErrorCode } from '../errors.js';
import { featureBundleFiles } from '../decode/features/bundle.js';
import type { Frame, SessionSpec, VolumePush } from '../generated/boldstream.js';
import { openReplaySource } from '../ingest/sources/replay.js';
import { parseSpeed } from '../ingest/sources/pace.js';
import { packMsgpack } from '../server/codec.js';
import { PipelineSessionFactory } from '../session/factory.js';
import { loadFeatureModelDir } from '../session/loaded-feature-model.js';
import { loadModelDir } from '../session/loaded-model.js';
import { isErrorRecord, type SessionRecord } from '../session/types.js';
import type { Volume } from '../volume.js';
import { describeScore, scoreDecoding } from '../train/score.js';
import { FramesWriter, framesDirFor } from './frames-writer.js';
import { eventMarkers, maskSpecs, numberOption, stringOption } from './options.js';
import { summarise } from './summary.js';

export const replayCommand = {
  summary: 'Stream a 4D NIfTI, a BIDS _bold run, a DICOM folder or a session recording through the pipeline.',
  usage:
    'boldstream replay <input> [--out FILE.jsonl | --server URL] [--speed N|max] [--mask [NAME=]FILE]... [--model DIR] [--feature-model DIR [--trial-iterations N]] ' +
    '[--events FILE] [--dummy-scans N] [--series N] [--tr SECONDS] [--record] [--token-file FILE]',
  options: {
    out: { type: 'string', short: 'o' },
    server: { type: 'string' },
    // A file, not the token itself: a command line is visible to every user of the machine.
    'token-file': { type: 'string' },
    speed: { type: 'string', default: 'max' },
    mask: { type: 'string', multiple: true },
    model: { type: 'string' },
    'feature-model': { type: 'string' },
    'trial-iterations': { type: 'string' },
    events: { type: 'string' },
    'dummy-scans': { type: 'string' },
    series: { type: 'string' },
    tr: { type: 'string' },
    record: { type: 'boolean', default: false },
  },
  run: replay,
} as const;

async function replay(ctx: CommandContext): Promise<number> {
  const input = ctx.positionals[0];
  if (!input || ctx.positionals.length > 1) throw new BoldstreamError('CLI_USAGE', `give one input\nusage: ${replayCommand.usage}`);
  const dummyScans = numberOption(ctx.values, 'dummy-scans');
  const config = ctx.config;
  const speed = parseSpeed(stringOption(ctx.values, 'speed'), 0);
  const repetitionTime = numberOption(ctx.values, 'tr');
  const series = numberOption(ctx.values, 'series');
  const modelDir = stringOption(ctx.values, 'model');
  const featureDir = stringOption(ctx.values, 'feature-model');
  const trialIterations = numberOption(ctx.values, 'trial-iterations');
  if (trialIterations !== undefined && !(Number.isInteger(trialIterations) && trialIterations >= 1)) throw new BoldstreamError('CLI_USAGE', `--trial-iterations is a whole number ≥ 1, not ${trialIterations}`);
  const events = await eventMarkers(stringOption(ctx.values, 'events'));
  const absolute = path.resolve(input);
  const spec: SessionSpec & { id: string } = {
    // Time-stamped for people, random for uniqueness: two replays in one second (one process) must not share a recording.
    id: `replay-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${randomBytes(3).toString('hex')}`,
    source: { kind: 'replay', path: absolute, speed, ...(series !== undefined ? { seriesNumber: series } : {}) },
    masks: maskSpecs(ctx.values),
    events,
    ...(repetitionTime !== undefined ? { repetitionTime } : {}),
    ...(dummyScans !== undefined ? { dummyScans } : {}),
  };
  const out = stringOption(ctx.values, 'out');
  const sink = out ? await openOutput(out) : process.stdout;
  const records: SessionRecord[] = [];
  const write = (record: SessionRecord): void => {
    records.push(record);
    sink.write(`${JSON.stringify(record)}\n`);
  };
  const frames = new FrameSink(out ? framesDirFor(out) : null);
  const server = stringOption(ctx.values, 'server');
  const started = performance.now();
  const tokenFile = stringOption(ctx.values, 'token-file');
  const token = tokenFile ? await readToken(tokenFile) : undefined;
  if (server) await viaServer(server, spec, { modelDir, featureDir, token }, write, frames);
  else await locally(spec, { modelDir, featureDir, trialIterations }, config, ctx, write, frames);
  const seconds = (performance.now() - started) / 1000;
  if (sink !== process.stdout) await new Promise<void>((resolve) => sink.end(resolve));
  console.error(summarise(records, seconds));
  const reconstruction = await frames.close();
  if (reconstruction) console.error(reconstruction);
  const standing = [...new Set(records.flatMap((r) => (r.warnings ?? []).filter((w) => STANDING.has(w.code)).map((w) => `${w.code}: ${w.message}`)))];
  for (const line of standing) console.error(`warning: ${line}`);
  if (modelDir && events.length > 0 && records.some((r) => !isErrorRecord(r) && r.decoded)) {
    const { bundle } = await loadModelDir(modelDir);
    const tr = repetitionTime ?? (await openReplaySource(absolute, { speed: 0 })).description.repetitionTime ?? 1;
    const timed = events.map((e) => ({ onset: e.onset ?? 0, duration: e.duration, trial_type: e.trial_type ?? null }));
    console.error(`decoding: ${describeScore(scoreDecoding(records, timed, { repetitionTime: tr, hrfDelaySec: bundle.hrfDelaySec, classes: bundle.labels.length }))}`);
  }
  return 0;
}

/** Warnings that mean a --mask or --model given on the command line is not in use: said once at the end too. */
const STANDING = new Set(['MASK_GRID_MISMATCH', 'MASK_EMPTY', 'MODEL_GRID_MISMATCH']);

/**
 * Frames of the session, to the folder beside --out. The session's frames$ is hot, so frames that
 * come before the folder is ready wait here; without --out there is nowhere to write them.
 */
class FrameSink {
  private writer: FramesWriter | null = null;
  private opening: Promise<void> | null = null;
  private readonly early: Frame[] = [];
  private seen = 0;

  constructor(private readonly dir: string | null) {}

  /** Opens the folder (once); call as soon as the session is known to reconstruct. */
  open(): Promise<void> {
    this.opening ??= this.dir
      ? FramesWriter.open(this.dir).then((w) => {
          this.writer = w;
          for (const f of this.early.splice(0)) w.write(f);
        })
      : Promise.resolve();
    return this.opening;
  }

  write(frame: Frame): void {
    this.seen += 1;
    if (this.writer) this.writer.write(frame);
    else if (this.dir) this.early.push(frame);
  }

  /** Waits for the files; a line for the summary, or null when the session made no frames. */
  async close(): Promise<string | null> {
    if (!this.opening) return null;
    await this.opening;
    if (!this.writer) return `reconstruction: ${this.seen} frames made; give --out FILE.jsonl to write them (FILE.frames/)`;
    await this.writer.close();
    const { frames, trials } = this.writer.written;
    return `reconstruction: ${frames} frames of ${trials} trials written to ${this.writer.dir}`;
  }
}

interface LocalModels {
  readonly modelDir: string | undefined;
  readonly featureDir: string | undefined;
  readonly trialIterations: number | undefined;
}

async function locally(spec: SessionSpec & { id: string }, models: LocalModels, config: Config, ctx: CommandContext, write: (r: SessionRecord) => void, frames: FrameSink): Promise<void> {
  const model = models.modelDir ? await loadModelDir(models.modelDir) : null;
  const featureModel = models.featureDir ? await loadFeatureModelDir(models.featureDir) : null;
  const factory = new PipelineSessionFactory({
    config,
    logger: ctx.logger,
    record: ctx.values.record === true,
    model,
    featureModel,
    ...(models.trialIterations !== undefined ? { trialIterations: models.trialIterations } : {}),
  });
  const session = await factory.create(spec);
  session.records$.subscribe(write);
  if (session.frames$) {
    session.frames$.subscribe((frame) => frames.write(frame));
    await frames.open();
  }
  await session.done;
  const info = session.info();
  if (info.state === 'failed') throw new BoldstreamError('SOURCE_FAILED', info.error?.message ?? 'session failed');
}

/** Pushes the run into a server as a scanner-side client would, and collects what comes back. */
async function viaServer(server: string, spec: SessionSpec & { id: string }, models: Omit<LocalModels, 'trialIterations'> & { token: string | undefined }, write: (r: SessionRecord) => void, frames: FrameSink): Promise<void> {
  const { modelDir, featureDir, token } = models;
  const headers = { 'content-type': 'application/msgpack', ...(token ? { authorization: `Bearer ${token}` } : {}) };
  let model: string | undefined;
  let featureModel: string | undefined;
  if (featureDir) {
    featureModel = path.basename(path.resolve(featureDir));
    const bundle = featureBundleFiles((await loadFeatureModelDir(featureDir)).bundle);
    const reply = await fetch(new URL(`/models/${encodeURIComponent(featureModel)}`, server), { method: 'POST', headers, body: packMsgpack({ files: bundle }) });
    if (!reply.ok) throw await serverError(reply, `uploading feature model ${featureModel}`);
    await frames.open();
  }
  if (modelDir) {
    model = path.basename(path.resolve(modelDir));
    const bundle = bundleFiles(await loadModelDir(modelDir).then((m) => m.bundle));
    const mask = await readFile(path.join(modelDir, 'mask.nii.gz')).then((b) => new Uint8Array(b), () => null);
    const files = mask ? { ...bundle, 'mask.nii.gz': mask } : bundle;
    const reply = await fetch(new URL(`/models/${encodeURIComponent(model)}`, server), { method: 'POST', headers, body: packMsgpack({ files }) });
    if (!reply.ok) throw await serverError(reply, `uploading model ${model}`);
  }
  const masks = await Promise.all(spec.masks.map(async (m) => ({ name: m.name, nifti: new Uint8Array(await readFile(m.path!)) })));
  const source = await openReplaySource(spec.source.path!, { speed: spec.source.speed ?? 0, ...(spec.source.seriesNumber !== undefined ? { seriesNumber: spec.source.seriesNumber } : {}) });
  let ended!: () => void;
  const finished = new Promise<void>((resolve) => (ended = resolve));
  const client = await BoldstreamClient.connect(server, {
    ...(token ? { token } : {}),
    onRecord: (_, record) => write(record),
    // Frames travel newest-only (a slow link skips superseded ones), so a trial's last frame may be all that arrives.
    onFrame: (frame) => {
      if (frame.session === spec.id) frames.write(frame);
    },
    onStatus: (info) => {
      if (info.id === spec.id && (info.state === 'ended' || info.state === 'failed')) ended();
    },
  });
  try {
    const tr = spec.repetitionTime ?? source.description.repetitionTime ?? undefined;
    await client.subscribe(spec.id);
    await client.start({ ...spec, source: { kind: 'push' }, masks, ...(model ? { model } : {}), ...(featureModel ? { featureModel } : {}), ...(tr !== undefined ? { repetitionTime: tr } : {}) });
    const pushes: Promise<void>[] = [];
    await new Promise<void>((resolve, reject) =>
      source.items().subscribe({
        next: (item) => {
          if (item.kind === 'volume') pushes.push(client.push(toPush(spec.id, item.volume)));
          else if (item.kind === 'notice') console.error(`boldstream: ${item.warning.message}`);
          else if (item.kind === 'problem') console.error(`boldstream: ${item.error.message}`);
        },
        error: reject,
        complete: resolve,
      }),
    );
    await Promise.all(pushes);
    await client.end(spec.id);
    await finished;
  } finally {
    client.close();
  }
}

/** The server's own coded error, passed on; anything else as INTERNAL with the status. */
async function serverError(reply: Response, doing: string): Promise<BoldstreamError> {
  const body = (await reply.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
  const code = body?.error?.code;
  return code && Object.hasOwn(catalogue, code) ? new BoldstreamError(code as ErrorCode, `${doing}: ${body.error?.message ?? ''}`) : new BoldstreamError('INTERNAL', `${doing}: HTTP ${reply.status}`);
}

/** The access token in --token-file: its first line that is not empty or a `#` comment (an experimenter's token: it uploads, starts and pushes). */
async function readToken(file: string): Promise<string> {
  const text = await readFile(file, 'utf8').catch((cause: Error) => {
    throw new BoldstreamError('CLI_USAGE', `--token-file ${file}: ${cause.message}`, { cause });
  });
  const token = text
    .split('\n')
    .map((line) => line.trim())
    .find((line) => line !== '' && !line.startsWith('#'));
  if (!token) throw new BoldstreamError('CLI_USAGE', `--token-file ${file} holds no token`);
  return token;
}

/** Opens --out before anything runs, so a bad path fails at once with a clear code. */
async function openOutput(file: string): Promise<WriteStream> {
  const stream = createWriteStream(file);
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', (error) => reject(new BoldstreamError('OUTPUT_NOT_WRITABLE', `${file}: ${error.message}`, { cause: error })));
  });
  return stream;
}

function toPush(session: string, volume: Volume): VolumePush {
  const data = endianness() === 'LE' ? volume.data : Float32Array.from(volume.data);
  if (endianness() !== 'LE') {
    // The protocol is little-endian; swap on the rare big-endian host.
    const view = new DataView(data.buffer);
    for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, volume.data[i]!, true);
  }
  return {
    session,
    index: volume.identity.index,
    dims: [...volume.grid.dims],
    voxelSize: [...volume.grid.voxelSize],
    affine: Array.from(volume.grid.affine),
    dtype: 'float32',
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    ...(volume.acquisitionTime !== null ? { acquisitionTime: volume.acquisitionTime } : {}),
    ...(volume.repetitionTime !== null ? { repetitionTime: volume.repetitionTime } : {}),
    warnings: volume.warnings.map((w) => ({ code: w.code, message: w.message })),
  };
}
