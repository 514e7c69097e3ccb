/**
 * Per-stage latency on the real rt-cloud run (64x64x27 Siemens mosaics, amygdala ROI): the DICOM
 * folder replayed at speed max in many fresh sessions, as `boldstream replay` and the server run it.
 *
 * Fresh sessions rather than one looped session, so that the reference TR (TR 0: reference volume,
 * motion pyramid, masks, normaliser) is sampled as often as the steady TRs, and is reported apart:
 * it is a one-off per session, not a per-TR cost. Steady TRs are TRs 1-9 of every session. The first
 * sessions of the process are warm-up (cold JIT); the very first TR 0 is printed on its own.
 *
 * `total` runs from the volume's arrival at the sequencer to its record. A live watch-folder session
 * also parses the file before that, so DICOM parse time per file is measured here too.
 */
import { readDicom } from '../src/ingest/dicom/index.js';
import { finish, measure, numberArgument } from './lib/child.js';
import { rtcloud, rtcloudDicomFiles } from './lib/data.js';
import { dist, type Row, single } from './lib/report.js';
import { benchFactory, runSession } from './lib/session.js';
import { SampleSet, summarise } from './lib/stats.js';

const sessions = numberArgument('sessions', 50);
const parsePasses = numberArgument('parse-passes', 30);
const WARMUP_SESSIONS = 3;
const BUDGET = { text: 'p99 ≤ 25 ms', on: 'p99', atMost: 25 } as const;

async function stageLatency(notes: string[]): Promise<Row[]> {
  const factory = benchFactory();
  const spec = { source: { kind: 'replay', path: rtcloud.dicomDir(), speed: 0 }, masks: [{ name: 'amygdala', path: rtcloud.amygdala() }], events: [] };
  const reference = new SampleSet();
  const steady = new SampleSet();
  const open: number[] = [];
  let coldReference = Number.NaN;
  let errors = 0;
  for (let k = 0; k < WARMUP_SESSIONS + sessions; k++) {
    const run = await runSession(factory, spec);
    if (k === 0) coldReference = run.records.find((r) => r.tr === 0)?.latencyMs.total ?? Number.NaN;
    if (k < WARMUP_SESSIONS) continue;
    errors += run.errors;
    open.push(run.openMs);
    for (const r of run.records) (r.tr === 0 ? reference : steady).addAll(r.latencyMs);
  }
  if (errors > 0) notes.push(`${errors} error records in the measured sessions (expected none)`);
  notes.push(`${sessions} fresh sessions after ${WARMUP_SESSIONS} warm-up ones; TR 0 = reference set-up, TRs 1-9 = steady state`);
  const rows: Row[] = [
    single('TR 0 total, first session of the process', 'ms', coldReference),
    dist('TR 0 total (reference set-up)', 'ms', reference.get('total')),
    dist('TR 0 · reference', 'ms', reference.get('reference')),
  ];
  for (const name of steady.names().filter((n) => n !== 'total')) rows.push(dist(`steady · ${name}`, 'ms', steady.get(name)));
  rows.push(dist('steady total (arrival → record)', 'ms', steady.get('total'), BUDGET));
  rows.push(dist('session open (11 DICOM parsed, mask read)', 'ms', open));
  return rows.concat(await parseTimes(steady.get('total'), notes));
}

/** readDicom per file, on bytes already in memory (the disk read is the watcher's, not the parser's). */
async function parseTimes(steadyTotals: readonly number[], notes: string[]): Promise<Row[]> {
  const files = await rtcloudDicomFiles();
  const samples: number[] = [];
  for (let pass = 0; pass < parsePasses + 2; pass++) {
    for (const file of files) {
      const t0 = performance.now();
      readDicom(file.bytes, file.name);
      if (pass >= 2) samples.push(performance.now() - t0);
    }
  }
  const parse = summarise(samples);
  const bound = parse.p99 + summarise(steadyTotals).p99;
  notes.push(`watch-folder arrival → record adds one parse: bound = parse p99 + steady total p99 (${files.length} files × ${parsePasses} passes parsed)`);
  return [dist('DICOM parse per file (readDicom, 384x384 mosaic)', 'ms', samples), single('bound: parse p99 + steady total p99', 'ms', bound, { text: '≤ 25 ms', on: 'value', atMost: 25 })];
}

await finish(measure('stages', '1. Per-stage latency: rt-cloud DICOM run, 64x64x27, amygdala ROI, replay at speed max', stageLatency));
