/**
 * Generates src/generated/boldstream.ts (TypeScript types) from proto/boldstream.proto.
 *
 * protobufjs parses the schema; this script prints one interface per message and a discriminated
 * union per envelope (`ServerMessage`, `ClientMessage`), matching how msgpack and JSON carry them:
 * the oneof member's name becomes `type`. `--check` fails when the committed file is stale, so that
 * the schema stays the one source (npm test runs it).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const protoFile = path.join(root, 'proto', 'boldstream.proto');
const outFile = path.join(root, 'src', 'generated', 'boldstream.ts');

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

export function generate(): string {
  const rootNs = protobuf.parse(readFileSync(protoFile, 'utf8'), { keepCase: true, alternateCommentMode: true }).root;
  const pkg = rootNs.lookup('boldstream.v1') as protobuf.Namespace;
  const parts = [
    '// Generated from proto/boldstream.proto by scripts/gen-proto.ts. Do not edit; run `npm run proto:gen`.',
    '/* eslint-disable */',
    '',
  ];
  for (const nested of pkg.nestedArray) {
    if (!(nested instanceof protobuf.Type)) continue;
    parts.push(nested.oneofsArray.length > 0 && nested.fieldsArray.every((f) => f.partOf) ? envelopeUnion(nested) : messageInterface(nested), '');
  }
  return parts.join('\n');
}

const check = process.argv.includes('--check');
const text = generate();
if (check) {
  let current = '';
  try {
    current = readFileSync(outFile, 'utf8');
  } catch {
    /* missing counts as stale */
  }
  if (current !== text) {
    console.error(`${path.relative(root, outFile)} is stale: run npm run proto:gen`);
    process.exit(1);
  }
  console.log('generated types match proto/boldstream.proto');
} else {
  writeFileSync(outFile, text);
  console.log(`wrote ${path.relative(root, outFile)}`);
}
