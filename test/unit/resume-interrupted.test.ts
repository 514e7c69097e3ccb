/**
 * What the hub does at start with recordings of sessions that were running when the server died
 * (docs/durability.md), and how it tells /health of a late source. The resume of a push session
 * itself, through the real server killed with SIGKILL, is test/integration/crash-resume.test.ts.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config.js';
import type { SessionInfo } from '../../src/generated/boldstream.js';
import { Recorder } from '../../src/record/index.js';
import { degradations } from '../../src/server/health.js';
import { Hub } from '../../src/server/hub.js';
import { FakeSessionFactory } from '../helpers/fake-session.js';

describe('interrupted sessions and late sources', () => {
  let root: string;

  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'boldstream-resume-'));
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const hubOn = (factory = new FakeSessionFactory()) => new Hub({ config: defaultConfig({ recordingsDir: root }), factory, logger: pino({ level: 'silent' }) });

  it('closes an interrupted session it cannot resume as failed with SESSION_INTERRUPTED, and leaves ended ones alone', async () => {
    const spec = (id: string) => ({ id, source: { kind: 'replay', path: '/nowhere' }, masks: [], events: [] });
    const crashed = await Recorder.create(path.join(root, 'cut-short'), spec('cut-short'));
    await crashed.update({ ...crashed.info, state: 'running' });
    // A record written before the crash; the files were never closed.
    crashed.appendRecord({ tr: 0, error: { code: 'VOLUME_MISSING', message: 'x' } });
    await crashed.flush();
    const finished = await Recorder.create(path.join(root, 'finished'), spec('finished'));
    await finished.close({ ...finished.info, state: 'ended', endedAt: Date.now() });

    const hub = hubOn();
    expect(await hub.resumeInterrupted()).toEqual({ resumed: [], closed: ['cut-short'] });
    const doc = JSON.parse(await readFile(path.join(root, 'cut-short', 'session.json'), 'utf8')) as { info: SessionInfo };
    expect(doc.info).toMatchObject({ state: 'failed', error: { code: 'SESSION_INTERRUPTED' } });
    expect(JSON.parse(await readFile(path.join(root, 'finished', 'session.json'), 'utf8'))).toMatchObject({ info: { state: 'ended' } });
    expect(hub.list()).toEqual([]);
    await crashed.close().catch(() => undefined);
  });

  it('holds a session as late from "behind" until "caught up", and /health says so', async () => {
    const factory = new FakeSessionFactory();
    const hub = hubOn(factory);
    await hub.start({ id: 'live', source: { kind: 'push' }, masks: [], events: [] });
    await new Promise((resolve) => setImmediate(resolve));
    const session = factory.sessions.get('live')!;
    session.status$.next({ info: session.info(), detail: 'behind: TR 7 arrived 9.0 s (4.5 TRs) after its slot on the TR clock' });
    expect(hub.stalled()).toEqual([{ session: 'live', detail: expect.stringMatching(/^behind: TR 7/) }]);
    const health = degradations({ backend: null, stalled: hub.stalled(), disk: { freeMb: 10_000 }, minFreeDiskMb: 1024 });
    expect(health).toEqual([expect.objectContaining({ what: 'source', kind: 'behind', session: 'live' })]);
    session.status$.next({ info: session.info(), detail: 'caught up: TR 9 arrived within one TR of its slot' });
    expect(hub.stalled()).toEqual([]);
    await hub.close();
  });
});
