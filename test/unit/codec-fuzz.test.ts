import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BoldstreamError } from '../../src/errors.js';
import { clientMessageTypes } from '../../src/generated/boldstream.js';
import { decodeClientMessage, encodeClientMessage, encodings, packMsgpack, type Encoding } from '../../src/server/codec.js';

/** Decoding anything must either succeed or throw a BoldstreamError: nothing else may escape the socket boundary. */
function onlyCodedErrors(thunk: () => unknown): boolean {
  try {
    thunk();
    return true;
  } catch (error) {
    return error instanceof BoldstreamError && error.code === 'WS_BAD_MESSAGE';
  }
}

const runs = { numRuns: 400 };

describe('codec fuzz', () => {
  it.each(encodings)('random bytes decoded as %s give a value or WS_BAD_MESSAGE', (encoding: Encoding) => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => onlyCodedErrors(() => decodeClientMessage(bytes, encoding))), runs);
  });

  it('random strings decoded as JSON give a value or WS_BAD_MESSAGE', () => {
    fc.assert(fc.property(fc.string({ maxLength: 256 }), (text) => onlyCodedErrors(() => decodeClientMessage(text, 'json'))), runs);
  });

  it('random values in msgpack and JSON give a value or WS_BAD_MESSAGE', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        const text = JSON.stringify(value);
        const okJson = text === undefined || onlyCodedErrors(() => decodeClientMessage(text, 'json'));
        return okJson && onlyCodedErrors(() => decodeClientMessage(packMsgpack(value), 'msgpack'));
      }),
      runs,
    );
  });

  it('random objects with a known type give a value or WS_BAD_MESSAGE', () => {
    const shaped = fc.record({ type: fc.constantFrom(...clientMessageTypes), rest: fc.dictionary(fc.string(), fc.anything()) });
    fc.assert(
      fc.property(shaped, ({ type, rest }) => {
        const value = { ...rest, type };
        return onlyCodedErrors(() => decodeClientMessage(packMsgpack(value), 'msgpack')) && onlyCodedErrors(() => decodeClientMessage(JSON.stringify(value), 'json'));
      }),
      runs,
    );
  });

  it.each(encodings)('a valid %s message with flipped bytes gives a value or WS_BAD_MESSAGE', (encoding: Encoding) => {
    const valid = encodeClientMessage({ type: 'event', session: 'run-01', event: { onset: 12.5, duration: 8, trial_type: 'face', stim_file: 'f.png' } }, encoding);
    const bytes = typeof valid === 'string' ? new TextEncoder().encode(valid) : valid;
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(bytes.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), (flips) => {
        const copy = Uint8Array.from(bytes);
        for (const [at, value] of flips) copy[at] = value;
        return onlyCodedErrors(() => decodeClientMessage(encoding === 'json' ? Buffer.from(copy).toString('latin1') : copy, encoding));
      }),
      runs,
    );
  });

  it('never lets a decoded message carry a field outside the proto', () => {
    const decoded = decodeClientMessage(JSON.stringify({ type: 'hello', protocol: 1 }), 'json');
    expect(Object.keys(decoded).sort()).toEqual(['protocol', 'type']);
  });
});
