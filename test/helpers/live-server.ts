/**
 * The real server (real session factory and pipeline) on port 0 with throw-away recordings and models
 * folders, the command line run in this process with its output captured, and the small readers the
 * end-to-end tests share: JSON lines of records, the contract checker, the fields that may differ
 * between two runs of the same input.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { vi } from 'vitest';
import { main } from '../../src/cli.js';
import { type ConfigOverrides, defaultConfig, type Config } from '../../src/config.js';
import { chooseBackend } from '../../src/recon/backend.js';
import { type RunningServer, startServer } from '../../src/server/start.js';
import type { SessionRecord } from '../../src/session/types.js';
import { sharedData } from './paths.js';

/** The contract checker every record file is held to (docs/records.md). */
export const checkRecordsTool = path.resolve(sharedData, '..', 'tools', 'check-records');

export interface TestServer {
  readonly url: string;
  readonly config: Config;
  /** Temp folder holding recordings/ and models/ (and whatever the test puts there). */
  readonly root: string;
  readonly running: RunningServer;
  close(): Promise<void>;
}

/** The server as `serve` builds it, data folder = the shared scans, everything it writes under a temp folder. */
export async function startTestServer(options: { overrides?: ConfigOverrides; extraDataDirs?: readonly string[] } = {}): Promise<TestServer> {
  const root = await mkdtemp(path.join(tmpdir(), 'boldstream-live-'));
  const config = defaultConfig({
    dataDir: sharedData,
    recordingsDir: path.join(root, 'recordings'),
    modelsDir: path.join(root, 'models'),
    logLevel: 'silent',
    computeBackend: 'cpu',
    ...options.overrides,
    server: { host: '127.0.0.1', port: 0, ...options.overrides?.server },
  });
  const running = await startServer({
    config,
    logger: pino({ level: 'silent' }),
    backend: await chooseBackend('cpu'),
    port: 0,
    host: '127.0.0.1',
    handleSignals: false,
    ...(options.extraDataDirs ? { extraDataDirs: options.extraDataDirs } : {}),
  });
  return {
    url: running.url,
    config,
    root,
    running,
    close: async () => {
      await running.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * `boldstream <argv>` in this process (src/cli.ts `main`), with what it prints captured. The process
 * logger is kept quiet; what the command itself prints (summaries, decoding lines) is returned.
 */
export async function runCli(argv: readonly string[]): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void out.push(args.map(String).join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void err.push(args.map(String).join(' ')));
  try {
    const code = await main([...argv, '--log-level', 'silent']);
    return { code, stdout: out.join('\n'), stderr: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

export async function readRecords(file: string): Promise<SessionRecord[]> {
  const text = await readFile(file, 'utf8');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as SessionRecord);
}

/** Runs ../shared/tools/check-records on a file; returns its report, throws with it when the file breaks the contract. */
export function checkRecords(file: string, expectTrs?: number): string {
  const args = [checkRecordsTool, file, ...(expectTrs !== undefined ? ['--expect-trs', String(expectTrs)] : [])];
  try {
    return execFileSync('/usr/bin/python3', args, { encoding: 'utf8' });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    throw new Error(`check-records failed on ${file}:\n${e.stdout ?? ''}${e.stderr ?? ''}`, { cause: error });
  }
}

/**
 * A record without what only says when it was processed: receivedAt (server clock) and latencyMs.
 * Everything else is a function of the input and must be equal between live, replay and recording.
 */
export function withoutTiming(record: SessionRecord): Record<string, unknown> {
  const { receivedAt: _r, latencyMs: _l, ...rest } = record as SessionRecord & { latencyMs?: unknown };
  return JSON.parse(JSON.stringify(rest)) as Record<string, unknown>;
}

export async function until(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(tmpdir(), `boldstream-${prefix}-`));
}

/** Every number anywhere in a value, with its path, so that a test can say where a NaN sits. */
export function numbersIn(value: unknown, at = ''): { path: string; value: number }[] {
  if (typeof value === 'number') return [{ path: at, value }];
  if (Array.isArray(value)) return value.flatMap((v, i) => numbersIn(v, `${at}[${i}]`));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => numbersIn(v, at ? `${at}.${k}` : k));
  return [];
}
