/**
 * The socket boundary holds on a live server with tokens: oversize, malformed and flooding clients,
 * and paths that would leave the data folders, are each refused with a coded error, while a push
 * session goes on and its viewer keeps receiving every record. Then, over fake sessions that can
 * produce records faster than a socket drains: a stalled viewer is disconnected at its deadline and a
 * peer that stops answering pings is ended, while another client gets everything.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config.js';
import { catalogue } from '../../src/errors.js';
import type { ClientMessage, SessionSpec } from '../../src/generated/boldstream.js';
import { buildServer, type BoldstreamServer } from '../../src/server/app.js';
import { packMsgpack } from '../../src/server/codec.js';
import { FakeSessionFactory } from '../helpers/fake-session.js';
import { startTestServer, tempDir, type TestServer, until } from '../helpers/live-server.js';
import { dataPath } from '../helpers/paths.js';
import { floatPush, pushableRun, type PushableRun } from '../helpers/push-volumes.js';
import { WsProbe, type ProbeOptions } from '../helpers/ws-probe.js';

const experimenter = randomBytes(24).toString('hex');
const viewer = randomBytes(24).toString('hex');
const MAX_MESSAGE = 1024 * 1024;
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** A GET or POST with the path sent exactly as written (fetch would resolve `..` and `%2e%2e` first). */
function raw(base: string, method: string, rawPath: string, token: string, body?: string): Promise<{ status: number; code: string | undefined; body: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) };
    const req = httpRequest({ host: hostname, port, method, path: rawPath, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (c: Buffer) => chunks.push(c));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let code: string | undefined;
        try {
          code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
        } catch {
          code = undefined;
        }
        resolve({ status: response.statusCode ?? 0, code, body: text });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('limits and paths on a live server', () => {
  let server: TestServer;
  let run: PushableRun;
  /** An extra data folder: a stimuli folder, a file beside it, links that lead out. */
  let scratch: string;
  /** Outside every data folder. */
  let outside: string;
  let pusher: WsProbe;
  let bystander: WsProbe;
  let pushed = 0;
  const probes: WsProbe[] = [];
  const id = 'limits-push';

  beforeAll(async () => {
    scratch = await tempDir('limits-data');
    outside = await tempDir('limits-outside');
    await mkdir(path.join(scratch, 'export'));
    await mkdir(path.join(scratch, 'stimuli'));
    await writeFile(path.join(scratch, 'stimuli', 'face.png'), 'png');
    await writeFile(path.join(scratch, 'secret.png'), 'SECRET-BESIDE-STIMULI');
    await writeFile(path.join(outside, 'secret.png'), 'SECRET-OUTSIDE');
    await writeFile(path.join(outside, 'bold.nii.gz'), 'SECRET-OUTSIDE');
    await symlink(outside, path.join(scratch, 'escape'));
    await symlink(path.join(outside, 'secret.png'), path.join(scratch, 'stimuli', 'link.png'));
    server = await startTestServer({
      extraDataDirs: [scratch],
      overrides: {
        access: { tokens: [{ role: 'experimenter', token: experimenter }, { role: 'viewer', token: viewer }] },
        server: { maxMessageBytes: MAX_MESSAGE, rateLimit: { perSecond: 50, burst: 100 } },
      },
    });
    run = pushableRun(dataPath('rtcloud-faces', 'rtcloud_faces_run01.nii.gz'));
    pusher = await connect({ token: experimenter, encoding: 'msgpack' });
    pusher.send({ type: 'start', ref: 'go', spec: { id, source: { kind: 'push' }, masks: [], events: [], repetitionTime: 1.5 } });
    await pusher.waitFor((m) => m.type === 'ack' && m.ref === 'go');
    bystander = await connect({ token: viewer });
    bystander.send({ type: 'subscribe', session: id });
    await bystander.waitFor((m) => m.type === 'ack' && m.ref === 'subscribe');
    await stillFlowing();
  });

  afterAll(async () => {
    for (const p of probes) p.ws.terminate();
    await server?.close();
    for (const dir of [scratch, outside]) if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function connect(options: ProbeOptions): Promise<WsProbe> {
    const probe = await WsProbe.connect(server.url, options);
    probes.push(probe);
    return probe;
  }

  /** The next volume goes in, its record reaches the viewer, and /health answers: the server runs on. */
  async function stillFlowing(): Promise<void> {
    const t = pushed++;
    pusher.send({ type: 'volume', ...floatPush(id, t, run, run.dims, run.frame(t % run.frames)) });
    await until(() => bystander.trs(id).length === pushed, `record ${t} at the viewer`);
    expect(bystander.trs(id)).toEqual(range(pushed));
    expect(pusher.error()).toBeUndefined();
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
    await health.arrayBuffer();
  }

  describe('message size', () => {
    it('a WebSocket message above server.maxMessageBytes is refused from its frame header: 1009 (WS_MESSAGE_TOO_LARGE)', async () => {
      const big = await connect({ token: experimenter, encoding: 'msgpack' });
      big.ws.send(Buffer.alloc(MAX_MESSAGE + 1));
      expect((await big.closed).code).toBe(catalogue.WS_MESSAGE_TOO_LARGE.wsClose);
      await stillFlowing();
    });

    it('a viewer may send 64 KiB at most, whatever server.maxMessageBytes allows the writers', async () => {
      const chatty = await connect({ token: viewer });
      chatty.ws.send(JSON.stringify({ type: 'subscribe', session: 'x'.repeat(70 * 1024) }));
      expect((await chatty.closed).code).toBe(1009);
      await stillFlowing();
    });

    it('an HTTP body above its limit is 413 HTTP_BODY_TOO_LARGE', async () => {
      const spec = raw(server.url, 'POST', '/sessions', experimenter, JSON.stringify({ source: { kind: 'push' }, masks: [{ name: 'm', nifti: 'A'.repeat(MAX_MESSAGE) }] }));
      expect(await spec).toMatchObject({ status: 413, code: 'HTTP_BODY_TOO_LARGE' });
      const marker = await raw(server.url, 'POST', `/sessions/${id}/events`, experimenter, JSON.stringify({ duration: 1, stim_file: 'x'.repeat(70 * 1024) }));
      expect(marker).toMatchObject({ status: 413, code: 'HTTP_BODY_TOO_LARGE' });
      await stillFlowing();
    });
  });

  describe('malformed messages and floods close only their own connection', () => {
    const cases: Array<[string, ProbeOptions['encoding'], (p: WsProbe) => void, number, string, RegExp]> = [
      ['bad msgpack', 'msgpack', (p) => p.ws.send(Buffer.from([0xc1, 0xff, 0x00])), 4400, 'WS_BAD_MESSAGE', /not valid msgpack/],
      ['bad JSON', 'json', (p) => p.ws.send('{"type": "subscribe", '), 4400, 'WS_BAD_MESSAGE', /JSON/],
      ['a text frame on msgpack', 'msgpack', (p) => p.ws.send('{"type":"hello","protocol":1}'), 4400, 'WS_BAD_MESSAGE', /binary frames/],
      ['an unknown type', 'json', (p) => p.ws.send(JSON.stringify({ type: 'launch' })), 4400, 'WS_BAD_MESSAGE', /unknown message type "launch"/],
      ['a field the proto does not declare', 'json', (p) => p.ws.send(JSON.stringify({ type: 'subscribe', session: id, trialType: 'x' })), 4400, 'WS_BAD_MESSAGE', /trialType/],
      ['a field of the wrong type', 'msgpack', (p) => p.ws.send(packMsgpack({ type: 'event', session: id, event: { duration: 'long' } })), 4400, 'WS_BAD_MESSAGE', /event\.event\.duration/],
      ['a flood of messages', 'json', (p) => range(400).forEach(() => p.send({ type: 'hello', protocol: 1 })), 4429, 'WS_RATE_LIMITED', /messages per second/],
    ];

    it.each(cases)('%s: closed with its code and an error message; the session goes on', async (_name, encoding, misbehave, close, code, message) => {
      const victim = await connect({ token: experimenter, ...(encoding ? { encoding } : {}) });
      misbehave(victim);
      const closed = await victim.closed;
      expect(closed.code).toBe(close);
      expect(closed.code).toBe(catalogue[code as keyof typeof catalogue].wsClose);
      expect(closed.reason.startsWith(`${code}:`)).toBe(true);
      expect(victim.error()?.code).toBe(code);
      expect(victim.error()?.message).toMatch(message);
      await stillFlowing();
    });
  });

  describe('paths outside the data folders', () => {
    const spec = (source: SessionSpec['source'], masks: SessionSpec['masks'] = []): string => JSON.stringify({ source, masks });

    it('session specs over HTTP: ../, absolute paths elsewhere, links that escape, masks and recordings too, are 403 PATH_OUTSIDE_DATA', async () => {
      const refused: Array<[string, string]> = [
        ['climbing ../', spec({ kind: 'replay', path: '../../../../etc/passwd' })],
        ['climbing from inside', spec({ kind: 'replay', path: 'rtcloud-faces/../../../etc/passwd' })],
        ['an absolute path elsewhere', spec({ kind: 'replay', path: '/etc/passwd' })],
        ['a link out of the data folder', spec({ kind: 'replay', path: path.join(scratch, 'escape', 'bold.nii.gz') })],
        ['a relative path through the link', spec({ kind: 'watch', path: 'escape' })],
        ['a mask path climbing out', spec({ kind: 'push' }, [{ name: 'm', path: '../../../etc/hosts' }])],
        ['a recording path climbing out', spec({ kind: 'recording', path: '../../etc' })],
        ['a NUL byte', spec({ kind: 'replay', path: 'rtcloud-faces\u0000/../../etc/passwd' })],
      ];
      for (const [what, body] of refused) expect(await raw(server.url, 'POST', '/sessions', experimenter, body), what).toMatchObject({ status: 403, code: 'PATH_OUTSIDE_DATA' });
      await stillFlowing();
    });

    it('%2e%2e in a spec path is a file name, not a way up: it is looked for inside the data folder', async () => {
      const reply = await raw(server.url, 'POST', '/sessions', experimenter, spec({ kind: 'replay', path: '%2e%2e/%2e%2e/etc/passwd' }));
      expect(reply.status).toBe(404);
      expect(reply.code).toBe('INPUT_NOT_FOUND');
      expect(JSON.parse(reply.body).error.message).toContain(path.join(server.config.dataDir, '%2e%2e'));
    });

    it('names in URLs, encoded or not, never reach another folder', async () => {
      const cases: Array<[string, string, number, string]> = [
        ['GET', '/sessions/%2e%2e/records', 403, 'PATH_OUTSIDE_DATA'],
        ['GET', '/sessions/..%2F..%2Fetc/records', 403, 'PATH_OUTSIDE_DATA'],
        ['GET', '/sessions/%2E%2E', 403, 'PATH_OUTSIDE_DATA'],
        ['POST', '/models/%2e%2e', 403, 'PATH_OUTSIDE_DATA'],
        ['POST', '/models/..%5Cmodels', 403, 'PATH_OUTSIDE_DATA'],
        ['GET', '/..%2Fpackage.json', 404, 'HTTP_NOT_FOUND'],
        ['GET', '/%2e%2e%2fpackage.json', 404, 'HTTP_NOT_FOUND'],
        ['GET', '/vendor/..%2F..%2Fpackage.json', 404, 'HTTP_NOT_FOUND'],
      ];
      for (const [method, url, status, code] of cases) {
        const reply = await raw(server.url, method, url, experimenter, method === 'POST' ? JSON.stringify({ files: { 'bundle.json': '' } }) : undefined);
        expect(reply, `${method} ${url}`).toMatchObject({ status, code });
      }
    });

    it('stimuli are served from the stimuli folder only: ../, encoded or absolute paths and links out are 403', async () => {
      const watch = await raw(server.url, 'POST', '/sessions', experimenter, JSON.stringify({ id: 'limits-watch', source: { kind: 'watch', path: path.join(scratch, 'export') }, masks: [] }));
      expect(watch.status, watch.body).toBe(201);
      try {
        const base = '/sessions/limits-watch/stimuli';
        expect(await raw(server.url, 'GET', `${base}/face.png`, viewer)).toMatchObject({ status: 200, body: 'png' });
        for (const url of [`${base}/%2e%2e/secret.png`, `${base}/..%2Fsecret.png`, `${base}/%2Fetc%2Fsecret.png`, `${base}/link.png`, `${base}/..%2F..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd.png`]) {
          const reply = await raw(server.url, 'GET', url, viewer);
          expect(reply, url).toMatchObject({ status: 403, code: 'PATH_OUTSIDE_DATA' });
          expect(reply.body).not.toMatch(/SECRET/);
        }
      } finally {
        await raw(server.url, 'POST', '/sessions/limits-watch/stop', experimenter, '{}');
      }
    });

    it('a start message naming a path outside is closed with 4403 PATH_OUTSIDE_DATA; the session goes on', async () => {
      const messages: ClientMessage[] = [
        { type: 'start', spec: { source: { kind: 'replay', path: '../../../etc/passwd' }, masks: [], events: [] } },
        { type: 'start', spec: { source: { kind: 'push' }, masks: [{ name: 'm', path: path.join(scratch, 'escape', 'secret.png') }], events: [] } },
      ];
      for (const message of messages) {
        const client = await connect({ token: experimenter });
        client.send(message);
        expect((await client.closed).code).toBe(4403);
        expect(client.error()?.code).toBe('PATH_OUTSIDE_DATA');
        await stillFlowing();
      }
    });
  });
});

describe('slow, stalled and silent clients', () => {
  let server: BoldstreamServer | undefined;
  let root: string | undefined;
  const probes: WsProbe[] = [];

  afterEach(async () => {
    for (const p of probes.splice(0)) p.ws.terminate();
    await server?.close();
    server = undefined;
    if (root) await rm(root, { recursive: true, force: true });
  });

  async function start(options: { intervalMs: number; count?: number; padding?: number }, settings: { stalledClientMs?: number; heartbeatMs?: number }) {
    root = await tempDir('limits-slow');
    const config = defaultConfig({
      dataDir: root,
      recordingsDir: path.join(root, 'recordings'),
      modelsDir: path.join(root, 'models'),
      // A queue so long that only the stall deadline can end a client that stops reading.
      server: { port: 0, clientQueueLimit: 1_000_000, ...(settings.stalledClientMs ? { stalledClientMs: settings.stalledClientMs } : {}) },
    });
    const factory = new FakeSessionFactory(options);
    server = await buildServer({ config, factory, logger: pino({ level: 'silent' }), backend: 'cpu', highWaterBytes: 64 * 1024, ...(settings.heartbeatMs ? { heartbeatMs: settings.heartbeatMs } : {}) });
    await server.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = server.app.server.address() as AddressInfo;
    return { factory, base: `http://127.0.0.1:${port}` };
  }

  const open = async (base: string, options: ProbeOptions = {}): Promise<WsProbe> => {
    const probe = await WsProbe.connect(base, options);
    probes.push(probe);
    probe.send({ type: 'subscribe', session: 'run-01' });
    await probe.waitFor((m) => m.type === 'ack' && m.ref === 'subscribe');
    return probe;
  };

  it('a viewer that stops reading is disconnected at server.stalledClientMs (4503) long before its queue fills; the others get every record', async () => {
    const { base, factory } = await start({ intervalMs: 2, count: 1500, padding: 20_000 }, { stalledClientMs: 300 });
    const fast = await open(base);
    const stalled = await open(base);
    const socket = (stalled.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    socket.pause();
    fast.send({ type: 'start', ref: 'go', spec: { id: 'run-01', source: { kind: 'replay' }, masks: [], events: [] } });
    await fast.waitFor((m) => m.type === 'ack' && m.ref === 'go');
    await factory.sessions.get('run-01')!.done;
    await until(() => fast.trs('run-01').length === 1500, 'every record at the fast client');
    expect(fast.trs('run-01')).toEqual(range(1500));
    socket.resume();
    const closed = await stalled.closed;
    expect(closed.code).toBe(4503);
    expect(closed.reason).toMatch(/^WS_CLIENT_TOO_SLOW: /);
    expect(stalled.error()?.message).toMatch(/the client took no message for 300 ms$/);
    // It got what its socket had taken before it stalled, in order, and then nothing was skipped: it was closed.
    const got = stalled.trs('run-01');
    expect(got).toEqual(range(got.length));
    expect(got.length).toBeLessThan(1500);
  });

  it('a client that stops answering pings is ended by the heartbeat; the others keep receiving', async () => {
    const { base } = await start({ intervalMs: 10 }, { heartbeatMs: 100 });
    const live = await open(base);
    const silent = await open(base, { ws: { autoPong: false } });
    live.send({ type: 'start', ref: 'go', spec: { id: 'run-01', source: { kind: 'replay' }, masks: [], events: [] } });
    const began = Date.now();
    const closed = await silent.closed;
    // The heartbeat terminates the socket without a close frame: the client sees 1006.
    expect(closed.code).toBe(1006);
    expect(Date.now() - began).toBeLessThan(2000);
    const before = live.trs('run-01').length;
    await until(() => live.trs('run-01').length > before + 20, 'more records at the live client');
    expect(live.trs('run-01')).toEqual(range(live.trs('run-01').length));
    expect(silent.trs('run-01').length).toBeGreaterThan(0);
  });
});
