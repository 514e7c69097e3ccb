/**
 * Binary fields leave the server as standard msgpack `bin`, so that any msgpack library reads them:
 * msgpackr on its own would write a plain Uint8Array as its typed-array extension (ext 0x74).
 * The bytes are looked for in the encoded frame itself, not read back with the same codec.
 */
import { describe, expect, it } from 'vitest';
import type { ServerMessage } from '../../src/generated/boldstream.js';
import { encodeServerMessage } from '../../src/server/codec.js';

const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
const frame = { type: 'frame', session: 's', trial: 1, tr: 7, iteration: 0, loss: 0.5, featureCorrelation: 0.25, width: 2, height: 2, png, space: 'pixels-16-rgb', elapsedMs: 0 } as unknown as ServerMessage;

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

describe('bytes on the msgpack wire', () => {
  it('a frame’s png is msgpack bin 8 (0xc4, length, bytes), not an extension', () => {
    const wire = encodeServerMessage(frame, 'msgpack') as Uint8Array;
    const at = indexOf(wire, png);
    expect(at).toBeGreaterThan(2);
    expect([wire[at - 2], wire[at - 1]]).toEqual([0xc4, png.length]);
    expect(indexOf(wire, new Uint8Array([0xc7, png.length + 1, 0x74]))).toBe(-1);
  });

  it('a view into a larger buffer sends only its own bytes', () => {
    const big = new Uint8Array(64).fill(0xee);
    big.set(png, 20);
    const wire = encodeServerMessage({ ...frame, png: big.subarray(20, 20 + png.length) } as ServerMessage, 'msgpack') as Uint8Array;
    const at = indexOf(wire, png);
    expect(wire[at - 1]).toBe(png.length);
    expect(indexOf(wire, new Uint8Array([0xee, 0xee]))).toBe(-1);
  });
});
