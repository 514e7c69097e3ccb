/**
 * Durability (docs/durability.md): the real server in a child process is killed with SIGKILL halfway
 * through a push session, and restarted on the same recordings folder. The session is back, running,
 * under its id; the scanner-side client pushes the rest of the run to it; every TR 0..9 is in
 * GET /sessions/:id/records exactly once, and `boldstream replay <recording>` gives the same records.
 *
 * To be sure a record lost in the crash is made again (not only that nothing was lost this time),
 * the last line of records.jsonl is torn in half before the restart, as a crash mid-write leaves it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BoldstreamClient } from '../../src/client/client.js';
import type { SessionInfo, VolumePush } from '../../src/generated/boldstream.js';
import { openReplaySource } from '../../src/ingest/sources/replay.js';
import type { SessionRecord } from '../../src/session/types.js';
import type { Volume } from '../../src/volume.js';
import { readRecords, runCli, tempDir, until, withoutTiming } from '../helpers/live-server.js';
import { dataPath, repoRoot, sharedData } from '../helpers/paths.js';

const dicomDir = dataPath('rtcloud-faces', 'dicom');
const amygdala = dataPath('rtcloud-faces', 'L_AMYG_thrp5_bin_resampled_space-native.nii.gz');
const ID = 'crash-resume';
const HALF = 5;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** `boldstream serve` in a child process; resolves with its URL once it listens. */
function serve(configFile: string): Promise<{ child: ChildProcess; url: string; log: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/bin.ts', 'serve', '--config', configFile], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /boldstream listening on (\S+)/.exec(out);
      if (m) resolve({ child, url: m[1]!, log: () => out });
    });
    child.once('exit', (code) => reject(new Error(`server exited (${code}) before listening:\n${out}`)));
  });
}

function toPush(volume: Volume): VolumePush {
  return {
    session: ID,
    index: volume.identity.index,
    dims: [...volume.grid.dims],
    voxelSize: [...volume.grid.voxelSize],
    affine: Array.from(volume.grid.affine),
    dtype: 'float32',
    data: new Uint8Array(volume.data.buffer, volume.data.byteOffset, volume.data.byteLength),
    ...(volume.acquisitionTime !== null ? { acquisitionTime: volume.acquisitionTime } : {}),
    ...(volume.repetitionTime !== null ? { repetitionTime: volume.repetitionTime } : {}),
    warnings: [],
  };
}

async function dicomVolumes(): Promise<Volume[]> {
  const source = await openReplaySource(dicomDir, { speed: 0 });
  const volumes: Volume[] = [];
  await new Promise<void>((resolve, reject) =>
    source.items().subscribe({ next: (item) => item.kind === 'volume' && volumes.push(item.volume), error: reject, complete: resolve }),
  );
  return volumes;
}

