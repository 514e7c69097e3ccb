/**
 * Access on a live server with tokens configured (docs/http-api.md, "Access"): every HTTP route that
 * fastify registered, found from the server itself, refuses a missing or unknown token (401) and a
 * token of the wrong role (403), and lets the right role through; the WebSocket refuses the upgrade
 * without a token and holds each message to the connection's role; pages of other origins are
 * refused. A route added without an access rule fails here.
 */
import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config.js';
import type { VolumePush } from '../../src/generated/boldstream.js';
import { buildServer, routeRules } from '../../src/server/app.js';
import { grants, type Role } from '../../src/server/auth.js';
import { routeKey } from '../../src/server/http-access.js';
import { FakeSessionFactory } from '../helpers/fake-session.js';
import { readRecords, runCli, startTestServer, tempDir, type TestServer, until } from '../helpers/live-server.js';
import { dataPath } from '../helpers/paths.js';
import { floatPush, pushableRun, type PushableRun } from '../helpers/push-volumes.js';
import { WsProbe } from '../helpers/ws-probe.js';

const roles: readonly Role[] = ['viewer', 'experimenter', 'scanner'];
const tokens: Readonly<Record<Role, string>> = { viewer: randomBytes(24).toString('hex'), experimenter: randomBytes(24).toString('hex'), scanner: randomBytes(24).toString('hex') };
const unknownToken = randomBytes(24).toString('hex');
const allowedOrigin = 'https://viewer.example:8443';

/** A concrete URL for a route pattern: a session that does not exist, a viewer file that does. */
function concrete(url: string): string {
  if (url.startsWith('/vendor/')) return '/vendor/uPlot.esm.js';
  const values: Record<string, string> = { id: 'no-such-session', name: 'probe-model', file: 'index.html' };
  return url.replace(/:(\w+)/g, (_, name: string) => values[name] ?? 'x').replace(/\*$/, 'x.png');
}

