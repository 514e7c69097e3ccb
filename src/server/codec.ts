/**
 * The three wire encodings of the proto's envelopes:
 *   msgpack (default) and JSON: `{type: <oneof member>, ...that member's fields}`; bytes are binary in
 *     msgpack and base64 strings in JSON;
 *   protobuf: ServerMessage / ClientMessage as declared, binary.
 * Decoding validates strictly against the proto (validate.ts) and throws only BoldstreamError, with
 * a message that names the field; encoding shapes the message to the proto first (shape.ts).
 */
import { Packr, Unpackr } from 'msgpackr';
import type protobuf from 'protobufjs';
import { BoldstreamError, type ErrorCode } from '../errors.js';
import type { ClientMessage, ServerMessage } from '../generated/boldstream.js';
import { clientEnvelope, memberType, serverEnvelope } from './schema.js';
import { shapeMessage } from './shape.js';
import { isPlainObject, validateMessage, type BytesForm, type Plain } from './validate.js';

export const encodings = ['msgpack', 'json', 'protobuf'] as const;
export type Encoding = (typeof encodings)[number];
export const defaultEncoding: Encoding = 'msgpack';

/** A text frame for JSON, a binary frame for msgpack and protobuf. */
export type WireFrame = string | Uint8Array;

export function isEncoding(value: unknown): value is Encoding {
  return typeof value === 'string' && (encodings as readonly string[]).includes(value);
}

// Plain msgpack maps (no msgpackr records) so that any msgpack library reads what we write; 64-bit
// integers as numbers because Python's msgpack sends epoch milliseconds as uint64.
const packr = new Packr({ useRecords: false, moreTypes: true });
const unpackr = new Unpackr({ useRecords: false, moreTypes: true, mapsAsObjects: true, int64AsType: 'number' });
const utf8 = new TextDecoder('utf-8', { fatal: true });

export function packMsgpack(value: unknown): Uint8Array {
  // msgpackr returns a view into one buffer it shares across calls and grows to the largest message
  // packed so far (a 442 kB volume); a kept view pins that whole buffer. Copy, so a record held in
  // the hub's history costs its own few hundred bytes.
  return Uint8Array.prototype.slice.call(packr.pack(value));
}

/** Throws HTTP_BAD_REQUEST (or `code`) for anything that is not exactly one msgpack value. */
export function unpackMsgpack(data: Uint8Array, code: ErrorCode = 'HTTP_BAD_REQUEST'): unknown {
  try {
    return unpackr.unpack(data);
  } catch (cause) {
    throw new BoldstreamError(code, `not valid msgpack: ${(cause as Error).message}`, { cause });
  }
}

export const bytesForm = (encoding: Encoding): BytesForm => (encoding === 'json' ? 'base64' : 'binary');

type Envelope = { type: string } & Plain;

function encodeEnvelope(envelope: protobuf.Type, message: Envelope, encoding: Encoding): WireFrame {
  const member = memberType(envelope, message.type);
  if (!member) throw new BoldstreamError('INTERNAL', `${envelope.name} has no member ${message.type}`);
  const body = shapeMessage(member, message, bytesForm(encoding));
  if (encoding === 'json') return JSON.stringify({ type: message.type, ...body });
  if (encoding === 'msgpack') return packMsgpack({ type: message.type, ...body });
  return envelope.encode(envelope.fromObject({ [message.type]: body })).finish();
}

function parse(data: Uint8Array | string, encoding: 'json' | 'msgpack', code: ErrorCode): unknown {
  if (encoding === 'msgpack' && typeof data === 'string') {
    throw new BoldstreamError(code, 'msgpack messages travel in binary frames, not text');
  }
  try {
    if (encoding === 'msgpack') return unpackr.unpack(data as Uint8Array);
    return JSON.parse(typeof data === 'string' ? data : utf8.decode(data));
  } catch (cause) {
    throw new BoldstreamError(code, `not valid ${encoding}: ${(cause as Error).message}`, { cause });
  }
}

function unknownType(envelope: protobuf.Type, type: unknown, code: ErrorCode): never {
  const known = envelope.oneofsArray[0]?.fieldsArray.map((f) => f.name).join(', ') ?? '';
  throw new BoldstreamError(code, `type: unknown message type ${JSON.stringify(type)}; expected one of ${known}`);
}

function decodeProtobuf(envelope: protobuf.Type, data: Uint8Array | string, code: ErrorCode): Envelope {
  if (typeof data === 'string') throw new BoldstreamError(code, 'protobuf messages travel in binary frames, not text');
  let decoded: protobuf.Message & Plain;
  try {
    decoded = envelope.decode(data) as protobuf.Message & Plain;
  } catch (cause) {
    throw new BoldstreamError(code, `not valid protobuf ${envelope.name}: ${(cause as Error).message}`, { cause });
  }
  const type = decoded.body;
  const member = typeof type === 'string' ? memberType(envelope, type) : undefined;
  if (!member || typeof type !== 'string') throw new BoldstreamError(code, `${envelope.name} carries no message`);
  // defaults: proto3 leaves zero scalars off the wire; absent message fields come back as null.
  const inner = member.toObject(decoded[type] as protobuf.Message, { defaults: true, arrays: true, objects: true });
  return { type, ...validateMessage(member, inner, { bytes: 'binary', code }, type) };
}

function decodeEnvelope(envelope: protobuf.Type, data: Uint8Array | string, encoding: Encoding, code: ErrorCode): Envelope {
  if (encoding === 'protobuf') return decodeProtobuf(envelope, data, code);
  const value = parse(data, encoding, code);
  if (!isPlainObject(value)) throw new BoldstreamError(code, 'message: expected an object with a `type` field');
  const { type, ...fields } = value;
  if (type === undefined) throw new BoldstreamError(code, 'type: required field is missing');
  const member = typeof type === 'string' ? memberType(envelope, type) : undefined;
  if (!member || typeof type !== 'string') return unknownType(envelope, type, code);
  return { type, ...validateMessage(member, fields, { bytes: bytesForm(encoding), code }, type) };
}

export function encodeServerMessage(message: ServerMessage, encoding: Encoding): WireFrame {
  return encodeEnvelope(serverEnvelope, message as unknown as Envelope, encoding);
}

/** Throws BoldstreamError WS_BAD_MESSAGE, naming the field, for anything that is not a valid ClientMessage. */
export function decodeClientMessage(data: Uint8Array | string, encoding: Encoding): ClientMessage {
  return decodeEnvelope(clientEnvelope, data, encoding, 'WS_BAD_MESSAGE') as unknown as ClientMessage;
}

/** For clients written in TypeScript, and for tests. */
export function encodeClientMessage(message: ClientMessage, encoding: Encoding): WireFrame {
  return encodeEnvelope(clientEnvelope, message as unknown as Envelope, encoding);
}

export function decodeServerMessage(data: Uint8Array | string, encoding: Encoding): ServerMessage {
  return decodeEnvelope(serverEnvelope, data, encoding, 'WS_BAD_MESSAGE') as unknown as ServerMessage;
}
