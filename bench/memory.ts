/**
 * Peak memory of a long session: 1000 TRs of 64x64x27 (the rt-cloud volumes repeated in order, no
 * synthetic motion), in a process of its own so that `maxRSS` is this session's.
 *
 * --mode push (default): a live session as the server runs it — volumes pushed one TR at a time
 *   (PushSource), recording to disk on; the process holds only the 10 source volumes besides it.
 * --mode replay --run FILE: `boldstream replay` of a 1000-volume 4D NIfTI at speed max, recording off;
 *   the replay source reads the whole file, so this adds the file's size to the session's.
 *
 * RSS is sampled after every TR (process.memoryUsage.rss) and compared with process.resourceUsage()
 * .maxRSS, the kernel's peak, which also sees between-sample spikes.
 */
import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { isErrorRecord, type SessionRecord } from '../src/session/types.js';
import { argument, finish, measure, numberArgument } from './lib/child.js';
import { rtcloud, rtcloudVolumes, toPush, writeRepeatedRun } from './lib/data.js';
import { dist, type Row, single } from './lib/report.js';
import { benchConfig, benchFactory, benchTemp } from './lib/session.js';
import { megabytes } from './lib/stats.js';

const trs = numberArgument('trs', 1000);
const mode = argument('mode') ?? 'push';
const BUDGET = { text: '≤ 300 MB', on: 'value', atMost: 300 } as const;
const rssMb = (): number => megabytes(process.memoryUsage.rss());
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const collect = (): void => (globalThis as { gc?: () => void }).gc?.();

/** RSS after each TR, and the latencies the session reported, without keeping the records. */
class Watch {
  readonly rss: number[] = [];
  readonly totals: number[] = [];
  errors = 0;
  onRecord = (record: SessionRecord): void => {
    this.rss.push(rssMb());
    if (isErrorRecord(record)) this.errors++;
    else if (record.tr > 0) this.totals.push(record.latencyMs.total ?? Number.NaN);
  };
}

/** Least-squares slope of RSS over TRs 100..end, in MB per 100 TRs: a leak shows as a steady climb. */
function growthPer100(rss: readonly number[]): number {
  const ys = rss.slice(100);
  const n = ys.length;
  if (n < 2) return Number.NaN;
  const mx = (n - 1) / 2, my = ys.reduce((s, y) => s + y, 0) / n;
  let num = 0, den = 0;
  ys.forEach((y, i) => ((num += (i - mx) * (y - my)), (den += (i - mx) ** 2)));
  return (num / den) * 100;
}

function memoryRows(baseline: number, watch: Watch): Row[] {
  const usage = process.memoryUsage();
  return [
    single('RSS before the session (process + inputs)', 'MB', baseline),
    single('RSS peak, sampled after each TR', 'MB', Math.max(baseline, ...watch.rss), BUDGET),
    single('maxRSS (kernel peak, whole process)', 'MB', process.resourceUsage().maxRSS / 1024, BUDGET),
    single('RSS growth over TRs 100..end, per 100 TRs', 'MB', growthPer100(watch.rss)),
    single('heap used at the end', 'MB', megabytes(usage.heapUsed)),
    single('array buffers at the end', 'MB', megabytes(usage.arrayBuffers)),
    dist('steady total per TR (same session)', 'ms', watch.totals),
  ];
}

async function pushSession(notes: string[]): Promise<Row[]> {
  const root = await benchTemp('memory');
  try {
    const config = benchConfig({ recordingsDir: root });
    const factory = benchFactory({ config, record: true });
    const volumes = await rtcloudVolumes();
    collect();
    const baseline = rssMb();
    const id = 'bench-memory';
    const session = await factory.create({ id, source: { kind: 'push' }, masks: [{ name: 'amygdala', path: rtcloud.amygdala() }], events: [], repetitionTime: rtcloud.repetitionTime });
    const watch = new Watch();
    session.records$.subscribe(watch.onRecord);
    await nextTurn();
    for (let tr = 0; tr < trs; tr++) {
      session.pushVolume(toPush(id, tr, volumes[tr % volumes.length]!));
      // One event-loop turn per TR: the recorder's writes and timers run between volumes, as live.
      await nextTurn();
    }
    await session.stop();
    const rows = memoryRows(baseline, watch);
    const dir = path.join(root, (await readdir(root))[0]!);
    let bytes = 0;
    for (const name of await readdir(dir)) bytes += (await stat(path.join(dir, name))).size;
    rows.push(single('recording on disk', 'MB', megabytes(bytes)));
    notes.push(`push session: ${trs} TRs pushed back to back (one event-loop turn each), recording on, amygdala ROI; ${watch.errors} error records`);
    return rows;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

async function replaySession(notes: string[]): Promise<Row[]> {
  const given = argument('run');
  const temp = given ? null : await benchTemp('memory-run');
  const file = given ?? path.join(temp!, `rtcloud-x${trs}.nii`);
  try {
    // Built in this process only when run alone; run.ts builds it beforehand so maxRSS stays clean.
    if (!given) await writeRepeatedRun(file, trs);
    const factory = benchFactory();
    collect();
    const baseline = rssMb();
    const watch = new Watch();
    const session = await factory.create({ id: 'bench-memory-replay', source: { kind: 'replay', path: file, speed: 0 }, masks: [{ name: 'amygdala', path: rtcloud.amygdala() }], events: [] });
    const opened = rssMb();
    session.records$.subscribe(watch.onRecord);
    await session.done;
    const rows = memoryRows(baseline, watch);
    rows.splice(1, 0, single('RSS once the source is open, before TR 0', 'MB', opened));
    rows.push(single('4D NIfTI file size (int16, uncompressed)', 'MB', megabytes((await stat(file)).size)));
    notes.push('the replay source streams frames from the file, so memory does not grow with the run');
    notes.push(`replay session: ${watch.rss.length} volumes from one 4D NIfTI at speed max, recording off${given ? '' : ' (file built in this process: maxRSS includes that)'}; ${watch.errors} error records`);
    return rows;
  } finally {
    if (temp) await rm(temp, { recursive: true, force: true });
  }
}

const title = mode === 'replay' ? `4c. Memory: ${trs}-volume 4D NIfTI replayed at speed max (the file held in memory)` : `4a. Memory: ${trs}-TR live session (push source, recording on)`;
await finish(measure(`memory-${mode}`, title, mode === 'replay' ? replaySession : pushSession));
