/**
 * The Python client (clients/python, the stimulus computer's side) against a real server: Debian's
 * /usr/bin/python3 runs clients/python/tests/live_replay.py with the package from the source tree.
 * The script is refused for protocol 0 and 2 (in the URL and in hello), starts a replay of a small
 * simulated subject with a pixels feature model, subscribes, sends the run's trial markers (trial_type
 * and stim_file), reads records, reconstruction frames and feedback, catches up from TR 0 on a second
 * connection in JSON, ends the session and prints what it saw; this test holds that against the
 * server's own recording. The package's unittest suite runs too.
 *
 * Skipped (and says so) only where /usr/bin/python3 lacks msgpack or websockets (Debian:
 * python3-msgpack, python3-websockets; .ci/run installs them).
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEvents } from '../../src/ingest/bids/index.js';
import { readRecords, startTestServer, tempDir, type TestServer } from '../helpers/live-server.js';
import { referencePython, repoRoot } from '../helpers/paths.js';
import { simulateSmallSubject, trainFeatureBundle } from '../helpers/simulated-subject.js';

const python = referencePython;
const packageSrc = path.join(repoRoot, 'clients', 'python', 'src');
const pythonEnv = { ...process.env, PYTHONPATH: packageSrc, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1' };

const probe = spawnSync(python, ['-c', 'import msgpack, websockets; print(websockets.__version__)'], { encoding: 'utf8' });
const missing = probe.status === 0 ? null : `${python} lacks msgpack/websockets (apt-get install python3-msgpack python3-websockets): ${(probe.stderr || String(probe.error)).trim().split('\n').at(-1)}`;
if (missing) console.warn(`python-client tests skipped: ${missing}`);

const SESSION = 'py-stim-01';
const STOP_TR = 40;

interface Refusal {
  where: 'url' | 'hello';
  encoding?: string;
  stated: number;
  refused: boolean;
  code?: string;
  close?: number;
  message?: string;
}
interface SeenRecord {
  tr: number;
  visual: number | null;
  error: string | null;
}
interface SeenFrame {
  session: string;
  trial: number;
  tr: number;
  iteration: number;
  width: number;
  height: number;
  space: string;
  stim_file: string | null;
  signature: boolean;
  bytes: number;
  /** base64, for the first five frames */
  png: string | null;
}
interface Report {
  refusals: Refusal[];
  welcome: { protocol: number; server: string };
  started: string;
  markers: number;
  records: SeenRecord[];
  feedback: { tr: number; value: number | null; roi: string | null; warmingUp: boolean }[];
  frames: SeenFrame[];
  catchUp: number[];
  newest: { tr: number; value: number };
  timeout: { raised: boolean; elapsed?: number; message?: string };
  info: { id: string; state: string; records: number };
  seconds: number;
}

