/**
 * The main job end to end: the rt-cloud Siemens real-time export (11 DICOM files, one a byte-identical
 * copy) pushed by `boldstream replay --server` into a live server, the left-amygdala ROI as the
 * neurofeedback signal. The records come back over the WebSocket in TR order with every contract
 * field, and a second client watching over JSON sees the very same records.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BoldstreamClient } from '../../src/client/client.js';
import type { TrRecord } from '../../src/generated/boldstream.js';
import { isErrorRecord, type SessionRecord } from '../../src/session/types.js';
import { checkRecords, readRecords, runCli, startTestServer, tempDir, type TestServer, withoutTiming } from '../helpers/live-server.js';
import { dataPath } from '../helpers/paths.js';

const dicomDir = dataPath('rtcloud-faces', 'dicom');
const amygdala = dataPath('rtcloud-faces', 'L_AMYG_thrp5_bin_resampled_space-native.nii.gz');
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('replay of the rt-cloud DICOM export into a live server', () => {
  let server: TestServer;
  let out: string;
  let watcher: BoldstreamClient;
  const watched: { session: string; record: SessionRecord }[] = [];
  let records: SessionRecord[];
  let cli: { code: number; stderr: string };

  beforeAll(async () => {
    server = await startTestServer();
    out = path.join(await tempDir('replay-server'), 'records.jsonl');
    // The second client subscribes to every session before the run starts, over JSON.
    watcher = await BoldstreamClient.connect(server.url, { encoding: 'json', onRecord: (session, record) => watched.push({ session, record }) });
    await watcher.subscribe('*');
    cli = await runCli(['replay', dicomDir, '--server', server.url, '--mask', `amygdala=${amygdala}`, '--out', out]);
    records = await readRecords(out);
  });

  afterAll(async () => {
    watcher?.close();
    await server?.close();
    if (out) await rm(path.dirname(out), { recursive: true, force: true });
  });

  it('ends with status 0 and a summary of 10 TRs', () => {
    expect(cli.code).toBe(0);
    expect(cli.stderr).toMatch(/10 records \(10 TRs, 0 error records\)/);
  });

  it('K12 gives 10 records in TR order 0..9: the duplicate file makes no 11th TR', () => {
    expect(records.map((r) => r.tr)).toEqual(range(10));
    expect(records.filter(isErrorRecord)).toEqual([]);
    // ...and is reported once, on the record of the TR it repeats.
    const reports = records.flatMap((r) => (r.warnings ?? []).filter((w) => w.code === 'VOLUME_DUPLICATE').map((w) => ({ tr: r.tr, message: w.message })));
    expect(reports).toHaveLength(1);
    expect(reports[0]!.tr).toBe(9);
  });

  it('fills every field of the contract in every record', () => {
    for (const record of records as TrRecord[]) {
      expect(Number.isInteger(record.tr)).toBe(true);
      // Scanner clock: seconds since midnight, 1.5 s apart (TR 1.5 s).
      expect(record.acquisitionTime).toBeGreaterThan(0);
      expect(record.acquisitionTime).toBeLessThan(86_400);
      expect(record.receivedAt).toBeGreaterThan(Date.UTC(2020, 0, 1));
      const m = record.motion!;
      for (const k of ['trans_x', 'trans_y', 'trans_z', 'rot_x', 'rot_y', 'rot_z'] as const) expect(Number.isFinite(m[k])).toBe(true);
      expect(m.matrix).toHaveLength(16);
      expect(m.matrix.every(Number.isFinite)).toBe(true);
      expect(m.matrix.slice(12)).toEqual([0, 0, 0, 1]);
      expect(record.framewise_displacement).toBeGreaterThanOrEqual(0);
      expect(Number.isFinite(record.roi.amygdala)).toBe(true);
      expect(Number.isFinite(record.latencyMs.total)).toBe(true);
      expect(Array.isArray(record.warnings)).toBe(true);
    }
    const times = (records as TrRecord[]).map((r) => r.acquisitionTime!);
    for (let t = 1; t < times.length; t++) expect(times[t]! - times[t - 1]!).toBeCloseTo(1.5, 3);
    // A real head moves a little: motion estimates of exactly zero after the reference would be suspicious (K25).
    expect((records as TrRecord[]).slice(1).some((r) => r.framewise_displacement! > 0)).toBe(true);
  });

  it('passes the contract checker with --expect-trs 10', () => {
    expect(checkRecords(out, 10)).toMatch(/10 records, 0 error records, 0 problems/);
  });

  it('gives a second client subscribed over JSON the same records, in the same order', () => {
    const sessions = new Set(watched.map((w) => w.session));
    expect(sessions.size).toBe(1);
    const seen = watched.map((w) => w.record);
    expect(seen.map((r) => r.tr)).toEqual(range(10));
    expect(seen.map(withoutTiming)).toEqual(records.map(withoutTiming));
  });

  it('leaves the session ended in the server and the server healthy', async () => {
    const id = watched[0]!.session;
    const info = (await (await fetch(`${server.url}/sessions/${id}`)).json()) as { state: string; records: number };
    expect(info.state).toBe('ended');
    expect(info.records).toBe(10);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });
});
