/**
 * Bad input reaching a live server: each case ends in a clear record for the TR it concerns (an error
 * record {tr, error: {code, message}}, or a warning), the other TRs arrive untouched, and the server
 * keeps answering /health. The real pipeline runs behind the real server; inputs are the rt-cloud scans
 * (DICOM files damaged in a temp copy, or frames read by nibabel and pushed over the WebSocket).
 */
import { copyFile, mkdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BoldstreamClient } from '../../src/client/client.js';
import type { SessionInfo, SessionSpec, TrRecord } from '../../src/generated/boldstream.js';
import { type Encoding, decodeServerMessage, packMsgpack } from '../../src/server/codec.js';
import { isErrorRecord, type ErrorRecord, type SessionRecord } from '../../src/session/types.js';
import { readNifti } from '../helpers/dicom-fixtures.js';
import { checkRecords, numbersIn, startTestServer, tempDir, type TestServer, until } from '../helpers/live-server.js';
import { dataPath } from '../helpers/paths.js';
import { floatPush, pushableRun, type PushableRun } from '../helpers/push-volumes.js';

const dicomDir = dataPath('rtcloud-faces', 'dicom');
const amygdalaPath = dataPath('rtcloud-faces', 'L_AMYG_thrp5_bin_resampled_space-native.nii.gz');
const rtFile = (instance: number): string => `001_000013_${String(instance).padStart(6, '0')}.dcm`;
const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

/** One session's records and its end, seen by a client that subscribed before it started. */
class Watcher {
  private constructor(
    readonly client: BoldstreamClient,
    readonly id: string,
    readonly records: SessionRecord[],
    readonly ended: Promise<SessionInfo>,
  ) {}

  static async open(url: string, id: string, encoding: Encoding = 'msgpack'): Promise<Watcher> {
    let end!: (info: SessionInfo) => void;
    const ended = new Promise<SessionInfo>((resolve) => (end = resolve));
    const records: SessionRecord[] = [];
    const client = await BoldstreamClient.connect(url, {
      encoding,
      onRecord: (session, record) => session === id && records.push(record),
      onStatus: (info) => info.id === id && (info.state === 'ended' || info.state === 'failed') && end(info),
    });
    await client.subscribe(id);
    return new Watcher(client, id, records, ended);
  }

  trs(): number[] {
    return this.records.map((r) => r.tr);
  }

  good(): TrRecord[] {
    return this.records.filter((r): r is TrRecord => !isErrorRecord(r));
  }

  errors(): ErrorRecord[] {
    return this.records.filter(isErrorRecord);
  }

  record(tr: number): SessionRecord {
    const found = this.records.filter((r) => r.tr === tr);
    expect(found, `records for TR ${tr}`).toHaveLength(1);
    return found[0]!;
  }
}

