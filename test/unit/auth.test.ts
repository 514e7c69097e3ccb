/**
 * Tokens, roles and origins without a server: the tokens file in both forms, what a bad one says
 * (never the tokens), where a token is taken from, and which Origin headers pass.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig, loadConfig } from '../../src/config.js';
import { AccessControl, bearerToken, withoutToken } from '../../src/server/auth.js';
import { originAllowed } from '../../src/server/origin.js';

const viewer = 'v'.repeat(20);
const scanner = 's'.repeat(20);
const experimenter = 'e'.repeat(20);

const failure = async (thunk: () => unknown): Promise<{ code?: string; message: string }> => {
  try {
    await thunk();
  } catch (error) {
    return error as { code?: string; message: string };
  }
  throw new Error('expected a failure');
};

describe('AccessControl', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'boldstream-auth-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const file = async (name: string, text: string): Promise<string> => {
    const at = path.join(dir, name);
    await writeFile(at, text);
    return at;
  };

  it('is open without tokens: every caller is "open" and may do anything', async () => {
    const access = await AccessControl.load(defaultConfig().access);
    expect(access.open).toBe(true);
    expect(access.authenticate(undefined)).toBe('open');
    expect(() => access.authorize('open', 'control', 'x')).not.toThrow();
  });

  it('gives each token its role, and refuses a missing or unknown one with its own code', async () => {
    const access = await AccessControl.load({ tokens: [{ role: 'viewer', token: viewer }, { role: 'scanner', token: scanner }] });
    expect(access.open).toBe(false);
    expect(access.authenticate(viewer)).toBe('viewer');
    expect(access.authenticate(scanner)).toBe('scanner');
    expect((await failure(() => access.authenticate(undefined))).code).toBe('AUTH_MISSING');
    expect((await failure(() => access.authenticate(''))).code).toBe('AUTH_MISSING');
    expect((await failure(() => access.authenticate(`${viewer}x`))).code).toBe('AUTH_INVALID');
    expect((await failure(() => access.authenticate(viewer.slice(1)))).code).toBe('AUTH_INVALID');
    const forbidden = await failure(() => access.authorize('viewer', 'control', 'POST /sessions'));
    expect(forbidden.code).toBe('AUTH_FORBIDDEN');
    expect(forbidden.message).toMatch(/POST \/sessions needs a role with control rights \(experimenter\); this token is viewer/);
  });

  it('reads a tokens file as JSON or as lines of "<role> <token>", besides the tokens of the config', async () => {
    const json = await file('tokens.json', JSON.stringify([{ role: 'scanner', token: scanner }]));
    const wrapped = await file('wrapped.json', JSON.stringify({ tokens: [{ role: 'scanner', token: scanner }] }));
    const lines = await file('tokens.txt', `# control room\nscanner ${scanner}\n\n  experimenter\t${experimenter}   # the operator\n`);
    for (const tokensFile of [json, wrapped]) {
      const access = await AccessControl.load({ tokens: [{ role: 'viewer', token: viewer }], tokensFile });
      expect([access.authenticate(viewer), access.authenticate(scanner)]).toEqual(['viewer', 'scanner']);
    }
    const access = await AccessControl.load({ tokens: [], tokensFile: lines });
    expect([access.authenticate(scanner), access.authenticate(experimenter)]).toEqual(['scanner', 'experimenter']);
  });

  it('refuses a bad tokens file with CONFIG_INVALID, saying where, without quoting a token', async () => {
    const secret = 'S3cr3t-'.repeat(4);
    const cases: Array<[string, string, RegExp]> = [
      ['role.txt', `admin ${secret}`, /entry 0\.role/],
      ['short.txt', 'viewer short', /entry 0\.token: expected 16 to 512 printable characters/],
      ['three.txt', `viewer ${secret} extra`, /line 1: expected "<role> <token>"/],
      ['broken.json', `[{"role": "viewer", "token": "${secret}"`, /not valid JSON/],
      ['twice.txt', `viewer ${secret}\nscanner ${secret}`, /the same token is given twice/],
      ['empty.txt', '# nobody yet\n', /holds no token/],
      ['empty.json', '[]', /holds no token/],
    ];
    for (const [name, text, message] of cases) {
      const tokensFile = await file(name, text);
      const error = await failure(() => AccessControl.load({ tokens: [], tokensFile }));
      expect(error.code, name).toBe('CONFIG_INVALID');
      expect(error.message, name).toMatch(message);
      expect(error.message, name).not.toContain('S3cr3t');
    }
    expect((await failure(() => AccessControl.load({ tokens: [], tokensFile: path.join(dir, 'absent') }))).message).toMatch(/cannot read/);
  });
});

describe('access settings in the config', () => {
  it('are validated once with the rest', () => {
    const bad = (overrides: object) => () => loadConfig({ overrides: overrides as never, useEnvironment: false });
    expect(bad({ access: { tokens: [{ role: 'root', token: viewer }] } })).toThrow(/access\.tokens\.0\.role/);
    expect(bad({ access: { tokens: [{ role: 'viewer', token: 'with space in it 1234' }] } })).toThrow(/access\.tokens\.0\.token/);
    expect(bad({ access: { tokens: [{ role: 'viewer', token: viewer }, { role: 'scanner', token: viewer }] } })).toThrow(/the same token is given twice/);
    expect(bad({ server: { allowedOrigins: ['https://viewer.example/'] } })).toThrow(/server\.allowedOrigins\.0: expected an origin/);
    expect(bad({ server: { allowedOrigins: ['viewer.example'] } })).toThrow(/allowedOrigins/);
    expect(bad({ server: { tls: { key: 'key.pem' } } })).toThrow(/server\.tls\.cert/);
    expect(() => loadConfig({ overrides: { server: { allowedOrigins: ['https://viewer.example:8443'] }, access: { tokens: [{ role: 'viewer', token: viewer }] } }, useEnvironment: false })).not.toThrow();
  });
});

describe('where a token comes from', () => {
  it('Authorization: Bearer, and nothing else in that header', () => {
    expect(bearerToken({ authorization: `Bearer ${viewer}` })).toBe(viewer);
    expect(bearerToken({ authorization: `bearer   ${viewer} ` })).toBe(viewer);
    expect(bearerToken({ authorization: `Basic ${viewer}` })).toBeUndefined();
    expect(bearerToken({ authorization: 'Bearer' })).toBeUndefined();
    expect(bearerToken({})).toBeUndefined();
  });

  it('token= is taken out of the URL, the rest of the URL kept', () => {
    expect(withoutToken(`/sessions?token=${viewer}`)).toEqual({ url: '/sessions', token: viewer });
    expect(withoutToken(`/sessions/a/records?x=1&token=${viewer}&y=2`)).toEqual({ url: '/sessions/a/records?x=1&y=2', token: viewer });
    expect(withoutToken('/sessions?notatoken=1')).toEqual({ url: '/sessions?notatoken=1', token: undefined });
    expect(withoutToken('/sessions')).toEqual({ url: '/sessions', token: undefined });
    expect(withoutToken('/x?token=a%2Bb')).toEqual({ url: '/x', token: 'a+b' });
  });
});

describe('originAllowed', () => {
  const policy = { allowed: ['https://viewer.example:8443'], secure: false };
  it('passes programs (no Origin), the server own origin and the listed ones', () => {
    expect(originAllowed({ host: '127.0.0.1:8080' }, policy)).toBe(true);
    expect(originAllowed({ host: '127.0.0.1:8080', origin: 'http://127.0.0.1:8080' }, policy)).toBe(true);
    expect(originAllowed({ host: 'scanner-room:80', origin: 'http://scanner-room' }, policy)).toBe(true);
    expect(originAllowed({ host: '127.0.0.1:8080', origin: 'https://viewer.example:8443' }, policy)).toBe(true);
  });

  it('refuses other sites, other schemes and ports of the same host, and the opaque origin "null"', () => {
    expect(originAllowed({ host: '127.0.0.1:8080', origin: 'https://evil.example' }, policy)).toBe(false);
    expect(originAllowed({ host: '127.0.0.1:8080', origin: 'https://127.0.0.1:8080' }, policy)).toBe(false);
    expect(originAllowed({ host: '127.0.0.1:8080', origin: 'http://127.0.0.1:8081' }, policy)).toBe(false);
    expect(originAllowed({ host: '127.0.0.1:8080', origin: 'null' }, policy)).toBe(false);
    expect(originAllowed({ origin: 'http://127.0.0.1:8080' }, policy)).toBe(false);
    expect(originAllowed({ host: '127.0.0.1:8443', origin: 'https://127.0.0.1:8443' }, { ...policy, secure: true })).toBe(true);
  });
});
