/**
 * The wire schema at run time: proto/boldstream.proto parsed once by protobufjs reflection.
 *
 * The same reflection drives the protobuf encoding, the strict validation of incoming messages in
 * every encoding, and the shaping of outgoing ones, so that the proto stays the one place where a
 * message is described. keepCase keeps field names exactly as the proto writes them (the record
 * contract mixes snake_case and camelCase), which is also how msgpack and JSON carry them.
 */
import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';

/** Beside src/ in the repository and beside dist/ in the package (package.json ships proto/). */
const protoUrl = new URL('../../proto/boldstream.proto', import.meta.url);

function load(): protobuf.Root {
  const root = protobuf.parse(readFileSync(protoUrl, 'utf8'), { keepCase: true }).root;
  root.resolveAll();
  return root;
}

export const wireRoot: protobuf.Root = load();

export function wireType(name: string): protobuf.Type {
  return wireRoot.lookupType(`boldstream.v1.${name}`);
}

export const serverEnvelope = wireType('ServerMessage');
export const clientEnvelope = wireType('ClientMessage');

/** The message type behind one member of an envelope's oneof (`volume` → VolumePush), if any. */
export function memberType(envelope: protobuf.Type, member: string): protobuf.Type | undefined {
  const field = Object.hasOwn(envelope.fields, member) ? envelope.fields[member] : undefined;
  if (!field?.partOf) return undefined;
  return field.resolvedType instanceof protobuf.Type ? field.resolvedType : undefined;
}

/** Proto3 `optional`: the only singular fields that may be absent in msgpack and JSON. */
export function isOptional(field: protobuf.Field): boolean {
  return field.options?.proto3_optional === true;
}
