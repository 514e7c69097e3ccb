/**
 * Sessions as the server and the CLI build them (the real factory), with logging off so that the
 * log never lands in the figures, and a helper that runs one to its end and keeps its records.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Config, type ConfigOverrides, defaultConfig } from '../../src/config.js';
import type { SessionSpec, TrRecord } from '../../src/generated/boldstream.js';
import { createLogger } from '../../src/log.js';
import { PipelineSessionFactory } from '../../src/session/factory.js';
import type { LoadedModel } from '../../src/session/loaded-model.js';
import { isErrorRecord, type SessionRecord } from '../../src/session/types.js';

export const benchTemp = (name: string): Promise<string> => mkdtemp(path.join(tmpdir(), `boldstream-bench-${name}-`));

export function benchConfig(overrides: ConfigOverrides = {}): Config {
  return defaultConfig({ logLevel: 'silent', ...overrides });
}

export function benchFactory(options: { config?: Config; record?: boolean; model?: LoadedModel | null } = {}): PipelineSessionFactory {
  const config = options.config ?? benchConfig();
  return new PipelineSessionFactory({ config, logger: createLogger(config), record: options.record ?? false, model: options.model ?? null });
}

export interface SessionRun {
  readonly records: TrRecord[];
  readonly errors: number;
  /** factory.create: opening the source (file reads, DICOM parsing), masks, model. */
  readonly openMs: number;
  /** From the pipeline's start to the session's end. */
  readonly runMs: number;
  /** performance.now() of the first and last record. */
  readonly firstAt: number;
  readonly lastAt: number;
}

let counter = 0;

/** Runs one replay session to its end; `keep` false drops the records and keeps only the counts. */
export async function runSession(factory: PipelineSessionFactory, spec: SessionSpec, keep = true): Promise<SessionRun> {
  const t0 = performance.now();
  const session = await factory.create({ ...spec, id: `bench-${process.pid}-${counter++}` });
  const t1 = performance.now();
  const records: TrRecord[] = [];
  let errors = 0;
  let firstAt = Number.NaN;
  let lastAt = Number.NaN;
  session.records$.subscribe((record: SessionRecord) => {
    lastAt = performance.now();
    if (Number.isNaN(firstAt)) firstAt = lastAt;
    if (isErrorRecord(record)) errors++;
    else if (keep) records.push(record);
  });
  await session.done;
  if (session.info().state === 'failed') throw new Error(`session failed: ${session.info().error?.message ?? 'unknown'}`);
  return { records, errors, openMs: t1 - t0, runMs: performance.now() - t1, firstAt, lastAt };
}
