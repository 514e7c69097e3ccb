/**
 * Replay throughput at speed max, whole sessions (source → records), through the real factory:
 *
 * - the rt-cloud run repeated to a long 4D NIfTI (64x64x27, amygdala ROI): motion correction on
 *   every volume, the budget's case;
 * - a Haxby run (40x20x1) with a decoder trained here on runs 01-09 and the run's own events, so
 *   decoding and trial accumulation run on every TR.
 *
 * Two rates per case: whole session (factory.create → session end: file read, header, pipeline) and
 * stream (first → last record, what the pipeline sustains once running). One warm-up session first.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { eventMarkers } from '../src/commands/options.js';
import type { SessionSpec } from '../src/generated/boldstream.js';
import { loadModelDir } from '../src/session/loaded-model.js';
import { trainFromRuns } from '../src/train/train-runs.js';
import { argument, finish, measure, numberArgument } from './lib/child.js';
import { haxby, rtcloud, writeRepeatedRun } from './lib/data.js';
import { dist, type Row, single } from './lib/report.js';
import { benchConfig, benchFactory, benchTemp, runSession, type SessionRun } from './lib/session.js';

const sessions = numberArgument('sessions', 2);
const haxbySessions = numberArgument('haxby-sessions', 5);
const RATE = { text: '≥ 200 vol/s', on: 'value', atLeast: 200 } as const;

interface Rates { readonly volumes: number; readonly wholeMs: number; readonly streamMs: number; readonly totals: number[] }

async function replayRates(runs: () => Promise<SessionRun>, count: number): Promise<Rates> {
  await runs();
  let volumes = 0, wholeMs = 0, streamMs = 0;
  const totals: number[] = [];
  for (let k = 0; k < count; k++) {
    const run = await runs();
    volumes += run.records.length;
    wholeMs += run.openMs + run.runMs;
    streamMs += run.lastAt - run.firstAt;
    // Steady TRs only: TR 0 is the one-off reference set-up.
    totals.push(...run.records.filter((r) => r.tr > 0).map((r) => r.latencyMs.total ?? Number.NaN));
  }
  return { volumes, wholeMs, streamMs, totals };
}

function rateRows(name: string, rates: Rates, volumesPerSession: number): Row[] {
  return [
    single(`${name}: whole session`, 'vol/s', (rates.volumes / rates.wholeMs) * 1000, RATE),
    single(`${name}: stream, first → last record`, 'vol/s', ((rates.volumes - rates.volumes / volumesPerSession) / rates.streamMs) * 1000),
    dist(`${name}: steady total per TR`, 'ms', rates.totals),
  ];
}

async function rtcloudRows(notes: string[]): Promise<Row[]> {
  const frames = numberArgument('frames', 300);
  const given = argument('run');
  const temp = given ? null : await benchTemp('throughput');
  const file = given ?? path.join(temp!, `rtcloud-x${frames}.nii`);
  try {
    if (!given) await writeRepeatedRun(file, frames);
    const factory = benchFactory();
    const spec = (source: string): SessionSpec => ({ source: { kind: 'replay', path: source, speed: 0 }, masks: [{ name: 'amygdala', path: rtcloud.amygdala() }], events: [] });
    await runSession(factory, spec(rtcloud.dicomDir()), false);
    let perSession = 0;
    const rates = await replayRates(async () => {
      const run = await runSession(factory, spec(file));
      perSession = run.records.length;
      return run;
    }, sessions);
    notes.push(`rt-cloud: 64x64x27, amygdala ROI, ${perSession}-volume NIfTI (the 10-volume run repeated, int16, uncompressed, temp folder); sessions measured: ${sessions}, after a warm-up`);
    return rateRows('rt-cloud', rates, perSession);
  } finally {
    if (temp) await rm(temp, { recursive: true, force: true });
  }
}

async function haxbyRows(notes: string[]): Promise<Row[]> {
  const dir = await benchTemp('model');
  try {
    const config = benchConfig();
    const t0 = performance.now();
    const runs = Array.from({ length: 9 }, (_, i) => haxby.run(i + 1));
    await trainFromRuns({ runs, mask: haxby.mask(), out: dir, pipeline: config.pipeline });
    const trainMs = performance.now() - t0;
    const factory = benchFactory({ config, model: await loadModelDir(dir) });
    const spec: SessionSpec = { source: { kind: 'replay', path: haxby.run(10), speed: 0 }, masks: [], events: await eventMarkers(haxby.events(10)) };
    let decoded = 0, perSession = 0;
    const rates = await replayRates(async () => {
      const run = await runSession(factory, spec);
      decoded = run.records.filter((r) => r.decoded).length;
      perSession = run.records.length;
      return run;
    }, haxbySessions);
    notes.push(`Haxby: 40x20x1, run 10 (${perSession} volumes, ${decoded} decoded per session); sessions measured: ${haxbySessions}, after a warm-up; decoder trained on runs 01-09 (ridge, default)`);
    return [...rateRows('Haxby + decoder', rates, perSession), single('Haxby: training on runs 01-09', 's', trainMs / 1000)];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await finish(measure('throughput', '3. Replay throughput at speed max (whole sessions)', async (notes) => [...(await rtcloudRows(notes)), ...(await haxbyRows(notes))]));