describe('a push session survives kill -9 of the server', () => {
  const children: ChildProcess[] = [];
  let root: string | undefined;

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('resumes from its recording: TRs 0..9 once each, and the recording replays to the same records', async () => {
    root = await tempDir('crash-resume');
    const recordings = path.join(root, 'recordings');
    const configFile = path.join(root, 'config.json');
    const port = await freePort();
    await writeFile(
      configFile,
      JSON.stringify({ dataDir: sharedData, recordingsDir: recordings, modelsDir: path.join(root, 'models'), computeBackend: 'cpu', logLevel: 'warn', server: { host: '127.0.0.1', port } }),
    );
    const volumes = await dicomVolumes();
    expect(volumes).toHaveLength(10);
    const tr = volumes[0]!.repetitionTime ?? undefined;

    // First life: start, push half the run, see its records, then SIGKILL.
    const first = await serve(configFile);
    children.push(first.child);
    const seen: SessionRecord[] = [];
    const a = await BoldstreamClient.connect(first.url, { onRecord: (s, r) => s === ID && seen.push(r) });
    await a.subscribe(ID);
    await a.start({ id: ID, source: { kind: 'push' }, masks: [{ name: 'amygdala', nifti: new Uint8Array(await readFile(amygdala)) }], events: [], ...(tr !== undefined ? { repetitionTime: tr } : {}) });
    for (const v of volumes.slice(0, HALF)) await a.push(toPush(v));
    await until(() => seen.length === HALF, 'the first half of the records');
    const killedAt = performance.now();
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));
    a.close();

    const recording = path.join(recordings, ID);
    const session = JSON.parse(await readFile(path.join(recording, 'session.json'), 'utf8')) as { info: SessionInfo };
    expect(session.info.state).toBe('running');
    // The kill itself may have taken the last record (sent, not yet written): that happens in some
    // runs. When it did not, tear the last record line, as a crash in the middle of writing it would.
    const recordsFile = path.join(recording, 'records.jsonl');
    const text = await readFile(recordsFile, 'utf8');
    const lastLine = text.slice(text.lastIndexOf('\n', text.length - 2) + 1);
    const lastTr = lastLine.endsWith('\n') ? (JSON.parse(lastLine) as SessionRecord).tr : -1;
    if (lastTr === HALF - 1) await truncate(recordsFile, (await stat(recordsFile)).size - Math.ceil(lastLine.length / 2));
    const lostBy = lastTr === HALF - 1 ? 'tear' : 'kill';

    // Second life: the session is back, running, and takes the rest of the run under its id.
    const second = await serve(configFile);
    children.push(second.child);
    const restartMs = performance.now() - killedAt;
    const info = (await (await fetch(`${second.url}/sessions/${ID}`)).json()) as SessionInfo;
    expect(info.state).toBe('running');
    const later: SessionRecord[] = [];
    let ended!: (info: SessionInfo) => void;
    const finished = new Promise<SessionInfo>((resolve) => (ended = resolve));
    const b = await BoldstreamClient.connect(second.url, {
      onRecord: (s, r) => s === ID && later.push(r),
      onStatus: (i) => i.id === ID && (i.state === 'ended' || i.state === 'failed') && ended(i),
    });
    try {
      await b.subscribe(ID);
      for (const v of volumes.slice(HALF)) await b.push(toPush(v));
      await b.end(ID);
      expect((await finished).state).toBe('ended');
    } finally {
      b.close();
    }
    // TR 4 (at least), whose record the tear or the kill took, is made again from the recorded volume;
    // a client subscribed by then gets it once more (the same record), and the rest of the run once each.
    expect(later.map((r) => r.tr).filter((t) => t >= HALF)).toEqual([5, 6, 7, 8, 9]);
    const again = later.map((r) => r.tr).filter((t) => t < HALF);
    expect(new Set(again).size).toBe(again.length);

    const served = (await (await fetch(`${second.url}/sessions/${ID}/records`)).text())
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as SessionRecord);
    expect(served.map((r) => r.tr)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(served.filter((r) => 'error' in r && r.error !== undefined)).toEqual([]);
    // What clients had live, before and after the crash, is what the recording holds.
    const live = [...seen, ...later];
    for (const r of live) expect(withoutTiming(served.find((s) => s.tr === r.tr)!), `TR ${r.tr}`).toEqual(withoutTiming(r));

    const replayed = path.join(root, 'replayed.jsonl');
    expect((await runCli(['replay', recording, '--out', replayed])).code).toBe(0);
    expect((await readRecords(replayed)).map(withoutTiming)).toEqual(served.map(withoutTiming));

    second.child.kill('SIGTERM');
    await new Promise((resolve) => second.child.once('exit', resolve));
    const closed = JSON.parse(await readFile(path.join(recording, 'session.json'), 'utf8')) as { info: SessionInfo };
    expect(closed.info).toMatchObject({ state: 'ended', records: 10 });
    console.info(`crash-resume: last record lost by ${lostBy}; restart to a listening server with the session resumed in ${Math.round(restartMs)} ms`);
  }, 120_000);
});
