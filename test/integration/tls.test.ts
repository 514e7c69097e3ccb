/**
 * TLS (server.tls): HTTPS and WSS on the same port with a self-signed certificate made here by
 * openssl, tokens on top. Node cannot make a certificate by itself, so without openssl this is skipped.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { request } from 'node:https';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, tempDir, type TestServer } from '../helpers/live-server.js';
import { WsProbe } from '../helpers/ws-probe.js';

const openssl = (() => {
  try {
    return execFileSync('sh', ['-c', 'command -v openssl'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
})();
if (!openssl) console.warn('tls.test.ts skipped: openssl is not installed, and Node cannot make a certificate without it');

/** GET over HTTPS trusting only `ca`; status and body. */
function httpsGet(url: string, ca: Buffer, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, { ca, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (c: Buffer) => chunks.push(c));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    })
      .on('error', reject)
      .end();
  });
}

describe.skipIf(!openssl)('TLS', () => {
  const token = randomBytes(24).toString('hex');
  let dir: string;
  let cert: Buffer;
  let server: TestServer;

  beforeAll(async () => {
    dir = await tempDir('tls');
    const key = path.join(dir, 'key.pem');
    const certFile = path.join(dir, 'cert.pem');
    execFileSync(openssl!, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', certFile, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'pipe' });
    cert = readFileSync(certFile);
    server = await startTestServer({ overrides: { server: { tls: { key, cert: certFile } }, access: { tokens: [{ role: 'viewer', token }] } } });
  });
  afterAll(async () => {
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('serves HTTPS at the https:// URL it reports', async () => {
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const health = await httpsGet(`${server.url}/health`, cert);
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toMatchObject({ status: 'ok', access: 'token' });
    expect((await httpsGet(`${server.url}/sessions`, cert)).status).toBe(401);
    expect((await httpsGet(`${server.url}/sessions`, cert, { authorization: `Bearer ${token}` })).status).toBe(200);
  });

  it('refuses a client that does not trust the certificate, and plain HTTP on the same port', async () => {
    await expect(httpsGet(`${server.url}/health`, Buffer.from(''))).rejects.toThrow(/self[- ]signed|certificate/i);
    await expect(fetch(`${server.url.replace('https:', 'http:')}/health`)).rejects.toThrow();
  });

  it('carries the WebSocket as WSS on the same server, tokens and all', async () => {
    const refused = await WsProbe.open(server.url, { ws: { ca: cert } });
    expect(refused).toMatchObject({ status: 401, code: 'AUTH_MISSING' });
    const probe = await WsProbe.connect(server.url, { queryToken: token, ws: { ca: cert } });
    expect(probe.ws.url).toMatch(/^wss:/);
    probe.send({ type: 'subscribe', session: '*' });
    await probe.waitFor((m) => m.type === 'ack' && m.ref === 'subscribe');
    probe.ws.close();
    await probe.closed;
  });
});
