import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultConfig, type Config } from '../../src/config.js';
import type { ServerMessage } from '../../src/generated/boldstream.js';
import { Client, type ClientSocket } from '../../src/server/client.js';
import { decodeServerMessage, type Encoding, type WireFrame } from '../../src/server/codec.js';
import { Hub } from '../../src/server/hub.js';
import { FakeSessionFactory, type FakeSessionOptions } from '../helpers/fake-session.js';

/**
 * A socket that either reads everything at once or stops reading, in which case its buffer grows like
 * a ws socket whose peer has stalled, and write callbacks never come.
 */
class FakeSocket implements ClientSocket {
  bufferedAmount = 0;
  readonly frames: WireFrame[] = [];
  closedWith: { code: number; reason: string } | undefined;

  constructor(
    readonly encoding: Encoding = 'json',
    private reading = true,
  ) {}

  send(data: WireFrame, cb: (error?: Error) => void): void {
    if (this.closedWith) {
      setImmediate(() => cb(new Error('socket closed')));
      return;
    }
    if (!this.reading) {
      this.bufferedAmount += typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
      return;
    }
    this.frames.push(data);
    setImmediate(() => cb());
  }

  close(code: number, reason: string): void {
    this.closedWith ??= { code, reason };
  }

  messages(): ServerMessage[] {
    return this.frames.map((f) => decodeServerMessage(f, this.encoding));
  }

  /** TRs of the record messages received, in order. */
  trs(session?: string): number[] {
    return this.messages().flatMap((m) => (m.type === 'record' && (session === undefined || m.session === session) ? [m.record.tr] : []));
  }
}

