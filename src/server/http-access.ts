/**
 * Access on HTTP, in one place for every route: an onRequest hook (before any body is read) looks the
 * route up in a table of rules and checks, in order,
 *
 *   route rule ─► Origin (state-changing methods) ─► token ─► role grants the rule's permission
 *
 * A route that is missing from the table is refused to every token (and logged at start): a new route
 * is closed until someone decides who may use it. Requests that match no route get their 404.
 *
 * A token may come in the URL (`?token=`, for what a browser cannot give a header: <img>, a link).
 * rewriteUrl takes it out before routing, so no log line or route handler ever sees it.
 */
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BoldstreamError } from '../errors.js';
import { bearerToken, withoutToken, type AccessControl, type Permission } from './auth.js';
import { checkOrigin, type OriginPolicy } from './origin.js';

/** Who may use a route: anyone (`public`), or a caller whose role grants the permission. */
export type RouteRule = 'public' | Permission;

/** `METHOD /route/:pattern` as fastify registers it → its rule; HEAD follows GET. */
export type RouteRules = Readonly<Record<string, RouteRule>>;

export const routeKey = (method: string, url: string): string => `${method === 'HEAD' ? 'GET' : method} ${url}`;

/** Methods that change nothing; every other method is held to the Origin check. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface HttpAccessOptions {
  readonly access: AccessControl;
  readonly rules: RouteRules;
  readonly origins: OriginPolicy;
}

/** Query tokens, taken out of the URL by `rewriteUrl`, per raw request. */
export class QueryTokens {
  private readonly tokens = new WeakMap<IncomingMessage, string>();

  /** For Fastify's `rewriteUrl`: the URL without `token=`, the token kept aside. */
  readonly rewriteUrl = (request: IncomingMessage): string => {
    const { url, token } = withoutToken(request.url ?? '/');
    if (token !== undefined) {
      this.tokens.set(request, token);
      // Fastify keeps the URL before rewriting as originalUrl; it must not keep the token either.
      (request as IncomingMessage & { originalUrl?: string }).originalUrl = url;
    }
    return url;
  };

  of(request: IncomingMessage): string | undefined {
    return this.tokens.get(request);
  }
}

export function installHttpAccess(app: FastifyInstance, options: HttpAccessOptions, queryTokens: QueryTokens): void {
  const { access, rules, origins } = options;
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const url = request.routeOptions.url;
    if (url === undefined) return; // no such route: the 404 handler answers
    const rule = rules[routeKey(request.method, url)];
    if (!SAFE_METHODS.has(request.method)) checkOrigin(request.headers, origins);
    if (rule === 'public') return;
    let caller;
    try {
      caller = access.authenticate(bearerToken(request.headers) ?? queryTokens.of(request.raw));
    } catch (error) {
      void reply.header('www-authenticate', 'Bearer realm="boldstream"');
      throw error;
    }
    if (rule === undefined) {
      if (caller === 'open') return;
      throw new BoldstreamError('AUTH_FORBIDDEN', `${routeKey(request.method, url)} has no access rule, so no token may use it`);
    }
    access.authorize(caller, rule, `${request.method} ${url}`);
  });
}

/** Routes registered without a rule; logged at start, and refused to every token. */
export function unruledRoutes(routes: readonly { readonly method: string; readonly url: string }[], rules: RouteRules): string[] {
  return routes.map((r) => routeKey(r.method, r.url)).filter((key, i, all) => rules[key] === undefined && all.indexOf(key) === i);
}
