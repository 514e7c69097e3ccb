/**
 * Every session the server runs is recorded (recordingsDir/<id>/: session.json, volumes.bin,
 * events.jsonl, records.jsonl), and `boldstream replay <recording>` gives the records the session gave
 * live, field by field; only when things happened (receivedAt, latencyMs) may differ (invariant 8).
 *
 * Two sessions: the rt-cloud DICOM export pushed by `replay --server` with the amygdala ROI, and a
 * Haxby run pushed volume by volume with a decoder while the "stimulus computer" sends each trial's
 * marker over the WebSocket during the run; the replay must place those markers where they came live,
 * so trials (index, onset, n, label, scores, truth) come out the same.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BoldstreamClient } from '../../src/client/client.js';
import type { EventMarker, SessionInfo, TrRecord } from '../../src/generated/boldstream.js';
import { isErrorRecord, type SessionRecord } from '../../src/session/types.js';
import { trainFromRuns } from '../../src/train/train-runs.js';
import { checkRecords, readRecords, runCli, startTestServer, tempDir, type TestServer, withoutTiming } from '../helpers/live-server.js';
import { dataPath } from '../helpers/paths.js';
import { floatPush, pushableRun } from '../helpers/push-volumes.js';

const amygdala = dataPath('rtcloud-faces', 'L_AMYG_thrp5_bin_resampled_space-native.nii.gz');
const haxby = (run: number, suffix = 'bold.nii.gz'): string => dataPath('haxby2001-slice', 'sub-1', 'func', `sub-1_task-objectviewing_run-${String(run).padStart(2, '0')}_${suffix}`);
const HAXBY_TR = 2.5;

/** The events.tsv of a run, read here (not by the code under test): the markers the stimulus computer sends. */
async function eventsOf(file: string): Promise<Required<Pick<EventMarker, 'onset' | 'duration' | 'trial_type'>>[]> {
  const [header, ...rows] = (await readFile(file, 'utf8')).trim().split('\n');
  expect(header!.split('\t')).toEqual(['onset', 'duration', 'trial_type']);
  return rows.map((row) => {
    const [onset, duration, trial_type] = row.split('\t');
    return { onset: Number(onset), duration: Number(duration), trial_type: trial_type! };
  });
}

describe('a session recorded by the server replays to the same records', () => {
  let server: TestServer;
  let scratch: string;

  beforeAll(async () => {
    server = await startTestServer();
    scratch = await tempDir('recording-replay');
  });

  afterAll(async () => {
    await server?.close();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('rt-cloud DICOM export pushed through the server: the recording replays field by field', async () => {
    const live = path.join(scratch, 'rtcloud-live.jsonl');
    const run = await runCli(['replay', dataPath('rtcloud-faces', 'dicom'), '--server', server.url, '--mask', `amygdala=${amygdala}`, '--out', live]);
    expect(run.code).toBe(0);
    const ids = await readdir(server.config.recordingsDir);
    expect(ids).toHaveLength(1);
    const recording = path.join(server.config.recordingsDir, ids[0]!);
    expect((await readdir(recording)).sort()).toEqual(['events.jsonl', 'masks', 'records.jsonl', 'session.json', 'volumes.bin']);
    expect(await readdir(path.join(recording, 'masks'))).toEqual(['amygdala.nii.gz']);

    // The recording holds its masks: no --mask needed to get the same records back.
    const replayed = path.join(scratch, 'rtcloud-replayed.jsonl');
    expect((await runCli(['replay', recording, '--out', replayed])).code).toBe(0);
    checkRecords(replayed, 10);
    const liveRecords = await readRecords(live);
    const replayRecords = await readRecords(replayed);
    expect(liveRecords.map((r) => r.tr)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(replayRecords.map(withoutTiming)).toEqual(liveRecords.map(withoutTiming));
    // What the server wrote down is what it sent.
    expect((await readRecords(path.join(recording, 'records.jsonl'))).map(withoutTiming)).toEqual(liveRecords.map(withoutTiming));
  });

  it('Haxby run with a decoder and trial markers sent live: the recording replays trials and all', async () => {
    await trainFromRuns({
      runs: [haxby(1), haxby(2)],
      mask: dataPath('haxby2001-slice', 'sub-1_space-bold_mask.nii.gz'),
      out: path.join(server.config.modelsDir, 'haxby-vt'),
      pipeline: server.config.pipeline,
    });
    const events = await eventsOf(haxby(10, 'events.tsv'));
    const run = pushableRun(haxby(10));
    const id = 'haxby-run10-live';
    const live: SessionRecord[] = [];
    let ended!: (info: SessionInfo) => void;
    const finished = new Promise<SessionInfo>((resolve) => (ended = resolve));
    const client = await BoldstreamClient.connect(server.url, {
      onRecord: (session, record) => session === id && live.push(record),
      onStatus: (info) => info.id === id && (info.state === 'ended' || info.state === 'failed') && ended(info),
    });
    try {
      await client.subscribe(id);
      await client.start({ id, source: { kind: 'push' }, masks: [], model: 'haxby-vt', events: [], repetitionTime: HAXBY_TR });
      let sent = 0;
      for (let t = 0; t < run.frames; t++) {
        // The stimulus computer tells of a trial when it starts (before the volume acquired at its onset)
        // and knows no scanner time: without an onset the server places the marker "now" on the run clock,
        // which only the recording can reproduce.
        while (sent < events.length && events[sent]!.onset <= t * HAXBY_TR) {
          const { duration, trial_type } = events[sent++]!;
          await client.event(id, { duration, trial_type });
        }
        await client.push(floatPush(id, t, run, run.dims, run.frame(t)));
      }
      expect(sent).toBe(events.length);
      await client.end(id);
      expect((await finished).state).toBe('ended');
    } finally {
      client.close();
    }
    expect(live.map((r) => r.tr)).toEqual(Array.from({ length: 121 }, (_, t) => t));
    expect(live.filter(isErrorRecord)).toEqual([]);
    const withTrial = (live as TrRecord[]).filter((r) => r.trial);
    // Eight blocks of 9 TRs each, every one told by a live marker.
    expect(new Set(withTrial.map((r) => r.trial!.index)).size).toBe(8);
    expect(withTrial.map((r) => r.trial!.truth)).toContain('face');
    expect((live as TrRecord[]).every((r) => r.decoded !== undefined)).toBe(true);

    const recording = path.join(server.config.recordingsDir, id);
    const recordedEvents = (await readFile(path.join(recording, 'events.jsonl'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as { onset: number });
    expect(recordedEvents).toHaveLength(8);
    // Placed on the run clock when they came: at or before the TR they were sent with.
    recordedEvents.forEach((e, i) => expect(e.onset).toBeLessThanOrEqual(Math.ceil(events[i]!.onset / HAXBY_TR) * HAXBY_TR));

    const replayed = path.join(scratch, 'haxby-replayed.jsonl');
    // ...and its model: retraining or deleting the model folder does not change what a replay gives.
    expect((await readdir(path.join(recording, 'model'))).sort()).toEqual(['bundle.json', 'weights.f32']);
    await rm(path.join(server.config.modelsDir, 'haxby-vt'), { recursive: true });
    const replay = await runCli(['replay', recording, '--out', replayed]);
    expect(replay.code).toBe(0);
    checkRecords(replayed, 121);
    const replayRecords = (await readRecords(replayed)) as TrRecord[];
    expect(replayRecords.filter((r) => r.trial).map((r) => r.trial)).toEqual(withTrial.map((r) => r.trial));
    expect(replayRecords.map(withoutTiming)).toEqual(live.map(withoutTiming));
  });
});
