/**
 * The HTTP routes the browser viewer stands on, with the fake session factory (recorded with the real
 * Recorder): the page and every module it imports (so the shipped folder is complete without a build
 * step), uPlot from the installed package, GET /recordings for the session picker, and the true
 * stimulus of a trial (GET /sessions/:id/stimuli/<stim_file>) found from a session's source, through
 * chains of replayed recordings, after a server restart, and never outside the stimuli folder.
 */
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultConfig, type Config } from '../../src/config.js';
import { buildServer, type BoldstreamServer } from '../../src/server/app.js';
import { FakeSessionFactory } from '../helpers/fake-session.js';
import { until } from '../helpers/live-server.js';

const PNG_BYTES = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');

describe('viewer routes', () => {
  let root: string;
  let config: Config;
  let factory: FakeSessionFactory;
  let server: BoldstreamServer;

  const start = async () => {
    factory = new FakeSessionFactory({ intervalMs: 1, count: 3, recordingsDir: config.recordingsDir });
    server = await buildServer({ config, factory, logger: pino({ level: 'silent' }), backend: 'cpu' });
  };
  const get = (url: string) => server.app.inject({ method: 'GET', url });
  const post = (url: string, body: unknown) => server.app.inject({ method: 'POST', url, payload: body as string });
  /** Starts a session and waits until it has ended and its recording is closed. */
  const run = async (id: string, source: { kind: string; path: string }) => {
    const res = await post('/sessions', { id, source });
    expect(res.statusCode, res.body).toBe(201);
    await factory.sessions.get(id)!.done;
  };

  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'boldstream-viewer-routes-'));
    // A BIDS-like dataset: the run under sub-01/func, its stimuli at the dataset root.
    const dataset = path.join(root, 'data', 'ds');
    await mkdir(path.join(dataset, 'sub-01', 'func'), { recursive: true });
    await mkdir(path.join(dataset, 'stimuli', 'test'), { recursive: true });
    await writeFile(path.join(dataset, 'sub-01', 'func', 'sub-01_task-x_run-01_bold.nii.gz'), '');
    await writeFile(path.join(dataset, 'stimuli', 'test', 'letter-E.png'), PNG_BYTES);
    await writeFile(path.join(dataset, 'stimuli', 'notes.txt'), 'not an image');
    await writeFile(path.join(root, 'secret.png'), 'outside the data folder');
    config = defaultConfig({ dataDir: path.join(root, 'data'), recordingsDir: path.join(root, 'recordings'), modelsDir: path.join(root, 'models') });
    await start();
  });
  afterEach(async () => {
    await server.close();
    await rm(root, { recursive: true, force: true });
  });

  describe('the page', () => {
    /** Relative and absolute module specifiers a script imports (`import … from '…'`). */
    const importsOf = (source: string): string[] => [...source.matchAll(/^\s*import\s[^'"]*['"]([^'"]+)['"]/gm)].map((m) => m[1]!);

    it('serves every module the page imports, from its script tag down, as JavaScript', async () => {
      const index = await get('/');
      expect(index.statusCode).toBe(200);
      const entry = /<script type="module" src="([^"]+)">/.exec(index.body)?.[1];
      expect(entry).toBe('app.js');
      const seen = new Set<string>();
      const queue = [`/${entry}`];
      while (queue.length > 0) {
        const url = queue.shift()!;
        if (seen.has(url)) continue;
        seen.add(url);
        const res = await get(url);
        expect(res.statusCode, url).toBe(200);
        expect(res.headers['content-type'], url).toMatch(/^text\/javascript/);
        if (url.startsWith('/vendor/')) continue;
        for (const spec of importsOf(res.body)) queue.push(spec.startsWith('/') ? spec : `/${path.posix.normalize(spec)}`);
      }
      // The viewer is split into modules, and the chart library is the installed uPlot.
      expect(seen).toContain('/vendor/uPlot.esm.js');
      expect(seen.size).toBeGreaterThanOrEqual(8);
    });

    it('serves the style sheets and icon the page links', async () => {
      const index = await get('/');
      const links = [...index.body.matchAll(/<link [^>]*href="([^"]+)"/g)].map((m) => m[1]!);
      expect(links).toEqual(expect.arrayContaining(['/vendor/uPlot.min.css', 'style.css', 'favicon.svg']));
      for (const link of links) {
        const res = await get(link.startsWith('/') ? link : `/${link}`);
        expect(res.statusCode, link).toBe(200);
      }
      expect((await get('/vendor/uPlot.min.css')).headers['content-type']).toMatch(/^text\/css/);
      expect((await get('/favicon.svg')).headers['content-type']).toBe('image/svg+xml');
    });

    it('serves only the listed uPlot files under /vendor', async () => {
      const esm = await get('/vendor/uPlot.esm.js');
      expect(esm.body).toMatch(/export\s*\{[^}]*default/);
      for (const url of ['/vendor/uPlot.cjs.js', '/vendor/package.json', '/vendor/..%2F..%2Fpackage.json', '/vendor/']) {
        expect((await get(url)).statusCode, url).toBe(404);
      }
    });
  });

  describe('GET /recordings', () => {
    it('is empty before anything was recorded (no recordings folder yet)', async () => {
      const res = await get('/recordings');
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ recordings: [] });
    });

    it('lists recordings newest first with their SessionInfo, and skips folders that are not recordings', async () => {
      await run('run-01', { kind: 'replay', path: 'ds/sub-01/func/sub-01_task-x_run-01_bold.nii.gz' });
      await new Promise((resolve) => setTimeout(resolve, 5)); // distinct startedAt
      await run('run-02', { kind: 'recording', path: 'run-01' });
      await mkdir(path.join(config.recordingsDir, 'not-a-recording'));
      await writeFile(path.join(config.recordingsDir, 'not-a-recording', 'session.json'), '{"format": "something else"}');
      await writeFile(path.join(config.recordingsDir, 'a-file.json'), '{}');
      const { recordings } = (await get('/recordings')).json() as { recordings: { id: string; state: string; records: number; source: { kind: string } }[] };
      expect(recordings.map((r) => r.id)).toEqual(['run-02', 'run-01']);
      expect(recordings[0]).toMatchObject({ state: 'ended', records: 3, source: { kind: 'recording' } });
      expect(recordings[1]).toMatchObject({ state: 'ended', records: 3, source: { kind: 'replay' } });
    });

    it('still lists them after a restart, when the server runs no session', async () => {
      await run('run-01', { kind: 'replay', path: 'ds/sub-01/func/sub-01_task-x_run-01_bold.nii.gz' });
      await server.close();
      await start();
      expect((await get('/sessions')).json().sessions).toEqual([]);
      expect((await get('/recordings')).json().recordings.map((r: { id: string }) => r.id)).toEqual(['run-01']);
    });
  });

  describe('GET /sessions/:id/stimuli/<stim_file>', () => {
    const stimulus = '/stimuli/test/letter-E.png';

    it('serves the image from the stimuli folder at the root of the dataset the run comes from', async () => {
      await post('/sessions', { id: 'run-01', source: { kind: 'replay', path: 'ds/sub-01/func/sub-01_task-x_run-01_bold.nii.gz' } });
      const res = await get(`/sessions/run-01${stimulus}`);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('image/png');
      expect(res.rawPayload.equals(PNG_BYTES)).toBe(true);
      await until(() => factory.sessions.get('run-01')!.info().state === 'ended', 'run-01 to end');
    });

    it('follows replayed recordings back to the run, however many replays deep, also after a restart', async () => {
      await run('run-01', { kind: 'replay', path: 'ds/sub-01/func/sub-01_task-x_run-01_bold.nii.gz' });
      await run('run-02', { kind: 'recording', path: 'run-01' });
      await run('run-03', { kind: 'recording', path: 'run-02' });
      await run('run-04', { kind: 'recording', path: 'run-03' });
      for (const id of ['run-02', 'run-04']) expect((await get(`/sessions/${id}${stimulus}`)).statusCode, id).toBe(200);
      await server.close();
      await start();
      // No session runs now: the recordings' session.json files say where each came from.
      for (const id of ['run-01', 'run-04']) expect((await get(`/sessions/${id}${stimulus}`)).statusCode, id).toBe(200);
    });

    it('answers 404 for an unknown session, a missing image, a file that is not an image, and a source without stimuli', async () => {
      expect((await get(`/sessions/nobody${stimulus}`)).json().error.code).toBe('SESSION_NOT_FOUND');
      await run('run-01', { kind: 'replay', path: 'ds/sub-01/func/sub-01_task-x_run-01_bold.nii.gz' });
      const missing = await get('/sessions/run-01/stimuli/test/letter-Q.png');
      expect(missing.statusCode).toBe(404);
      expect(missing.json().error.code).toBe('HTTP_NOT_FOUND');
      expect((await get('/sessions/run-01/stimuli/notes.txt')).statusCode).toBe(404);
      // A push session has no file to start from, so no dataset either.
      expect((await post('/sessions', { id: 'pushed', source: { kind: 'push' } })).statusCode).toBe(201);
      expect((await get(`/sessions/pushed${stimulus}`)).statusCode).toBe(404);
      await post('/sessions/pushed/stop', {});
    });

    it('never serves a file outside the stimuli folder, by ../ or by a link', async () => {
      await run('run-01', { kind: 'replay', path: 'ds/sub-01/func/sub-01_task-x_run-01_bold.nii.gz' });
      await symlink(path.join(root, 'secret.png'), path.join(root, 'data', 'ds', 'stimuli', 'test', 'link.png'));
      for (const url of ['/sessions/run-01/stimuli/..%2F..%2F..%2Fsecret.png', '/sessions/run-01/stimuli/test%2F..%2F..%2F..%2F..%2Fsecret.png', '/sessions/run-01/stimuli/test/link.png']) {
        const res = await get(url);
        expect(res.statusCode, url).toBe(403);
        expect(res.json().error.code, url).toBe('PATH_OUTSIDE_DATA');
      }
      expect((await get('/sessions/..%2Fsecret/stimuli/test/letter-E.png')).statusCode).toBeGreaterThanOrEqual(400);
    });
  });
});
