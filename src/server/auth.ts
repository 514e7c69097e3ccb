/**
 * Access by token: each configured token grants one role, and each role a set of permissions.
 *
 *   request ─► token (Authorization: Bearer, else ?token=) ─► SHA-256 ─► compared in constant time
 *   with the digest of every configured token ─► role ─► the permission a route or message needs
 *
 * Only digests are kept, all of one length, so that timingSafeEqual can compare them and a wrong
 * token takes as long to refuse whatever its length or how much of it is right. With no token
 * configured the server is open (the local demo): every check passes, and start-up says so.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { IncomingHttpHeaders } from 'node:http';
import { z } from 'zod';
import { accessTokenSchema, accessTokensSchema, type Config } from '../config.js';
import { BoldstreamError } from '../errors.js';
import type { ClientMessage } from '../generated/boldstream.js';

export type Role = z.infer<typeof accessTokenSchema>['role'];
type AccessToken = z.infer<typeof accessTokenSchema>;

/** read: list, subscribe, records; control: start, stop, pace, events, models; push: volumes. */
export type Permission = 'read' | 'control' | 'push';

/**
 * The experimenter runs the session, so it may also push volumes: `boldstream replay --server`
 * uploads a model, starts a push session and pushes a recorded run over one connection.
 */
export const grants: Readonly<Record<Role, ReadonlySet<Permission>>> = {
  viewer: new Set(['read']),
  scanner: new Set(['push']),
  experimenter: new Set(['read', 'control', 'push']),
};

/** What each WebSocket message needs; `hello` only states the protocol. */
export const messagePermission: Readonly<Record<ClientMessage['type'], Permission | null>> = {
  hello: null,
  subscribe: 'read',
  unsubscribe: 'read',
  start: 'control',
  end: 'control',
  event: 'control',
  volume: 'push',
};

/** Who is asking: a role, or `open` when the server has no tokens. */
export type Caller = Role | 'open';

const digest = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

export class AccessControl {
  private constructor(private readonly known: readonly { readonly digest: Buffer; readonly role: Role }[]) {}

  /** From config.access: its tokens and those of its tokensFile, validated once (CONFIG_INVALID). */
  static async load(access: Config['access']): Promise<AccessControl> {
    const fromFile = access.tokensFile ? await readTokensFile(access.tokensFile) : [];
    // An empty file would open the server its operator meant to close.
    if (access.tokensFile && fromFile.length === 0) throw new BoldstreamError('CONFIG_INVALID', `access.tokensFile ${access.tokensFile} holds no token`);
    const all = accessTokensSchema.safeParse([...access.tokens, ...fromFile]);
    if (!all.success) throw new BoldstreamError('CONFIG_INVALID', `access: ${all.error.issues.map((i) => i.message).join('; ')}`);
    return new AccessControl(all.data.map((t) => ({ digest: digest(t.token), role: t.role })));
  }

  /** No token configured: anyone who reaches the server may do anything. */
  get open(): boolean {
    return this.known.length === 0;
  }

  /** The caller a presented token makes; AUTH_MISSING or AUTH_INVALID when tokens are configured. */
  authenticate(token: string | undefined): Caller {
    if (this.open) return 'open';
    if (token === undefined || token === '') throw new BoldstreamError('AUTH_MISSING');
    const presented = digest(token);
    let role: Role | undefined;
    // Every digest is compared, a match or not, so the time taken says nothing about which one matched.
    for (const known of this.known) if (timingSafeEqual(presented, known.digest) && role === undefined) role = known.role;
    if (role === undefined) throw new BoldstreamError('AUTH_INVALID');
    return role;
  }

  /** Throws AUTH_FORBIDDEN unless the caller's role grants `need`. */
  authorize(caller: Caller, need: Permission, what: string): void {
    if (!may(caller, need)) throw new BoldstreamError('AUTH_FORBIDDEN', `${what} needs a role with ${need} rights (${rolesWith(need).join(' or ')}); this token is ${caller}`);
  }
}

export function may(caller: Caller, need: Permission): boolean {
  return caller === 'open' || grants[caller].has(need);
}

const rolesWith = (need: Permission): Role[] => (Object.keys(grants) as Role[]).filter((r) => grants[r].has(need));

/** `Authorization: Bearer <token>`; anything else in that header is no token. */
export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  const match = /^Bearer[ \t]+(\S+)\s*$/i.exec(headers.authorization ?? '');
  return match?.[1];
}

/**
 * Takes `token=` out of a request URL, so that it never reaches a log line or a route's query,
 * and gives it back beside the URL without it.
 */
export function withoutToken(url: string): { readonly url: string; readonly token: string | undefined } {
  const at = url.indexOf('?');
  if (at < 0 || !/(?:^|[?&])token=/.test(url.slice(at))) return { url, token: undefined };
  const query = new URLSearchParams(url.slice(at + 1));
  const token = query.get('token') ?? undefined;
  query.delete('token');
  const rest = query.toString();
  return { url: url.slice(0, at) + (rest ? `?${rest}` : ''), token };
}

const roleNames = accessTokenSchema.shape.role.options;

/** JSON (`[{role, token}]` or `{tokens: [...]}`) or lines of `<role> <token>`, `#` starting a comment. */
async function readTokensFile(file: string): Promise<AccessToken[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new BoldstreamError('CONFIG_INVALID', `access.tokensFile: cannot read ${file}: ${(cause as Error).message}`, { cause });
  }
  let entries: unknown;
  if (/^\s*[[{]/.test(text)) {
    try {
      const parsed: unknown = JSON.parse(text);
      entries = Array.isArray(parsed) ? parsed : (parsed as { tokens?: unknown }).tokens;
    } catch (cause) {
      throw new BoldstreamError('CONFIG_INVALID', `access.tokensFile: ${file} is not valid JSON`, { cause });
    }
  } else {
    entries = text.split('\n').flatMap((raw, n) => {
      const line = raw.replace(/#.*/, '').trim();
      if (line === '') return [];
      const [role, token, ...rest] = line.split(/\s+/);
      if (token === undefined || rest.length > 0) throw new BoldstreamError('CONFIG_INVALID', `access.tokensFile ${file}, line ${n + 1}: expected "<role> <token>"`);
      return [{ role, token }];
    });
  }
  const parsed = z.array(accessTokenSchema).safeParse(entries);
  if (!parsed.success) {
    // Never quote the file's content: it is secrets.
    const where = parsed.error.issues.map((i) => `entry ${String(i.path[0] ?? '?')}${i.path.length > 1 ? `.${i.path.slice(1).join('.')}` : ''}: ${i.message}`);
    throw new BoldstreamError('CONFIG_INVALID', `access.tokensFile ${file}: ${where.join('; ')} (roles: ${roleNames.join(', ')})`);
  }
  return parsed.data;
}