function run(args: readonly string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, args, { env: pythonEnv, cwd: repoRoot });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe.skipIf(missing !== null)(missing ? `Python client (skipped: ${missing})` : 'Python client against a live server', () => {
  let root: string;
  let server: TestServer;
  let events: { onset: number; duration: number; trial_type: string; stim_file: string }[];
  let report: Report;
  let scriptMs: number;

  beforeAll(async () => {
    root = await tempDir('python-client');
    const subject = await simulateSmallSubject(path.join(root, 'sim'));
    server = await startTestServer({
      overrides: { computeBackend: 'wasm', reconstruction: { imageSize: 32, drainMs: 3000 } },
      extraDataDirs: [root],
    });
    // The feature bundle goes straight into the server's models folder, under the name the spec gives.
    await trainFeatureBundle(subject, path.join(server.config.modelsDir, 'sim-px'), ['--feature-space', 'pixels', '--pixels', '16']);
    events = (await readEvents(subject.testEvents)).map((e) => ({ onset: e.onset, duration: e.duration, trial_type: e.trial_type!, stim_file: e.stim_file! }));
    const args = { url: server.url, session: SESSION, run: subject.testRun, mask: subject.mask, featureModel: 'sim-px', speed: 10, stopTr: STOP_TR, events };
    const started = performance.now();
    const result = await run([path.join(repoRoot, 'clients', 'python', 'tests', 'live_replay.py'), JSON.stringify(args)], 45_000);
    scriptMs = performance.now() - started;
    if (result.code !== 0) throw new Error(`live_replay.py exited with ${result.code}:\n${result.stderr}\n${result.stdout.slice(0, 2000)}`);
    report = JSON.parse(result.stdout) as Report;
    console.info(`python client: ${report.records.length} records, ${report.frames.length} frames, ${report.feedback.length} feedback values in ${(scriptMs / 1000).toFixed(1)} s`);
  }, 90_000);

  afterAll(async () => {
    await server?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('is refused for protocol 0 and 2, in the URL (msgpack and JSON) and in hello, with the coded message and 4426', () => {
    expect(report.refusals).toHaveLength(6);
    for (const r of report.refusals) {
      expect(r, JSON.stringify(r)).toMatchObject({ refused: true, code: 'PROTOCOL_VERSION', close: 4426 });
      expect(r.message).toContain(`client speaks protocol ${r.stated}; this server speaks protocol 1`);
    }
    expect(report.refusals.filter((r) => r.where === 'hello').map((r) => r.stated)).toEqual([0, 2]);
    expect(report.welcome.protocol).toBe(1);
    expect(report.started).toBe(SESSION);
  });

  it('receives every record of the replay in TR order, with the ROI value the server recorded', async () => {
    const trs = report.records.map((r) => r.tr);
    expect(trs).toEqual(Array.from({ length: trs.length }, (_, i) => i));
    expect(trs.length).toBeGreaterThan(STOP_TR);
    const recorded = await readRecords(path.join(server.config.recordingsDir, SESSION, 'records.jsonl'));
    const byTr = new Map(recorded.map((r) => [r.tr, r]));
    for (const seen of report.records) {
      expect(seen.error).toBeNull();
      const own = byTr.get(seen.tr) as { roi?: Record<string, number> } | undefined;
      expect(Number.isFinite(seen.visual)).toBe(true);
      expect(seen.visual).toBeCloseTo(own!.roi!.visual!, 12);
    }
    expect(report.info).toMatchObject({ id: SESSION, state: 'ended' });
  });

  it('catches up from TR 0 on a second connection (JSON), no TR twice or missing', () => {
    expect(report.catchUp).toEqual(Array.from({ length: report.catchUp.length }, (_, i) => i));
    expect(report.catchUp.length).toBeGreaterThan(20);
  });

  it('sends trial markers with trial_type and stim_file that the session records and reconstructs', async () => {
    expect(report.markers).toBe(events.length);
    const lines = (await readFile(path.join(server.config.recordingsDir, SESSION, 'events.jsonl'), 'utf8')).trim().split('\n');
    const recorded = lines.map((l) => JSON.parse(l) as { onset: number; duration: number; trial_type: string; stim_file: string });
    expect(recorded.map(({ onset, duration, trial_type, stim_file }) => ({ onset, duration, trial_type, stim_file }))).toEqual(events);
  });

  it('gets reconstruction frames as PNG bytes, each of the trial whose marker named its stimulus', () => {
    expect(report.frames.length).toBeGreaterThan(0);
    for (const frame of report.frames) {
      expect(frame.signature).toBe(true);
      if (frame.png !== null) {
        const bytes = Buffer.from(frame.png, 'base64');
        expect(bytes.length).toBe(frame.bytes);
        expect(bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
        const image = PNG.sync.read(bytes);
        expect([image.width, image.height]).toEqual([frame.width, frame.height]);
      }
      expect(frame).toMatchObject({ session: SESSION, width: 32, height: 32, space: 'pixels-16-rgb', stim_file: events[frame.trial]!.stim_file });
    }
  });

  it('reads the feedback value of the latest TR, and times out when no newer TR comes', () => {
    expect(report.feedback.length).toBeGreaterThan(5);
    const value = new Map(report.records.map((r) => [r.tr, r.visual]));
    let previous = -1;
    for (const f of report.feedback) {
      expect(f.roi).toBe('visual');
      expect(f.value).toBe(value.get(f.tr));
      expect(f.tr).toBeGreaterThan(previous);
      previous = f.tr;
    }
    expect(report.newest.tr).toBe(report.records.at(-1)!.tr);
    expect(report.timeout.raised).toBe(true);
    expect(report.timeout.elapsed).toBeGreaterThanOrEqual(0.45);
    expect(report.timeout.elapsed).toBeLessThan(2);
    expect(report.timeout.message).toMatch(/no new record within 0\.5 s; the latest was TR \d+ of py-stim-01/);
  });

  it('passes the package’s own unit tests (python3 -m unittest)', async () => {
    const result = await run(['-m', 'unittest', 'discover', '-s', path.join(repoRoot, 'clients', 'python', 'tests')], 30_000);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/\nOK/);
    console.info(`python unittest: ${result.stderr.match(/Ran \d+ tests in [\d.]+s/)?.[0] ?? ''}`);
  });
});