describe('access with tokens', () => {
  let server: TestServer;
  let run: PushableRun;

  beforeAll(async () => {
    server = await startTestServer({
      overrides: {
        access: { tokens: roles.map((role) => ({ role, token: tokens[role] })) },
        server: { allowedOrigins: [allowedOrigin] },
      },
    });
    run = pushableRun(dataPath('rtcloud-faces', 'rtcloud_faces_run01.nii.gz'));
  });
  afterAll(async () => {
    await server?.close();
  });

  interface Reply {
    readonly status: number;
    /** The catalogue code of an error reply. */
    readonly code: string | undefined;
    readonly authenticate: string | null;
    readonly body: string;
  }

  /** One request, its body read to the end (an unread body would hold the connection open past close). */
  const request = async (method: string, url: string, options: { token?: string; queryToken?: string; origin?: string; body?: unknown } = {}): Promise<Reply> => {
    const target = new URL(url, server.url);
    if (options.queryToken) target.searchParams.set('token', options.queryToken);
    const headers: Record<string, string> = {};
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.origin) headers.origin = options.origin;
    if (method !== 'GET') headers['content-type'] = 'application/json';
    const reply = await fetch(target, { method, headers, ...(method !== 'GET' ? { body: JSON.stringify(options.body ?? {}) } : {}) });
    const body = await reply.text();
    let code: string | undefined;
    try {
      code = (JSON.parse(body) as { error?: { code?: string } }).error?.code;
    } catch {
      code = undefined;
    }
    return { status: reply.status, code, authenticate: reply.headers.get('www-authenticate'), body };
  };

  it('has an access rule for every route the server registered, and none for a route it does not have', () => {
    const registered = [...new Set(server.running.server.routes.map((r) => routeKey(r.method, r.url)))];
    expect(registered.length).toBeGreaterThan(10);
    expect(registered.filter((key) => routeRules[key] === undefined), 'routes without a rule in routeRules (src/server/app.ts)').toEqual([]);
    expect(Object.keys(routeRules).filter((key) => !registered.includes(key)), 'rules for routes that do not exist').toEqual([]);
  });

  it('on every route: a missing or unknown token is 401, a role without the right is 403, the right role passes', async () => {
    const routes = [...new Map(server.running.server.routes.filter((r) => r.method !== 'HEAD').map((r) => [routeKey(r.method, r.url), r])).values()];
    const wrong: string[] = [];
    for (const { method, url } of routes) {
      const rule = routeRules[routeKey(method, url)];
      const target = concrete(url);
      const anonymous = await request(method, target);
      const unknown = await request(method, target, { token: unknownToken });
      if (rule === 'public') {
        if ([401, 403].includes(anonymous.status)) wrong.push(`${method} ${url} without a token: ${anonymous.status}, expected public`);
        continue;
      }
      if (anonymous.status !== 401 || anonymous.code !== 'AUTH_MISSING' || !/^Bearer/.test(anonymous.authenticate ?? '')) {
        wrong.push(`${method} ${url} without a token: ${anonymous.status}, expected 401 AUTH_MISSING with WWW-Authenticate`);
      }
      if (unknown.status !== 401 || unknown.code !== 'AUTH_INVALID') wrong.push(`${method} ${url} with an unknown token: ${unknown.status}, expected 401 AUTH_INVALID`);
      for (const role of roles) {
        const allowed = rule !== undefined && grants[role].has(rule);
        const reply = await request(method, target, { token: tokens[role] });
        const { code } = reply;
        if (allowed && [401, 403].includes(reply.status)) wrong.push(`${method} ${url} as ${role}: ${reply.status} ${code}, expected to pass`);
        if (!allowed && (reply.status !== 403 || code !== 'AUTH_FORBIDDEN')) wrong.push(`${method} ${url} as ${role}: ${reply.status} ${code}, expected 403 AUTH_FORBIDDEN`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('takes the token from ?token= as well (what an <img> or a link can carry)', async () => {
    expect((await request('GET', '/sessions', { queryToken: tokens.viewer })).status).toBe(200);
    expect((await request('GET', '/sessions', { queryToken: unknownToken })).status).toBe(401);
    expect((await request('POST', '/sessions/nothing/stop', { queryToken: tokens.viewer })).status).toBe(403);
  });

  it('keeps /health and the viewer page public, and /health says access is by token', async () => {
    const health = await request('GET', '/health');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toMatchObject({ status: 'ok', access: 'token' });
    expect((await request('GET', '/')).status).toBe(200);
  });

  it('refuses state-changing requests from pages of other origins, even with the right token', async () => {
    const spec = { source: { kind: 'push' }, masks: [] };
    const evil = await request('POST', '/sessions', { token: tokens.experimenter, origin: 'https://evil.example', body: spec });
    expect(evil.status).toBe(403);
    expect(evil.code).toBe('ORIGIN_FORBIDDEN');
    const opaque = await request('POST', '/sessions', { token: tokens.experimenter, origin: 'null', body: spec });
    expect(opaque.code).toBe('ORIGIN_FORBIDDEN');
    const own = new URL(server.url).origin;
    for (const origin of [own, allowedOrigin]) {
      const ok = await request('POST', '/sessions/nothing/stop', { token: tokens.experimenter, origin });
      expect(ok.code, origin).toBe('SESSION_NOT_FOUND');
    }
    // Reading is not state-changing: the token decides.
    expect((await request('GET', '/sessions', { token: tokens.viewer, origin: 'https://evil.example' })).status).toBe(200);
  });

  it('boldstream replay --server takes an experimenter token from --token-file, and is refused without one', async () => {
    const dir = await tempDir('access-cli');
    try {
      const tokenFile = path.join(dir, 'token');
      await writeFile(tokenFile, `# the operator's token\n${tokens.experimenter}\n`);
      const input = dataPath('rtcloud-faces', 'rtcloud_faces_run01.nii.gz');
      const out = path.join(dir, 'records.jsonl');
      await expect(runCli(['replay', input, '--server', server.url, '--out', out])).rejects.toMatchObject({ code: 'AUTH_MISSING', message: expect.stringMatching(/HTTP 401/) });
      const cli = await runCli(['replay', input, '--server', server.url, '--token-file', tokenFile, '--out', out]);
      expect(cli.code, cli.stderr).toBe(0);
      expect((await readRecords(out)).map((r) => r.tr)).toEqual(Array.from({ length: run.frames }, (_, i) => i));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  describe('WebSocket', () => {
    const probes: WsProbe[] = [];
    const connect = async (role: Role, how: 'header' | 'query' = 'header'): Promise<WsProbe> => {
      const probe = await WsProbe.connect(server.url, how === 'header' ? { token: tokens[role] } : { queryToken: tokens[role] });
      probes.push(probe);
      return probe;
    };
    afterAll(() => {
      for (const p of probes) p.ws.terminate();
    });
    const push = (session: string, t: number): VolumePush => floatPush(session, t, run, run.dims, run.frame(t));

    it('refuses the upgrade without a token (401), with an unknown one (401), and from a page of another origin (403)', async () => {
      expect(await WsProbe.open(server.url)).toMatchObject({ status: 401, code: 'AUTH_MISSING', authenticate: expect.stringMatching(/^Bearer/) });
      expect(await WsProbe.open(server.url, { token: unknownToken })).toMatchObject({ status: 401, code: 'AUTH_INVALID' });
      expect(await WsProbe.open(server.url, { queryToken: unknownToken })).toMatchObject({ status: 401, code: 'AUTH_INVALID' });
      expect(await WsProbe.open(server.url, { token: tokens.viewer, origin: 'https://evil.example' })).toMatchObject({ status: 403, code: 'ORIGIN_FORBIDDEN' });
      for (const origin of [new URL(server.url).origin, allowedOrigin]) {
        const page = await WsProbe.open(server.url, { queryToken: tokens.viewer, origin });
        expect(page, origin).toBeInstanceOf(WsProbe);
        (page as WsProbe).ws.terminate();
      }
    });

    it('lets each role do what it may: the experimenter starts and marks, the scanner pushes, the viewer subscribes and receives', async () => {
      const id = 'access-push';
      const experimenter = await connect('experimenter');
      experimenter.send({ type: 'start', ref: 'go', spec: { id, source: { kind: 'push' }, masks: [], events: [], repetitionTime: 1.5 } });
      await experimenter.waitFor((m) => m.type === 'ack' && m.ref === 'go');

      const viewer = await connect('viewer', 'query');
      const welcome = viewer.messages[0]!;
      expect(welcome.type === 'welcome' && welcome.sessions.map((s) => s.id)).toContain(id);
      viewer.send({ type: 'subscribe', session: id });
      await viewer.waitFor((m) => m.type === 'ack' && m.ref === 'subscribe');

      const scanner = await connect('scanner');
      const scannerWelcome = scanner.messages[0]!;
      // A scanner's client is told the protocol, not what sessions run.
      expect(scannerWelcome.type === 'welcome' && scannerWelcome.sessions).toEqual([]);
      scanner.send({ type: 'volume', ...push(id, 0) });
      await scanner.waitFor((m) => m.type === 'ack' && m.ref === 'volume');
      experimenter.send({ type: 'event', session: id, event: { onset: 0, duration: 3, trial_type: 'face' } });
      await experimenter.waitFor((m) => m.type === 'ack' && m.ref === 'event');
      experimenter.send({ type: 'volume', ...push(id, 1) });
      await experimenter.waitFor((m) => m.type === 'ack' && m.ref === 'volume');
      await until(() => viewer.trs(id).length === 2, 'records 0 and 1 at the viewer');

      // Each forbidden message closes its own connection with AUTH_FORBIDDEN; the session goes on.
      const forbidden: Array<[Role, Parameters<WsProbe['send']>[0]]> = [
        ['viewer', { type: 'start', spec: { id: 'viewer-start', source: { kind: 'push' }, masks: [], events: [] } }],
        // Small: a viewer's messages are capped at 64 KiB before their type is even read (below).
        ['viewer', { type: 'volume', ...floatPush(id, 9, run, [2, 2, 1], new Float32Array(4)) }],
        ['viewer', { type: 'event', session: id, event: { duration: 1 } }],
        ['viewer', { type: 'end', session: id }],
        ['scanner', { type: 'subscribe', session: id }],
        ['scanner', { type: 'start', spec: { id: 'scanner-start', source: { kind: 'push' }, masks: [], events: [] } }],
        ['scanner', { type: 'end', session: id }],
      ];
      let next = 2;
      for (const [role, message] of forbidden) {
        const probe = await connect(role);
        probe.send(message);
        const closed = await probe.closed;
        expect(closed.code, `${role} ${message.type}`).toBe(4403);
        expect(closed.reason).toMatch(/^AUTH_FORBIDDEN/);
        expect(probe.error()?.code).toBe('AUTH_FORBIDDEN');
        expect(probe.error()?.message).toMatch(new RegExp(`${message.type} message needs a role with`));
        scanner.send({ type: 'volume', ...push(id, next) });
        next++;
        await until(() => viewer.trs(id).length === next, `record ${next - 1} at the viewer after a refused ${role} ${message.type}`);
      }
      // A viewer never sends more than small control messages: a real volume is refused by its size.
      const bulky = await connect('viewer');
      bulky.send({ type: 'volume', ...floatPush(id, 50, run, run.dims, run.frame(0)) });
      expect((await bulky.closed).code).toBe(1009);
      expect(viewer.trs(id)).toEqual(Array.from({ length: next }, (_, i) => i));
      experimenter.send({ type: 'end', session: id });
      await experimenter.waitFor((m) => m.type === 'ack' && m.ref === 'end');
      expect(viewer.error()).toBeUndefined();
    });
  });
});

describe('access without tokens, and logs', () => {
  /** Log lines the server wrote, as text. */
  const sink = () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    return { lines, logger: pino({ level: 'info' }, stream) };
  };

  it('stays open with a warning at start, and /health says so', async () => {
    const root = await tempDir('access-open');
    const { lines, logger } = sink();
    const server = await buildServer({ config: defaultConfig({ dataDir: root, recordingsDir: `${root}/rec`, modelsDir: `${root}/models` }), factory: new FakeSessionFactory(), logger, backend: 'cpu' });
    try {
      expect(server.open).toBe(true);
      expect(lines.join('')).toMatch(/"level":40.*no access tokens are configured/);
      const health = await server.app.inject({ method: 'GET', url: '/health' });
      expect(health.json()).toMatchObject({ access: 'open' });
      expect((await server.app.inject({ method: 'GET', url: '/sessions' })).statusCode).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('never writes a token, given in the URL or a header, to the log', async () => {
    const root = await tempDir('access-log');
    const { lines, logger } = sink();
    const token = randomBytes(24).toString('hex');
    const config = defaultConfig({ dataDir: root, recordingsDir: `${root}/rec`, modelsDir: `${root}/models`, access: { tokens: [{ role: 'viewer', token }] } });
    const server = await buildServer({ config, factory: new FakeSessionFactory(), logger, backend: 'cpu' });
    try {
      expect(lines.join('')).not.toMatch(/no access tokens/);
      const ok = await server.app.inject({ method: 'GET', url: `/sessions?token=${token}&x=1` });
      expect(ok.statusCode).toBe(200);
      const refused = await server.app.inject({ method: 'POST', url: `/sessions/a/stop?token=${token}` });
      expect(refused.statusCode).toBe(403);
      const header = await server.app.inject({ method: 'GET', url: '/sessions/a', headers: { authorization: `Bearer ${token}` } });
      expect(header.statusCode).toBe(404);
      const log = lines.join('');
      expect(log).toMatch(/\/sessions\?x=1/);
      expect(log).not.toContain(token);
    } finally {
      await server.close();
    }
  });
});
