import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultConfig, type Config } from '../../src/config.js';
import { bundleFiles, type ModelBundle } from '../../src/decode/bundle.js';
import { identity4 } from '../../src/geometry/mat4.js';
import { buildServer, type BoldstreamServer } from '../../src/server/app.js';
import { packMsgpack } from '../../src/server/codec.js';
import { FakeSessionFactory } from '../helpers/fake-session.js';

const bundle: ModelBundle = {
  method: 'ridge',
  scoreKind: 'decision',
  labels: ['face', 'house'],
  voxelIndices: Int32Array.from([0, 1, 2]),
  grid: { dims: [4, 4, 4], affine: identity4() },
  mask: null,
  weights: new Float32Array(6).fill(0.1),
  bias: new Float32Array(2),
  featureMean: new Float32Array(3),
  featureStd: new Float32Array(3).fill(1),
  strength: 1,
  hrfDelaySec: 5,
  features: 'psc',
  baselineLagVolumes: 10,
  training: { runs: ['run-1'], samplesPerLabel: { face: 10, house: 10 }, createdAt: new Date().toISOString(), software: { name: 'boldstream', version: '0.1.0' }, crossValidation: null },
};

const base64Files = (files: Record<string, Uint8Array>) => Object.fromEntries(Object.entries(files).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));

