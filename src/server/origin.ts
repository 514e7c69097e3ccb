/**
 * Origin checks for browsers. A page on any web site can make a browser in the control room open a
 * WebSocket to this server or POST to it (cross-site WebSocket hijacking, CSRF): the browser says
 * which page asked in `Origin`, so a request from a page that is neither the server's own nor in
 * `server.allowedOrigins` is refused. Programs that are not browsers send no Origin and pass; they
 * are what tokens are for.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { BoldstreamError } from '../errors.js';

export interface OriginPolicy {
  /** Origins besides the server's own (config.server.allowedOrigins). */
  readonly allowed: readonly string[];
  /** The server speaks TLS: its own origin is https. */
  readonly secure: boolean;
}

const originOf = (url: string): string | null => {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
};

/** True when the request has no Origin, or one that is allowed or the server's own (as the Host header names it). */
export function originAllowed(headers: IncomingHttpHeaders, policy: OriginPolicy): boolean {
  const origin = headers.origin;
  if (origin === undefined) return true;
  if (policy.allowed.includes(origin)) return true;
  const own = headers.host ? originOf(`${policy.secure ? 'https' : 'http'}://${headers.host}`) : null;
  // "null" (a file:// page, a sandboxed frame) parses to the origin "null" and never equals our own.
  return own !== null && originOf(origin) === own;
}

/** Throws ORIGIN_FORBIDDEN when a browser page of another origin sent the request. */
export function checkOrigin(headers: IncomingHttpHeaders, policy: OriginPolicy): void {
  if (!originAllowed(headers, policy)) {
    // The Origin is the page's, not the person's: safe to quote, and it tells the operator what to allow.
    throw new BoldstreamError('ORIGIN_FORBIDDEN', `${JSON.stringify(headers.origin)} is not this server's origin nor in server.allowedOrigins`);
  }
}
