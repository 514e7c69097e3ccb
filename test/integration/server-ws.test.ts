import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config.js';
import type { ClientMessage, ServerMessage } from '../../src/generated/boldstream.js';
import { decodeServerMessage, encodeClientMessage, packMsgpack, type Encoding } from '../../src/server/codec.js';
import { buildServer, type BoldstreamServer, type BuildServerOptions } from '../../src/server/app.js';
import { FakeSessionFactory, type FakeSessionOptions } from '../helpers/fake-session.js';

/** A WebSocket client that decodes everything the server sends and remembers how it closed. */
class TestClient {
  readonly messages: ServerMessage[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(
    readonly ws: WebSocket,
    readonly encoding: Encoding,
  ) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      this.messages.push(decodeServerMessage(isBinary ? data : data.toString('utf8'), encoding));
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  static open(base: string, query: string, encoding: Encoding): Promise<TestClient> {
    const ws = new WebSocket(`${base}/ws${query}`);
    const client = new TestClient(ws, encoding);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(client));
      ws.once('error', reject);
    });
  }

  send(message: ClientMessage): void {
    this.ws.send(encodeClientMessage(message, this.encoding));
  }

  async waitFor(predicate: (m: ServerMessage) => boolean, timeoutMs = 10_000): Promise<ServerMessage> {
    const start = Date.now();
    for (;;) {
      const found = this.messages.find(predicate);
      if (found) return found;
      if (Date.now() - start > timeoutMs) throw new Error(`timed out; got ${JSON.stringify(this.messages.map((m) => m.type))}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  trs(session?: string): number[] {
    return this.messages.flatMap((m) => (m.type === 'record' && (session === undefined || m.session === session) ? [m.record.tr] : []));
  }

  close(): void {
    this.ws.close();
  }
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
const until = async (condition: () => boolean, timeoutMs = 10_000) => {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('WebSocket gateway', () => {
  let server: BoldstreamServer | undefined;
  let root: string | undefined;
  const clients: TestClient[] = [];

  afterEach(async () => {
    for (const c of clients.splice(0)) c.ws.terminate();
    await server?.close();
    server = undefined;
    if (root) await rm(root, { recursive: true, force: true });
  });

  async function start(options: FakeSessionOptions = {}, extra: Partial<BuildServerOptions> = {}, maxMessageBytes = 64 * 1024 * 1024) {
    root = await mkdtemp(path.join(tmpdir(), 'boldstream-ws-'));
    const config = defaultConfig({ dataDir: root, recordingsDir: path.join(root, 'recordings'), modelsDir: path.join(root, 'models'), server: { port: 0, maxMessageBytes, clientQueueLimit: 64 } });
    const factory = new FakeSessionFactory(options);
    server = await buildServer({ config, factory, logger: pino({ level: 'silent' }), backend: 'cpu', ...extra });
    await server.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = server.app.server.address() as AddressInfo;
    return { factory, base: `ws://127.0.0.1:${port}`, http: `http://127.0.0.1:${port}` };
  }

  const open = async (base: string, encoding: Encoding, query = `?encoding=${encoding}&protocol=1`) => {
    const client = await TestClient.open(base, query, encoding);
    clients.push(client);
    await client.waitFor((m) => m.type === 'welcome');
    return client;
  };

  it.each(['msgpack', 'json', 'protobuf'] as const)('delivers every record in order over %s', async (encoding) => {
    const { base, factory } = await start({ intervalMs: 2, count: 40 });
    const client = await open(base, encoding);
    const welcome = client.messages[0]!;
    expect(welcome.type === 'welcome' && welcome.protocol).toBe(1);
    client.send({ type: 'subscribe', session: 'run-01' });
    await client.waitFor((m) => m.type === 'ack' && m.ref === 'subscribe');
    client.send({ type: 'start', ref: 'go', spec: { id: 'run-01', source: { kind: 'replay' }, masks: [], events: [] } });
    await client.waitFor((m) => m.type === 'ack' && m.ref === 'go' && m.session === 'run-01');
    await factory.sessions.get('run-01')!.done;
    await until(() => client.trs().length === 40);
    expect(client.trs('run-01')).toEqual(range(0, 40));
    await client.waitFor((m) => m.type === 'status' && m.session.state === 'ended');
  });

  it('takes a push session end to end: start, volumes, events, end, each acknowledged', async () => {
    const { base, factory } = await start();
    const client = await open(base, 'msgpack');
    client.send({ type: 'subscribe', session: 'scan' });
    client.send({ type: 'start', spec: { id: 'scan', source: { kind: 'push' }, masks: [], events: [] } });
    await client.waitFor((m) => m.type === 'ack' && m.ref === 'start');
    for (let i = 0; i < 3; i++) {
      client.send({ type: 'volume', session: 'scan', index: i, dims: [2, 2, 1], voxelSize: [3, 3, 3], affine: [3, 0, 0, 0, 0, 3, 0, 0, 0, 0, 3, 0, 0, 0, 0, 1], dtype: 'float32', data: new Uint8Array(16), warnings: [] });
    }
    client.send({ type: 'event', session: 'scan', event: { onset: 4, duration: 2, trial_type: 'face' } });
    client.send({ type: 'end', session: 'scan' });
    await client.waitFor((m) => m.type === 'ack' && m.ref === 'end');
    const acks = client.messages.flatMap((m) => (m.type === 'ack' ? [`${m.ref}${m.tr ?? ''}`] : []));
    expect(acks).toEqual(['subscribe', 'start', 'volume0', 'volume1', 'volume2', 'event', 'end']);
    expect(client.trs('scan')).toEqual([0, 1, 2]);
    expect(factory.sessions.get('scan')!.events).toEqual([{ onset: 4, duration: 2, trial_type: 'face' }]);
  });

  describe('a bad message closes only its own connection', () => {
    const cases: Array<[string, Encoding, (c: TestClient) => void, number, RegExp]> = [
      ['bad msgpack', 'msgpack', (c) => c.ws.send(Buffer.from([0xc1, 0x00, 0xff])), 4400, /not valid msgpack/],
      ['unknown type', 'json', (c) => c.ws.send(JSON.stringify({ type: 'launch' })), 4400, /unknown message type "launch"/],
      ['wrong field type', 'msgpack', (c) => c.ws.send(packMsgpack({ type: 'subscribe', session: 7 })), 4400, /subscribe\.session: expected a string/],
      ['text frame in msgpack', 'msgpack', (c) => c.ws.send('{"type":"hello","protocol":1}'), 4400, /binary frames/],
      ['unknown session', 'json', (c) => c.ws.send(JSON.stringify({ type: 'end', session: 'ghost' })), 4404, /SESSION_NOT_FOUND|does not exist/],
      ['hello with another protocol', 'json', (c) => c.ws.send(JSON.stringify({ type: 'hello', protocol: 2 })), 4426, /this server speaks protocol 1/],
    ];

    it.each(cases)('%s', async (_name, encoding, misbehave, code, message) => {
      const { base, http } = await start({ intervalMs: 2 });
      const bystander = await open(base, 'json');
      bystander.send({ type: 'subscribe', session: 'run-01' });
      bystander.send({ type: 'start', spec: { id: 'run-01', source: { kind: 'replay' }, masks: [], events: [] } });
      await until(() => bystander.trs().length >= 3);
      const victim = await open(base, encoding);
      misbehave(victim);
      const closed = await victim.closed;
      expect(closed.code).toBe(code);
      const error = victim.messages.find((m) => m.type === 'error');
      expect(error && error.type === 'error' && error.message).toMatch(message);
      const before = bystander.trs().length;
      await until(() => bystander.trs().length > before + 3);
      expect(bystander.trs()).toEqual(range(0, bystander.trs().length));
      const health = await fetch(`${http}/health`);
      expect(health.status).toBe(200);
    });

    it('oversize payload is refused by the WebSocket layer with 1009', async () => {
      const { base, http } = await start({ intervalMs: 2 }, {}, 4096);
      const bystander = await open(base, 'json');
      bystander.send({ type: 'subscribe', session: 'run-01' });
      bystander.send({ type: 'start', spec: { id: 'run-01', source: { kind: 'replay' }, masks: [], events: [] } });
      await until(() => bystander.trs().length >= 3);
      const victim = await open(base, 'msgpack');
      victim.ws.send(Buffer.alloc(8192));
      expect((await victim.closed).code).toBe(1009);
      const before = bystander.trs().length;
      await until(() => bystander.trs().length > before + 3);
      expect((await fetch(`${http}/health`)).status).toBe(200);
    });
  });

  it('disconnects a client whose socket stops reading (4503) while a fast client gets every record', async () => {
    const { base, factory } = await start({ intervalMs: 1, count: 1500, padding: 20_000 }, { highWaterBytes: 64 * 1024 });
    const fast = await open(base, 'json');
    const slow = await open(base, 'json');
    fast.send({ type: 'subscribe', session: 'run-01' });
    slow.send({ type: 'subscribe', session: 'run-01' });
    await slow.waitFor((m) => m.type === 'ack');
    (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    fast.send({ type: 'start', spec: { id: 'run-01', source: { kind: 'replay' }, masks: [], events: [] } });
    await fast.waitFor((m) => m.type === 'ack' && m.ref === 'start');
    await factory.sessions.get('run-01')!.done;
    await until(() => fast.trs().length === 1500, 30_000);
    expect(fast.trs()).toEqual(range(0, 1500));
    (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    expect((await slow.closed).code).toBe(4503);
  });

  it('closes a client stating another protocol in the URL with 4426, telling what the server speaks', async () => {
    const { base } = await start();
    const client = await TestClient.open(base, '?encoding=json&protocol=2', 'json');
    expect((await client.closed).code).toBe(4426);
    const error = client.messages[0];
    expect(error?.type === 'error' && error.message).toMatch(/client speaks protocol 2; this server speaks protocol 1/);
  });

  it('answers an unknown encoding in JSON and closes with 4415', async () => {
    const { base } = await start();
    const client = await TestClient.open(base, '?encoding=xml', 'json');
    expect((await client.closed).code).toBe(4415);
    expect(client.messages[0]?.type).toBe('error');
  });

  it('closes a flooding client with 4429', async () => {
    const { base } = await start({}, { rateLimit: { perSecond: 5, burst: 5 } });
    const client = await open(base, 'json');
    for (let i = 0; i < 20; i++) client.send({ type: 'hello', protocol: 1 });
    expect((await client.closed).code).toBe(4429);
  });

  it('ends a connection whose peer stops answering pings', async () => {
    const { base, http } = await start({}, { heartbeatMs: 50 });
    const client = await open(base, 'json');
    const health = async () => ((await (await fetch(`${http}/health`)).json()) as { connections: number }).connections;
    expect(await health()).toBe(1);
    // A paused socket reads nothing, so the client answers no ping: as if its machine had gone.
    (client.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const start0 = Date.now();
    while ((await health()) !== 0) {
      if (Date.now() - start0 > 5000) throw new Error('dead connection was not ended');
      await new Promise((r) => setTimeout(r, 20));
    }
  });

  it('refuses upgrades on other paths', async () => {
    const { base } = await start();
    const ws = new WebSocket(`${base}/elsewhere`);
    await expect(new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    })).rejects.toThrow(/404/);
  });
});
