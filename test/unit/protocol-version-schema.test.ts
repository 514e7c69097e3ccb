/**
 * One version number: the proto's enum ProtocolVersion is the source; the TypeScript constant the
 * server uses, the Python client's constant (clients/python/.../messages.py) and the version
 * docs/protocol.md states all follow it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION as generated } from '../../src/generated/boldstream.js';
import { PROTOCOL_VERSION } from '../../src/server/protocol.js';
import { repoRoot } from '../helpers/paths.js';

const read = (...parts: string[]): string => readFileSync(path.join(repoRoot, ...parts), 'utf8');

describe('the protocol version has one source', () => {
  const root = protobuf.parse(read('proto', 'boldstream.proto'), { keepCase: true }).root;
  const fromProto = (root.lookupEnum('boldstream.v1.ProtocolVersion').values as Record<string, number>).PROTOCOL_VERSION_CURRENT;

  it('is declared in the proto and used by the server', () => {
    expect(fromProto).toBeGreaterThanOrEqual(1);
    expect(generated).toBe(fromProto);
    expect(PROTOCOL_VERSION).toBe(fromProto);
  });

  it('is the Python client’s', () => {
    const python = read('clients', 'python', 'src', 'boldstream_client', 'messages.py');
    expect(python).toMatch(new RegExp(`^PROTOCOL_VERSION = ${fromProto}$`, 'm'));
  });

  it('is the one docs/protocol.md states, with the close code of a refusal', () => {
    const docs = read('docs', 'protocol.md');
    expect(docs).toContain(`Protocol version: **${fromProto}**`);
    expect(docs).toContain(`protocol=${fromProto}`);
    expect(docs).toMatch(/\*\*4426\*\* \(`PROTOCOL_VERSION`\)/);
  });
});