describe('bad input to a live server', () => {
  let server: TestServer;
  let scratch: string;
  let run: PushableRun;
  /** Flat indices of the amygdala ROI's voxels (nibabel), to put damage where the neurofeedback value is read. */
  let amygdalaVoxels: number[];
  const clients: BoldstreamClient[] = [];
  const sockets: WebSocket[] = [];

  beforeAll(async () => {
    scratch = await tempDir('bad-input');
    server = await startTestServer({ extraDataDirs: [scratch] });
    run = pushableRun(dataPath('rtcloud-faces', 'rtcloud_faces_run01.nii.gz'));
    const roi = readNifti(amygdalaPath);
    amygdalaVoxels = [...roi.data.keys()].filter((i) => roi.data[i]! > 0);
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    for (const s of sockets) s.terminate();
    await server?.close();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  const watch = async (id: string, encoding: Encoding = 'msgpack'): Promise<Watcher> => {
    const w = await Watcher.open(server.url, id, encoding);
    clients.push(w.client);
    return w;
  };

  const postSession = async (spec: SessionSpec): Promise<SessionInfo> => {
    const reply = await fetch(`${server.url}/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(spec) });
    expect(reply.status, await reply.clone().text()).toBe(201);
    return (await reply.json()) as SessionInfo;
  };

  /** A push session with the amygdala ROI; returns the client that pushes. */
  const startPush = async (id: string): Promise<BoldstreamClient> => {
    const pusher = await BoldstreamClient.connect(server.url);
    clients.push(pusher);
    await pusher.start({ id, source: { kind: 'push' }, masks: [{ name: 'amygdala', path: amygdalaPath }], events: [], repetitionTime: 1.5 });
    return pusher;
  };

  const pushFrame = (pusher: BoldstreamClient, id: string, t: number, data = run.frame(t), dims: readonly number[] = run.dims): Promise<void> =>
    pusher.push(floatPush(id, t, run, dims, data));

  const expectHealthy = async (): Promise<void> => {
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as { status: string }).status).toBe('ok');
  };

  /** The records a client received, as a JSONL file held to the contract. */
  const expectContract = async (w: Watcher, goodTrs: number): Promise<void> => {
    const file = path.join(scratch, `${w.id}.jsonl`);
    await writeFile(file, w.records.map((r) => JSON.stringify(r)).join('\n') + '\n');
    checkRecords(file, goodTrs);
  };

  const expectCodedError = (record: SessionRecord, code: string, tr: number): void => {
    expect(isErrorRecord(record), `TR ${tr} should be an error record: ${JSON.stringify(record).slice(0, 300)}`).toBe(true);
    const { error } = record as ErrorRecord;
    expect(error.code).toBe(code);
    expect(error.message).toMatch(/\S/);
    expect(record.tr).toBe(tr);
  };

  it('K08 a truncated DICOM in a replayed folder is a DICOM_TRUNCATED error record for its TR; the other 9 TRs arrive', async () => {
    const dir = path.join(scratch, 'truncated');
    await mkdir(dir);
    for (let i = 0; i <= 10; i++) await copyFile(path.join(dicomDir, rtFile(i)), path.join(dir, rtFile(i)));
    // Instance 5 (TR 4) cut inside its pixel data, as an export interrupted mid-write leaves it (K01/K08).
    const victim = path.join(dir, rtFile(5));
    const size = (await readFile(victim)).byteLength;
    await truncate(victim, size - 100_000);

    const w = await watch('truncated-dicom');
    await postSession({ id: 'truncated-dicom', source: { kind: 'replay', path: dir, speed: 0 }, masks: [{ name: 'amygdala', path: amygdalaPath }], events: [] });
    expect((await w.ended).state).toBe('ended');
    expect(w.trs()).toEqual(range(0, 10));
    expectCodedError(w.record(4), 'DICOM_TRUNCATED', 4);
    expect(w.good().map((r) => r.tr)).toEqual([0, 1, 2, 3, 5, 6, 7, 8, 9]);
    await expectContract(w, 9);
    await expectHealthy();
  });

  it('K28 a pushed volume on another grid mid-run is a VOLUME_GRID_MISMATCH error record; later TRs are fine', async () => {
    const id = 'grid-change';
    const w = await watch(id);
    const pusher = await startPush(id);
    for (let t = 0; t < 4; t++) await pushFrame(pusher, id, t);
    // TR 4 comes with one slice fewer (64x64x26): another grid.
    const [nx, ny] = run.dims;
    await pushFrame(pusher, id, 4, run.frame(4).slice(0, nx * ny * 26), [nx, ny, 26]);
    for (let t = 5; t < 10; t++) await pushFrame(pusher, id, t);
    await pusher.end(id);
    expect((await w.ended).state).toBe('ended');
    expect(w.trs()).toEqual(range(0, 10));
    expectCodedError(w.record(4), 'VOLUME_GRID_MISMATCH', 4);
    expect(w.good().map((r) => r.tr)).toEqual([0, 1, 2, 3, 5, 6, 7, 8, 9]);
    for (const r of w.good()) expect(Number.isFinite(r.roi.amygdala)).toBe(true);
    await expectContract(w, 9);
    await expectHealthy();
  });

  it('K22 NaN and infinite voxels in a pushed volume give a VOLUME_NONFINITE warning and finite outputs', async () => {
    const id = 'nonfinite';
    const w = await watch(id);
    const pusher = await startPush(id);
    // Damage inside the amygdala ROI and elsewhere in the brain: 100 NaN, 10 +Inf, 10 -Inf.
    const damaged = [...amygdalaVoxels.slice(0, 40), ...range(0, 80).map((i) => 64 * 64 * 13 + 64 * 20 + 12 + i)];
    for (let t = 0; t < 10; t++) {
      const data = run.frame(t);
      if (t === 5) damaged.forEach((v, i) => (data[v] = i < 100 ? Number.NaN : i < 110 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY));
      await pushFrame(pusher, id, t, data);
    }
    await pusher.end(id);
    expect((await w.ended).state).toBe('ended');
    expect(w.trs()).toEqual(range(0, 10));
    expect(w.errors()).toEqual([]);
    const hit = w.record(5) as TrRecord;
    expect(hit.warnings.map((x) => x.code)).toContain('VOLUME_NONFINITE');
    expect(hit.quality?.nonfiniteVoxels).toBe(120);
    // Nothing non-finite anywhere, in this record or the ones after it (running statistics are not poisoned).
    for (const r of w.records) {
      const bad = numbersIn(r).filter((n) => !Number.isFinite(n.value));
      expect(bad, `TR ${r.tr}`).toEqual([]);
      expect(Number.isFinite((r as TrRecord).roi.amygdala)).toBe(true);
    }
    for (const r of w.good().filter((r) => r.tr !== 5)) expect(r.warnings.map((x) => x.code)).not.toContain('VOLUME_NONFINITE');
    await expectContract(w, 10);
    await expectHealthy();
  });

  it('K22 a volume that is all NaN is an error record, never a feedback value of 0', async () => {
    const id = 'all-nan';
    const w = await watch(id);
    const pusher = await startPush(id);
    for (let t = 0; t < 8; t++) {
      const data = run.frame(t);
      if (t === 6) data.fill(Number.NaN);
      await pushFrame(pusher, id, t, data);
    }
    await pusher.end(id);
    expect((await w.ended).state).toBe('ended');
    expect(w.records.map((r) => r.tr)).toEqual(range(0, 8));
    expect(w.errors().map((r) => [r.tr, r.error.code])).toEqual([[6, 'VOLUME_MOSTLY_NONFINITE']]);
    // The running statistics are untouched: the next TR goes on as if TR 6 had not come.
    expect(Number.isFinite((w.record(7) as TrRecord).roi.amygdala)).toBe(true);
    await expectHealthy();
  });

  it('a push session whose every volume is invalid still ends, with an error record per TR', async () => {
    const id = 'all-invalid';
    const w = await watch(id);
    const pusher = await startPush(id);
    for (let t = 0; t < 3; t++) await pusher.push({ ...floatPush(id, t, run, run.dims, run.frame(t)), data: new Uint8Array(12) });
    await pusher.end(id);
    expect((await w.ended).state).toBe('ended');
    expect(w.errors().map((r) => [r.tr, r.error.code])).toEqual([
      [0, 'VOLUME_INVALID'],
      [1, 'VOLUME_INVALID'],
      [2, 'VOLUME_INVALID'],
    ]);
    expect(server.running.server.hub.info(id).state).toBe('ended');
  });

  it('K04 a non-image file dropped into a watched folder is ignored with a notice; volumes keep flowing', async () => {
    const dir = path.join(scratch, 'export');
    await mkdir(dir);
    const id = 'watch-folder';
    const w = await watch(id);
    const info = await postSession({ id, source: { kind: 'watch', path: dir }, masks: [], events: [] });
    expect(info.source.kind).toBe('watch');
    await until(() => server.running.server.hub.info(id).state === 'running', 'the watch session to run');
    // Give the watcher its first look at the (empty) folder: files present at start would be ignored by design.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await writeFile(path.join(dir, 'report.txt'), `Scan report\n${'protocol ep2d_bold, 27 slices, TR 1500 ms\n'.repeat(8)}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (let instance = 1; instance <= 4; instance++) await copyFile(path.join(dicomDir, rtFile(instance)), path.join(dir, rtFile(instance)));
    await until(() => w.records.length >= 4, 'four records from the watched folder');
    const stopped = await fetch(`${server.url}/sessions/${id}/stop`, { method: 'POST' });
    expect(stopped.status).toBe(200);
    expect((await w.ended).state).toBe('ended');
    expect(w.trs()).toEqual(range(0, 4));
    expect(w.errors()).toEqual([]);
    const notices = w.good().flatMap((r) => r.warnings.filter((x) => x.code === 'VOLUME_IGNORED'));
    expect(notices.filter((n) => n.message.includes('report.txt'))).toHaveLength(1);
    await expectContract(w, 4);
    await expectHealthy();
  });

  describe('a malformed WebSocket message closes only that connection', () => {
    const cases: [string, Encoding, (ws: WebSocket) => void, RegExp][] = [
      ['bad msgpack bytes', 'msgpack', (ws) => ws.send(Buffer.from([0xc1, 0xff, 0x00, 0x13])), /not valid msgpack/],
      ['unknown message type', 'json', (ws) => ws.send(JSON.stringify({ type: 'scan', session: 'x' })), /unknown message type/],
      ['wrong field type', 'msgpack', (ws) => ws.send(packMsgpack({ type: 'volume', session: 'x', index: 'three', dims: [1, 1, 1], voxelSize: [1, 1, 1], affine: [], dtype: 'float32', data: new Uint8Array(4) })), /index/],
    ];

    it.each(cases)('%s: closed with 4400, another client keeps getting a running session\u2019s records', async (name, encoding, misbehave, message) => {
      const id = `ws-${name.replace(/\W+/g, '-')}`;
      const bystander = await watch(id, 'json');
      const pusher = await startPush(id);
      for (let t = 0; t < 3; t++) await pushFrame(pusher, id, t);
      await until(() => bystander.records.length === 3, 'the first three records');

      const received: ReturnType<typeof decodeServerMessage>[] = [];
      const ws = new WebSocket(`${server.url.replace(/^http/, 'ws')}/ws?encoding=${encoding}&protocol=1`);
      sockets.push(ws);
      ws.on('message', (data: Buffer, isBinary: boolean) => received.push(decodeServerMessage(isBinary ? data : data.toString('utf8'), encoding)));
      const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
      await new Promise<void>((resolve, reject) => ws.once('open', () => resolve()).once('error', reject));
      await until(() => received.some((m) => m.type === 'welcome'), 'welcome');
      misbehave(ws);
      const close = await closed;
      expect(close.code).toBe(4400);
      const error = received.find((m) => m.type === 'error');
      expect(error?.type === 'error' && error.code).toBe('WS_BAD_MESSAGE');
      expect(error?.type === 'error' && error.message).toMatch(message);

      // The session, its pusher and its other client are untouched.
      for (let t = 3; t < 6; t++) await pushFrame(pusher, id, t);
      await pusher.end(id);
      expect((await bystander.ended).state).toBe('ended');
      expect(bystander.trs()).toEqual(range(0, 6));
      expect(bystander.errors()).toEqual([]);
      await expectHealthy();
    });
  });

  it('a push whose data length does not match its dims is a VOLUME_INVALID error record for that TR', async () => {
    const id = 'short-data';
    const w = await watch(id);
    const pusher = await startPush(id);
    const [nx, ny] = run.dims;
    for (let t = 0; t < 6; t++) {
      // TR 3 says 64x64x27 but carries one slice less.
      if (t === 3) await pushFrame(pusher, id, t, run.frame(t).slice(0, nx * ny * 26), run.dims);
      else await pushFrame(pusher, id, t);
    }
    await pusher.end(id);
    expect((await w.ended).state).toBe('ended');
    expect(w.trs()).toEqual(range(0, 6));
    expectCodedError(w.record(3), 'VOLUME_INVALID', 3);
    expect((w.record(3) as ErrorRecord).error.message).toMatch(/TR 3/);
    expect(w.good().map((r) => r.tr)).toEqual([0, 1, 2, 4, 5]);
    await expectContract(w, 5);
    await expectHealthy();
  });
});