const logger = pino({ level: 'silent' });
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
const until = async (condition: () => boolean, timeoutMs = 10_000) => {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('Hub', () => {
  let root: string;
  let config: Config;
  let hub: Hub | undefined;
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'boldstream-hub-'));
    config = defaultConfig({ dataDir: path.join(root, 'data'), recordingsDir: path.join(root, 'recordings'), server: { clientQueueLimit: 16 } });
  });
  afterEach(async () => {
    await hub?.close();
    hub = undefined;
    await rm(root, { recursive: true, force: true });
  });

  const makeHub = (options: FakeSessionOptions = {}, historyLimit?: number) => {
    const factory = new FakeSessionFactory(options);
    hub = new Hub({ config, factory, logger, ...(historyLimit !== undefined ? { historyLimit } : {}) });
    return { hub, factory };
  };
  const client = (socket: FakeSocket, h: Hub) => new Client(socket, socket.encoding, { queueLimit: 16, highWaterBytes: 4096, onClose: (c) => h.detach(c) });

  it('fans every record out to several clients, in order', async () => {
    const { hub, factory } = makeHub({ intervalMs: 1, count: 60 });
    const sockets = [new FakeSocket('json'), new FakeSocket('msgpack'), new FakeSocket('protobuf')];
    for (const s of sockets) hub.subscribe(client(s, hub), 'run-01');
    await hub.start({ id: 'run-01', source: { kind: 'replay' }, masks: [], events: [] });
    await factory.sessions.get('run-01')!.done;
    await until(() => sockets.every((s) => s.trs().length === 60));
    for (const s of sockets) expect(s.trs()).toEqual(range(0, 60));
    expect(sockets[0]!.messages().filter((m) => m.type === 'status').map((m) => m.type === 'status' && m.detail)).toEqual(['started', 'stopped']);
  });

  it('disconnects a client that stops reading (WS_CLIENT_TOO_SLOW) while a fast one gets everything', async () => {
    const { hub, factory } = makeHub({ intervalMs: 1, count: 200, padding: 200 });
    const fast = new FakeSocket('json');
    const slow = new FakeSocket('json', false);
    hub.subscribe(client(fast, hub), 'run-01');
    const slowClient = client(slow, hub);
    hub.subscribe(slowClient, 'run-01');
    await hub.start({ id: 'run-01', source: { kind: 'replay' }, masks: [], events: [] });
    await factory.sessions.get('run-01')!.done;
    await until(() => fast.trs().length === 200);
    expect(fast.trs()).toEqual(range(0, 200));
    expect(slow.closedWith?.code).toBe(4503);
    expect(slow.closedWith?.reason).toMatch(/^WS_CLIENT_TOO_SLOW/);
    expect(slowClient.closed).toBe(true);
  });

  it('catches up from fromTr out of the recording and memory, then live, without duplicates or gaps', async () => {
    // A small memory history forces the recording, the history and the live queue all to take part.
    const { hub, factory } = makeHub({ intervalMs: 2, count: 120, recordingsDir: config.recordingsDir }, 4);
    await hub.start({ id: 'run-01', source: { kind: 'replay' }, masks: [], events: [] });
    const session = factory.sessions.get('run-01')!;
    await until(() => session.info().records >= 40);
    const late = new FakeSocket('msgpack');
    hub.subscribe(client(late, hub), 'run-01', 5);
    await session.done;
    await until(() => late.trs().at(-1) === 119);
    expect(late.trs()).toEqual(range(5, 120));
  });

  it('catches up a finished session entirely from its recording', async () => {
    const { hub, factory } = makeHub({ intervalMs: 1, count: 30, recordingsDir: config.recordingsDir }, 2);
    await hub.start({ id: 'run-01', source: { kind: 'replay' }, masks: [], events: [] });
    await factory.sessions.get('run-01')!.done;
    const late = new FakeSocket('json');
    hub.subscribe(client(late, hub), 'run-01', 0);
    await until(() => late.trs().length === 30);
    expect(late.trs()).toEqual(range(0, 30));
  });

  it('catches up from memory when the session is not recorded', async () => {
    const { hub, factory } = makeHub({ intervalMs: 1, count: 20 });
    await hub.start({ id: 'run-01', source: { kind: 'replay' }, masks: [], events: [] });
    await factory.sessions.get('run-01')!.done;
    const late = new FakeSocket('json');
    hub.subscribe(client(late, hub), 'run-01', 12);
    await until(() => late.trs().length === 8);
    expect(late.trs()).toEqual(range(12, 20));
  });

  it('delivers sessions that start after a subscription by id or by *', async () => {
    const { hub, factory } = makeHub({ intervalMs: 1, count: 5 });
    const byId = new FakeSocket();
    const all = new FakeSocket();
    hub.subscribe(client(byId, hub), 'run-02');
    hub.subscribe(client(all, hub), '*');
    await hub.start({ id: 'run-01', source: { kind: 'replay' }, masks: [], events: [] });
    await hub.start({ id: 'run-02', source: { kind: 'replay' }, masks: [], events: [] });
    await Promise.all([factory.sessions.get('run-01')!.done, factory.sessions.get('run-02')!.done]);
    await until(() => all.trs().length === 10 && byId.trs().length === 5);
    expect(byId.trs('run-01')).toEqual([]);
    expect(all.trs('run-01')).toEqual(range(0, 5));
    expect(all.trs('run-02')).toEqual(range(0, 5));
  });

  it('stops delivering after unsubscribe', async () => {
    const { hub, factory } = makeHub({ intervalMs: 1 });
    const socket = new FakeSocket();
    const c = client(socket, hub);
    hub.subscribe(c, 'run-01');
    await hub.start({ id: 'run-01', source: { kind: 'replay' }, masks: [], events: [] });
    await until(() => socket.trs().length >= 3);
    hub.unsubscribe(c, 'run-01');
    const seen = socket.trs().length;
    await new Promise((r) => setTimeout(r, 30));
    expect(socket.trs().length).toBe(seen);
    await factory.sessions.get('run-01')!.stop();
  });

  it('refuses duplicates, unknown sessions, pushes into non-push sessions and paths outside the data folder', async () => {
    const { hub } = makeHub({ intervalMs: 1000 });
    await hub.start({ id: 'run-01', source: { kind: 'replay' }, masks: [], events: [] });
    await expect(hub.start({ id: 'run-01', source: { kind: 'replay' }, masks: [], events: [] })).rejects.toMatchObject({ code: 'SESSION_EXISTS' });
    await expect(hub.stop('nope')).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND' });
    expect(() => hub.pushVolume('run-01', { session: 'run-01', index: 0, dims: [], voxelSize: [], affine: [], dtype: 'float32', data: new Uint8Array(), warnings: [] })).toThrow(/SESSION_NOT_PUSH|does not take pushed/);
    await expect(hub.start({ source: { kind: 'replay', path: '../../etc/passwd' }, masks: [], events: [] })).rejects.toMatchObject({ code: 'PATH_OUTSIDE_DATA' });
    await expect(hub.start({ source: { kind: 'replay' }, masks: [{ name: 'x', path: '/etc/hosts' }], events: [] })).rejects.toMatchObject({ code: 'PATH_OUTSIDE_DATA' });
    const info = await hub.start({ source: { kind: 'replay', path: 'sub-01/func/run.nii.gz' }, masks: [], events: [] });
    expect(info.id).toMatch(/^\d{8}-\d{6}-[0-9a-f]{6}$/);
    expect(hub.list().map((s) => s.id)).toContain(info.id);
  });
});