describe('HTTP API', () => {
  let root: string;
  let config: Config;
  let server: BoldstreamServer;
  let factory: FakeSessionFactory;

  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'boldstream-http-'));
    await mkdir(path.join(root, 'data', 'sub-01'), { recursive: true });
    config = defaultConfig({ dataDir: path.join(root, 'data'), recordingsDir: path.join(root, 'recordings'), modelsDir: path.join(root, 'models') });
    factory = new FakeSessionFactory({ intervalMs: 1, count: 10, recordingsDir: config.recordingsDir });
    server = await buildServer({ config, factory, logger: pino({ level: 'silent' }), backend: 'cpu' });
  });
  afterEach(async () => {
    await server.close();
    await rm(root, { recursive: true, force: true });
  });

  const inject = server_inject;
  function server_inject(method: 'GET' | 'POST', url: string, body?: unknown, headers: Record<string, string> = {}) {
    return server.app.inject({ method, url, ...(body !== undefined ? { payload: body as string } : {}), headers });
  }

  it('GET /health', async () => {
    const res = await inject('GET', '/health');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'ok', protocol: 1, backend: 'cpu', sessions: 0 });
    expect(typeof res.json().uptimeS).toBe('number');
    expect(typeof res.json().version).toBe('string');
  });

  it('starts, lists, inspects, marks, stops a session and serves its records', async () => {
    const created = await inject('POST', '/sessions', { id: 'run-01', source: { kind: 'replay', path: 'sub-01/bold.nii.gz' } });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ id: 'run-01', source: { kind: 'replay', path: path.join(config.dataDir, 'sub-01/bold.nii.gz') } });
    expect((await inject('GET', '/sessions')).json().sessions.map((s: { id: string }) => s.id)).toEqual(['run-01']);
    expect((await inject('GET', '/sessions/run-01')).json().id).toBe('run-01');

    const marked = await inject('POST', '/sessions/run-01/events', { onset: 3, duration: 1, trial_type: 'face' });
    expect(marked.statusCode).toBe(202);
    expect(factory.sessions.get('run-01')!.events).toEqual([{ onset: 3, duration: 1, trial_type: 'face' }]);

    await factory.sessions.get('run-01')!.done;
    const stopped = await inject('POST', '/sessions/run-01/stop');
    expect(stopped.json().state).toBe('ended');

    const records = await inject('GET', '/sessions/run-01/records');
    expect(records.statusCode).toBe(200);
    expect(records.headers['content-type']).toMatch(/application\/x-ndjson/);
    const lines = records.body.trim().split('\n').map((l) => JSON.parse(l) as { tr: number });
    expect(lines.map((r) => r.tr)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('answers every error as {error: {code, message}} with the catalogue status', async () => {
    const expectError = async (res: Awaited<ReturnType<typeof inject>>, status: number, code: string, message?: RegExp) => {
      expect(res.statusCode).toBe(status);
      expect(res.json().error.code).toBe(code);
      if (message) expect(res.json().error.message).toMatch(message);
    };
    await expectError(await inject('GET', '/sessions/ghost'), 404, 'SESSION_NOT_FOUND');
    await expectError(await inject('POST', '/sessions/ghost/stop'), 404, 'SESSION_NOT_FOUND');
    await expectError(await inject('POST', '/sessions', { source: { kind: 'replay', path: 7 } }), 400, 'HTTP_BAD_REQUEST', /body\.source\.path: expected a string/);
    await expectError(await inject('POST', '/sessions', { masks: [] }), 400, 'HTTP_BAD_REQUEST', /body\.source: required/);
    await expectError(await inject('POST', '/sessions', { source: { kind: 'replay', path: '../../../etc/passwd' } }), 403, 'PATH_OUTSIDE_DATA');
    await expectError(await inject('POST', '/sessions', { source: { kind: 'push' }, masks: [{ name: 'm', path: '/etc/hosts' }] }), 403, 'PATH_OUTSIDE_DATA');
    await expectError(await inject('POST', '/sessions', '{"source":', { 'content-type': 'application/json' }), 400, 'HTTP_BAD_REQUEST');
    await expectError(await inject('GET', '/no/such/route'), 404, 'HTTP_NOT_FOUND');
    await inject('POST', '/sessions', { id: 'dup', source: { kind: 'push' } });
    await expectError(await inject('POST', '/sessions', { id: 'dup', source: { kind: 'push' } }), 409, 'SESSION_EXISTS');
    await expectError(await inject('POST', '/sessions/dup/events', { duration: 'long' }), 400, 'HTTP_BAD_REQUEST', /body\.duration/);
    await expectError(await inject('POST', '/sessions/dup/events', { duration: 1, stim_file: 'x'.repeat(70_000) }), 413, 'HTTP_BODY_TOO_LARGE');
  });

  it('accepts a session spec in msgpack with a mask file as binary', async () => {
    const body = packMsgpack({ id: 'mp', source: { kind: 'push' }, masks: [{ name: 'FFA', nifti: new Uint8Array([1, 2, 3]) }] });
    const res = await server.app.inject({ method: 'POST', url: '/sessions', payload: Buffer.from(body), headers: { 'content-type': 'application/msgpack' } });
    expect(res.statusCode).toBe(201);
    expect(factory.sessions.get('mp')!.spec.masks[0]!.nifti).toEqual(new Uint8Array([1, 2, 3]));
  });

  describe('models', () => {
    it('stores an uploaded bundle (JSON, base64) and lists it', async () => {
      const res = await inject('POST', '/models/faces-v1', { files: base64Files(bundleFiles(bundle)) });
      expect(res.statusCode).toBe(201);
      expect(res.json().files.map((f: { name: string }) => f.name)).toEqual(['bundle.json', 'weights.f32']);
      const list = (await inject('GET', '/models')).json();
      expect(list.models.map((m: { name: string }) => m.name)).toEqual(['faces-v1']);
      expect(await readdir(config.modelsDir)).toEqual(['faces-v1']);
    });

    it('stores an uploaded bundle sent as msgpack, replacing the previous one', async () => {
      await inject('POST', '/models/faces-v1', { files: base64Files(bundleFiles(bundle)) });
      const body = packMsgpack({ files: bundleFiles({ ...bundle, strength: 2 }) });
      const res = await server.app.inject({ method: 'POST', url: '/models/faces-v1', payload: Buffer.from(body), headers: { 'content-type': 'application/msgpack' } });
      expect(res.statusCode).toBe(201);
      expect(await readdir(config.modelsDir)).toEqual(['faces-v1']);
    });

    it('refuses an invalid bundle with MODEL_INVALID and writes nothing', async () => {
      const res = await inject('POST', '/models/broken', { files: { 'bundle.json': Buffer.from('{"format": 1}').toString('base64') } });
      expect(res.statusCode).toBe(422);
      expect(res.json().error.code).toBe('MODEL_INVALID');
      expect((await inject('GET', '/models')).json().models).toEqual([]);
    });

    it('refuses names that are paths (PATH_OUTSIDE_DATA) and other bad names (HTTP_BAD_REQUEST)', async () => {
      const files = { files: base64Files(bundleFiles(bundle)) };
      // (A bare /models/.. never reaches the route: URL parsing resolves the dots first.)
      for (const url of ['/models/..%2F..%2Fetc', '/models/a%2Fb', '/models/..%5Cx']) {
        const res = await inject('POST', url, files);
        expect(res.statusCode, url).toBe(403);
        expect(res.json().error.code).toBe('PATH_OUTSIDE_DATA');
      }
      const spaced = await inject('POST', '/models/with%20space', files);
      expect(spaced.statusCode).toBe(400);
      expect(spaced.json().error.code).toBe('HTTP_BAD_REQUEST');
      const traversal = await inject('POST', '/models/ok', { files: { '../../evil.json': Buffer.from('{}').toString('base64') } });
      expect(traversal.json().error.code).toBe('PATH_OUTSIDE_DATA');
      const notBase64 = await inject('POST', '/models/ok', { files: { 'bundle.json': '***' } });
      expect(notBase64.json().error.code).toBe('HTTP_BAD_REQUEST');
      expect(await readdir(root)).not.toContain('evil.json');
    });
  });

  describe('web viewer', () => {
    it('serves index.html at / and its script', async () => {
      const index = await inject('GET', '/');
      expect(index.statusCode).toBe(200);
      expect(index.headers['content-type']).toMatch(/text\/html/);
      const script = await inject('GET', '/app.js');
      expect(script.statusCode).toBe(200);
      expect(script.headers['content-type']).toMatch(/javascript/);
    });

    it('serves nothing outside clients/web', async () => {
      await writeFile(path.join(root, 'secret.js'), 'x');
      for (const url of ['/..%2Fsecret.js', '/%2E%2E/package.json', '/nope.js', '/package.json']) {
        const res = await inject('GET', url);
        expect(res.statusCode, url).toBe(404);
      }
    });
  });
});
