/**
 * Generates the clients' view of the wire schema from proto/boldstream.proto:
 *   src/generated/boldstream.ts                       TypeScript types (server, Node client)
 *   clients/python/src/boldstream_client/messages.py  Python dataclasses (the stimulus computer's client)
 *
 * protobufjs parses the schema; this script prints one interface per message and a discriminated
 * union per envelope (`ServerMessage`, `ClientMessage`), matching how msgpack and JSON carry them:
 * the oneof member's name becomes `type`. The enum ProtocolVersion becomes the constant
 * PROTOCOL_VERSION in both languages. `--check` fails when a committed file is stale, so that the
 * schema stays the one source (npm test runs it).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { generatePython, pythonFields } from './proto-python.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const protoFile = path.join(root, 'proto', 'boldstream.proto');
const outFile = path.join(root, 'src', 'generated', 'boldstream.ts');
const pythonFile = path.join(root, 'clients', 'python', 'src', 'boldstream_client', 'messages.py');

const scalarTypes: Record<string, string> = {
  double: 'number', float: 'number', int32: 'number', uint32: 'number', sint32: 'number', fixed32: 'number',
  sfixed32: 'number', int64: 'number', uint64: 'number', sint64: 'number', fixed64: 'number', sfixed64: 'number',
  bool: 'boolean', string: 'string', bytes: 'Uint8Array',
};

function tsType(field: protobuf.Field): string {
  const base = scalarTypes[field.type] ?? field.type;
  if (field instanceof protobuf.MapField) return `Record<string, ${base}>`;
  return field.repeated ? `${base}[]` : base;
}

function isOptional(field: protobuf.Field): boolean {
  if (field.repeated || field instanceof protobuf.MapField) return false;
  // Only fields marked `optional` may be absent; the schema marks every message field that can be.
  return field.options?.proto3_optional === true;
}

function comment(text: string | null | undefined, indent: string): string {
  if (!text) return '';
  return `${indent}/** ${text.replace(/\s*\n\s*/g, ' ')} */\n`;
}

function messageInterface(type: protobuf.Type): string {
  const lines = [`${comment(type.comment, '')}export interface ${type.name} {`];
  for (const field of type.fieldsArray) {
    lines.push(`${comment(field.comment, '  ')}  ${field.name}${isOptional(field) ? '?' : ''}: ${tsType(field)};`);
  }
  lines.push('}');
  return lines.join('\n');
}

function envelopeUnion(type: protobuf.Type): string {
  const members = type.oneofsArray[0]?.fieldsArray ?? [];
  const variants = members.map((f) => `  | ({ type: '${f.name}' } & ${tsType(f)})`);
  const names = members.map((f) => `'${f.name}'`).join(', ');
  return [
    `export type ${type.name} =\n${variants.join('\n')};`,
    `export const ${type.name[0]!.toLowerCase()}${type.name.slice(1)}Types = [${names}] as const;`,
  ].join('\n');
}

const isEnvelope = (type: protobuf.Type): boolean => type.oneofsArray.length > 0 && type.fieldsArray.every((f) => f.partOf);

function parseSchema(): { pkg: protobuf.Namespace; protocolVersion: number } {
  const rootNs = protobuf.parse(readFileSync(protoFile, 'utf8'), { keepCase: true, alternateCommentMode: true }).root;
  const pkg = rootNs.lookup('boldstream.v1') as protobuf.Namespace;
  let protocolVersion: number | undefined;
  for (const nested of pkg.nestedArray) {
    if (!(nested instanceof protobuf.Enum)) continue;
    // Enums do not travel on the wire here; the one enum states the protocol version.
    if (nested.name !== 'ProtocolVersion') throw new Error(`enum ${nested.name}: only ProtocolVersion is supported by this generator`);
    protocolVersion = nested.values.PROTOCOL_VERSION_CURRENT;
  }
  if (protocolVersion === undefined) throw new Error('proto/boldstream.proto must declare enum ProtocolVersion { … PROTOCOL_VERSION_CURRENT = N; }');
  return { pkg, protocolVersion };
}

const messageTypes = (pkg: protobuf.Namespace): protobuf.Type[] => pkg.nestedArray.filter((n): n is protobuf.Type => n instanceof protobuf.Type);

export function generate(): string {
  const { pkg, protocolVersion } = parseSchema();
  const parts = [
    '// Generated from proto/boldstream.proto by scripts/gen-proto.ts. Do not edit; run `npm run proto:gen`.',
    '/* eslint-disable */',
    '',
    '/** The protocol major this schema describes (enum ProtocolVersion in the proto). */',
    `export const PROTOCOL_VERSION = ${protocolVersion};`,
    '',
  ];
  for (const type of messageTypes(pkg)) parts.push(isEnvelope(type) ? envelopeUnion(type) : messageInterface(type), '');
  return parts.join('\n');
}

export function generatePythonModule(): string {
  const { pkg, protocolVersion } = parseSchema();
  const types = messageTypes(pkg);
  return generatePython({
    protocolVersion,
    messages: types.filter((t) => !isEnvelope(t)).map((t) => ({ name: t.name, comment: t.comment, fields: pythonFields(t) })),
    envelopes: types.filter(isEnvelope).map((t) => ({ name: t.name, members: t.fieldsArray.map((f) => ({ name: f.name, type: f.type })) })),
  });
}

const check = process.argv.includes('--check');
const outputs = [
  { file: outFile, text: generate() },
  { file: pythonFile, text: generatePythonModule() },
];
let stale = false;
for (const { file, text } of outputs) {
  if (!check) {
    writeFileSync(file, text);
    console.log(`wrote ${path.relative(root, file)}`);
    continue;
  }
  let current = '';
  try {
    current = readFileSync(file, 'utf8');
  } catch {
    /* missing counts as stale */
  }
  if (current !== text) {
    console.error(`${path.relative(root, file)} is stale: run npm run proto:gen`);
    stale = true;
  }
}
if (check) {
  if (stale) process.exit(1);
  console.log('generated types match proto/boldstream.proto');
}
