/**
 * Protocol version and negotiation.
 *
 * A client says what it speaks in the WebSocket URL, `/ws?encoding=msgpack|json|protobuf&protocol=1`,
 * and may say the protocol again in its first `hello`. The version is a single major number: it goes
 * up only on a change an old client cannot ignore (see the head of proto/boldstream.proto), so a
 * client stating another major is told what this server speaks and closed (PROTOCOL_VERSION).
 *
 * Access tokens (roles come in a later issue) travel beside this, never inside the encoding: an
 * `Authorization: Bearer` header on the upgrade request where the client can set one, else
 * `token=` in the URL (browsers cannot set headers on a WebSocket). Servers without tokens ignore them.
 */
import { BoldstreamError } from '../errors.js';
import { PROTOCOL_VERSION } from '../generated/boldstream.js';
import { defaultEncoding, encodings, isEncoding, type Encoding } from './codec.js';

// The version lives in the proto (enum ProtocolVersion), so that every client generated from it agrees.
export { PROTOCOL_VERSION };
export const WS_PATH = '/ws';

export interface Negotiated {
  readonly encoding: Encoding;
  /** The major the client stated in the URL, or ours when it stated none. */
  readonly protocol: number;
}

/** Accepts `1`, `1.0`, `1.3`: only the major must match. */
function parseMajor(text: string): number {
  const match = /^\s*(\d{1,9})(?:\.\d+)*\s*$/.exec(text);
  if (!match) throw new BoldstreamError('PROTOCOL_VERSION', `${JSON.stringify(text.slice(0, 32))} is not a protocol version; this server speaks protocol ${PROTOCOL_VERSION}`);
  return Number(match[1]);
}

/** Throws PROTOCOL_VERSION with a message that says what this server speaks. */
export function checkProtocol(stated: number | string): number {
  const major = typeof stated === 'number' ? Math.trunc(stated) : parseMajor(stated);
  if (major !== PROTOCOL_VERSION) {
    throw new BoldstreamError('PROTOCOL_VERSION', `client speaks protocol ${major}; this server speaks protocol ${PROTOCOL_VERSION}`);
  }
  return major;
}

/** The encoding asked for in the URL, or null when it is not one we speak (the caller must answer in JSON). */
export function requestedEncoding(url: URL): Encoding | null {
  const asked = url.searchParams.get('encoding');
  if (asked === null || asked === '') return defaultEncoding;
  return isEncoding(asked) ? asked : null;
}

/** Reads `encoding` and `protocol` from the upgrade URL; throws WS_UNSUPPORTED_ENCODING or PROTOCOL_VERSION. */
export function negotiate(url: URL): Negotiated {
  const encoding = requestedEncoding(url);
  if (encoding === null) {
    const asked = (url.searchParams.get('encoding') ?? '').slice(0, 32);
    throw new BoldstreamError('WS_UNSUPPORTED_ENCODING', `${JSON.stringify(asked)}; this server speaks ${encodings.join(', ')}`);
  }
  const stated = url.searchParams.get('protocol');
  const protocol = stated === null || stated === '' ? PROTOCOL_VERSION : checkProtocol(stated);
  return { encoding, protocol };
}
