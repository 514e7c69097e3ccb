/**
 * The version rule (docs/protocol.md, "Connecting and negotiation"): a client that states another
 * protocol major, in the URL or in `hello`, in any encoding, gets an `error` whose code is
 * PROTOCOL_VERSION and whose message says what the server speaks, then a close with 4426 and the same
 * words as reason; and the server goes on serving the others, including clients that connect after.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config.js';
import type { ClientMessage, ServerMessage } from '../../src/generated/boldstream.js';
import { buildServer, type BoldstreamServer } from '../../src/server/app.js';
import { decodeServerMessage, encodeClientMessage, type Encoding } from '../../src/server/codec.js';
import { PROTOCOL_VERSION } from '../../src/server/protocol.js';
import { FakeSessionFactory } from '../helpers/fake-session.js';

interface Connection {
  readonly ws: WebSocket;
  readonly messages: ServerMessage[];
  readonly closed: Promise<{ code: number; reason: string }>;
  send(message: ClientMessage): void;
}

async function connect(base: string, query: string, encoding: Encoding): Promise<Connection> {
  const ws = new WebSocket(`${base}/ws${query}`);
  const messages: ServerMessage[] = [];
  ws.on('message', (data: Buffer, isBinary: boolean) => messages.push(decodeServerMessage(isBinary ? new Uint8Array(data) : data.toString('utf8'), encoding)));
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { ws, messages, closed, send: (message) => ws.send(encodeClientMessage(message, encoding)) };
}

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const trs = (c: Connection): number[] => c.messages.flatMap((m) => (m.type === 'record' ? [m.record.tr] : []));

describe('protocol version rule over a live gateway', () => {
  let server: BoldstreamServer;
  let root: string;
  let base: string;
  let bystander: Connection;

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'boldstream-protocol-'));
    const config = defaultConfig({ dataDir: root, recordingsDir: path.join(root, 'recordings'), modelsDir: path.join(root, 'models'), server: { port: 0 } });
    server = await buildServer({ config, factory: new FakeSessionFactory({ intervalMs: 5 }), logger: pino({ level: 'silent' }), backend: 'cpu' });
    await server.app.listen({ port: 0, host: '127.0.0.1' });
    base = `ws://127.0.0.1:${(server.app.server.address() as AddressInfo).port}`;
    // A client of the right version, watching a running session throughout.
    bystander = await connect(base, `?encoding=msgpack&protocol=${PROTOCOL_VERSION}`, 'msgpack');
    bystander.send({ type: 'subscribe', session: 'run-01' });
    bystander.send({ type: 'start', spec: { id: 'run-01', source: { kind: 'replay' }, masks: [], events: [] } });
    await until(() => trs(bystander).length >= 3, 'the bystander’s first records');
  });

  afterAll(async () => {
    bystander?.ws.terminate();
    await server?.close();
    await rm(root, { recursive: true, force: true });
  });

  const cases = (['json', 'msgpack', 'protobuf'] as const).flatMap((encoding) =>
    [0, 2].flatMap((stated) => [
      { where: 'url' as const, encoding, stated },
      { where: 'hello' as const, encoding, stated },
    ]),
  );

  it.each(cases)('refuses protocol $stated stated in the $where ($encoding) with PROTOCOL_VERSION and 4426', async ({ where, encoding, stated }) => {
    const before = trs(bystander).length;
    const query = where === 'url' ? `?encoding=${encoding}&protocol=${stated}` : `?encoding=${encoding}&protocol=${PROTOCOL_VERSION}`;
    const client = await connect(base, query, encoding);
    if (where === 'hello') {
      await until(() => client.messages.length > 0, 'welcome');
      expect(client.messages[0]).toMatchObject({ type: 'welcome', protocol: PROTOCOL_VERSION });
      client.send({ type: 'hello', protocol: stated, client: 'old-client/0.9' });
    }
    const closed = await client.closed;
    const words = `client speaks protocol ${stated}; this server speaks protocol ${PROTOCOL_VERSION}`;
    expect(closed.code).toBe(4426);
    expect(closed.reason).toMatch(new RegExp(`^PROTOCOL_VERSION: .*${words}`));
    // Refused in the URL: the error is all it gets, in the encoding it asked for; in hello: after the welcome, no ack.
    const types = client.messages.map((m) => m.type);
    expect(types).toEqual(where === 'url' ? ['error'] : ['welcome', 'error']);
    const error = client.messages.at(-1)!;
    expect(error).toMatchObject({ type: 'error', code: 'PROTOCOL_VERSION' });
    expect(error.type === 'error' && error.message).toContain(words);
    // The others are served on.
    await until(() => trs(bystander).length > before + 2, 'more records for the bystander');
  });

  it('keeps serving: the bystander got every record in order, and a new client of the right version is welcomed and served', async () => {
    const got = trs(bystander);
    expect(got).toEqual(Array.from({ length: got.length }, (_, i) => i));
    for (const stated of [`${PROTOCOL_VERSION}`, `${PROTOCOL_VERSION}.0`, `${PROTOCOL_VERSION}.7`, '']) {
      const client = await connect(base, `?encoding=json&protocol=${stated}`, 'json');
      client.send({ type: 'hello', protocol: PROTOCOL_VERSION, client: 'new-client/1.0' });
      client.send({ type: 'subscribe', session: 'run-01', fromTr: 0 });
      await until(() => trs(client).length >= 5, `records for protocol=${stated}`);
      expect(client.messages.slice(0, 3).map((m) => (m.type === 'ack' ? `ack:${m.ref}` : m.type))).toEqual(['welcome', 'ack:hello', 'ack:subscribe']);
      expect(trs(client).slice(0, 5)).toEqual([0, 1, 2, 3, 4]);
      client.ws.close();
    }
  });

  it('refuses a version that is not a number with the same code', async () => {
    const client = await connect(base, '?encoding=json&protocol=latest', 'json');
    expect((await client.closed).code).toBe(4426);
    const error = client.messages[0];
    expect(error).toMatchObject({ type: 'error', code: 'PROTOCOL_VERSION' });
    expect(error?.type === 'error' && error.message).toContain(`"latest" is not a protocol version; this server speaks protocol ${PROTOCOL_VERSION}`);
  });
});
