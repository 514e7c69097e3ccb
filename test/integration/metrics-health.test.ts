/**
 * Observability: GET /metrics counts what the sessions did (records, error records, per-stage latency,
 * sessions by state, clients, outbox backlog, dropped frames) in Prometheus text format, behind a
 * viewer token unless metrics.public; GET /health lists what is degraded (a disk below
 * health.minFreeDiskMb here) while still answering 200 `ok`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, startTestServer, type TestServer } from '../helpers/live-server.js';
import { dataPath } from '../helpers/paths.js';

const amygdala = dataPath('rtcloud-faces', 'L_AMYG_thrp5_bin_resampled_space-native.nii.gz');

/** `name{labels} value` lines of an exposition, as a map (HELP and TYPE lines left out). */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

describe('GET /metrics and a degraded /health', () => {
  let server: TestServer | undefined;

  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('counts the records of a session, their stage latencies and the sessions by state', async () => {
    server = await startTestServer({ overrides: { metrics: { public: true } } });
    const before = samples(await (await fetch(`${server.url}/metrics`)).text());
    expect(before.get('boldstream_records_total')).toBe(0);
    expect(before.get('boldstream_clients')).toBe(0);
    expect(before.get('boldstream_sessions{state="running"}')).toBe(0);

    const run = await runCli(['replay', dataPath('rtcloud-faces', 'dicom'), '--server', server.url, '--mask', `amygdala=${amygdala}`, '--out', '/dev/null']);
    expect(run.code).toBe(0);
    const reply = await fetch(`${server.url}/metrics`);
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await reply.text();
    const after = samples(text);
    expect(after.get('boldstream_records_total')).toBe(10);
    expect(after.get('boldstream_sessions{state="ended"}')).toBe(1);
    expect(after.get('boldstream_frames_dropped_total')).toBe(0);
    expect(after.has('boldstream_outbox_backlog_max')).toBe(true);
    expect(after.has('boldstream_outbox_backlog_sum')).toBe(true);
    // Every stage the records timed, observed once per TR.
    for (const stage of ['motion', 'total']) expect(after.get(`boldstream_stage_latency_ms_count{stage="${stage}"}`), stage).toBe(10);
    expect(after.get('boldstream_stage_latency_ms_bucket{le="+Inf",stage="total"}')).toBe(10);
    expect(text).toContain('# TYPE boldstream_error_records_total counter');
  });

  it('needs a viewer token unless metrics.public', async () => {
    const viewer = 'v'.repeat(32);
    server = await startTestServer({ overrides: { access: { tokens: [{ role: 'viewer', token: viewer }] } } });
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${viewer}` } })).status).toBe(200);
  });

  it('/health says the disk is low, and stays up', async () => {
    server = await startTestServer({ overrides: { health: { minFreeDiskMb: 1e12 } } });
    const reply = await fetch(`${server.url}/health`);
    expect(reply.status).toBe(200);
    const health = (await reply.json()) as { status: string; degraded?: { what: string; kind: string; freeMb?: number }[] };
    expect(health.status).toBe('ok');
    expect(health.degraded).toEqual([expect.objectContaining({ what: 'disk', kind: 'low', freeMb: expect.any(Number) })]);
  });
});
