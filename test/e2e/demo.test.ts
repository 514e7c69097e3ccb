/**
 * `boldstream demo` as a person runs it (`npm start`), in its own process: on the real scans it trains
 * the Haxby decoder, streams the rt-cloud export and Haxby run 10 through the server, prints both
 * sessions' summaries and the decoding score, and with --exit ends by itself; `--synthetic` does the
 * same on a synthetic session made on the spot. Every recording it leaves is held to the contract.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRecords, tempDir } from '../helpers/live-server.js';
import { repoRoot, sharedData } from '../helpers/paths.js';

interface DemoRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

describe('boldstream demo', () => {
  let scratch: string;
  const children = new Set<ChildProcess>();

  beforeAll(async () => {
    scratch = await tempDir('demo');
  });

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  /** Runs `boldstream demo ...args` with its folders (and os.tmpdir(), where --synthetic writes) under `home`. */
  async function demo(home: string, args: readonly string[]): Promise<DemoRun> {
    await mkdir(home, { recursive: true });
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/bin.ts', 'demo', ...args], {
      cwd: repoRoot,
      env: {
        ...process.env,
        BOLDSTREAM_DATA_DIR: sharedData,
        BOLDSTREAM_RECORDINGS_DIR: path.join(home, 'recordings'),
        BOLDSTREAM_MODELS_DIR: path.join(home, 'models'),
        BOLDSTREAM_BACKEND: 'cpu',
        BOLDSTREAM_LOG_LEVEL: 'error',
        TMPDIR: home,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    return new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  /** Each session's recorded records, checked against the contract; returns the good-record counts by session id. */
  async function checkRecordings(home: string, expected: Record<string, number>): Promise<void> {
    const dir = path.join(home, 'recordings');
    const ids = (await readdir(dir)).sort();
    expect(ids).toHaveLength(Object.keys(expected).length);
    for (const [prefix, trs] of Object.entries(expected)) {
      const id = ids.find((i) => i.startsWith(prefix));
      expect(id, `a recording named ${prefix}*`).toBeDefined();
      checkRecords(path.join(dir, id!, 'records.jsonl'), trs);
    }
  }

  it('on the real scans: trains, streams both sessions, prints their summaries and the decoding score, exits', async () => {
    const home = path.join(scratch, 'real');
    const run = await demo(home, ['--exit', '--speed', 'max', '--port', '0', '--quiet']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/training a decoder on 9 runs/);
    expect(run.stdout).toMatch(/boldstream on real scans: watch at http:\/\/127\.0\.0\.1:\d+\//);
    expect(run.stdout).toMatch(/\nrtcloud \(rtcloud-faces-[^)]+\):\n10 records \(10 TRs, 0 error records\)/);
    expect(run.stdout).toMatch(/\nhaxby \(haxby-run10-[^)]+\):\n121 records \(121 TRs, 0 error records\)/);
    const decoding = /decoding: per-TR (\d+)\/(\d+) \([^)]*\), trials (\d+)\/(\d+)/.exec(run.stdout);
    expect(decoding, run.stdout).not.toBeNull();
    const [, trRight, trAll, trialRight, trialAll] = decoding!.map(Number);
    expect([trAll, trialAll]).toEqual([72, 8]);
    expect(trRight! / trAll!).toBeGreaterThanOrEqual(0.25);
    expect(trialRight).toBeGreaterThanOrEqual(3);
    // --quiet: no per-record lines, only the summaries.
    expect(run.stdout.split('\n').length).toBeLessThan(20);
    await checkRecordings(home, { 'rtcloud-faces-': 10, 'haxby-run10-': 121 });
  }, 120_000);

  it('--synthetic: makes a synthetic session, trains on it, streams its last run, prints the summary, exits', async () => {
    const home = path.join(scratch, 'synthetic');
    const run = await demo(home, ['--synthetic', '--exit', '--speed', 'max', '--port', '0', '--quiet']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/making a synthetic session in /);
    expect(run.stdout).toMatch(/boldstream on a synthetic session: watch at http:\/\//);
    const summary = /\nsynthetic \(synthetic-run4-[^)]+\):\n(\d+) records \((\d+) TRs, 0 error records\)/.exec(run.stdout);
    expect(summary, run.stdout).not.toBeNull();
    const trs = Number(summary![2]);
    expect(trs).toBeGreaterThan(50);
    expect(run.stdout).toMatch(/decoding: per-TR \d+\/\d+ \([^)]*\), trials \d+\/\d+/);
    await checkRecordings(home, { 'synthetic-run4-': trs });
  }, 180_000);
});
