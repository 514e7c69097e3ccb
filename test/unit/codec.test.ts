import { unpack } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { BoldstreamError } from '../../src/errors.js';
import type { ClientMessage, ServerMessage, TrRecord } from '../../src/generated/boldstream.js';
import { decodeClientMessage, decodeServerMessage, encodeClientMessage, encodeServerMessage, encodings, packMsgpack, type Encoding } from '../../src/server/codec.js';
import { fakeRecord } from '../helpers/fake-session.js';

function volumePush(): Extract<ClientMessage, { type: 'volume' }> {
  const dims = [64, 64, 27];
  const voxels = new Float32Array(dims[0]! * dims[1]! * dims[2]!);
  for (let i = 0; i < voxels.length; i++) voxels[i] = Math.sin(i) * 1000;
  return {
    type: 'volume',
    session: 'run-01',
    index: 17,
    dims,
    voxelSize: [3, 3, 3.99],
    affine: [-3, 0, 0, 96, 0, 3, 0, -96, 0, 0, 4, -52, 0, 0, 0, 1],
    dtype: 'float32',
    data: new Uint8Array(voxels.buffer),
    acquisitionTime: 36012.5,
    repetitionTime: 2,
    warnings: [{ code: 'HEADER_TR_UNITS', message: 'TR 2000 read as 2 s' }],
  };
}

const clientMessages: ClientMessage[] = [
  { type: 'hello', protocol: 1, client: 'boldstream-python/0.1' },
  { type: 'subscribe', session: 'run-01', fromTr: 5 },
  { type: 'subscribe', session: '*' },
  { type: 'unsubscribe', session: 'run-01' },
  {
    type: 'start',
    ref: 'r1',
    spec: {
      id: 'run-01',
      source: { kind: 'push' },
      masks: [{ name: 'FFA', nifti: new Uint8Array([0x5c, 1, 0, 0, 0, 255]) }, { name: 'PPA', path: 'masks/ppa.nii.gz' }],
      model: 'faces-v1',
      events: [{ onset: 12, duration: 8, trial_type: 'face', stim_file: 'f01.png' }],
      dummyScans: 4,
      repetitionTime: 2,
    },
  },
  { type: 'end', session: 'run-01' },
  volumePush(),
  { type: 'event', session: 'run-01', event: { onset: 24, duration: 8, trial_type: 'house' } },
];

const record: TrRecord = fakeRecord(7);
const serverMessages: ServerMessage[] = [
  { type: 'welcome', protocol: 1, server: '0.1.0', backend: 'cpu', sessions: [{ id: 'run-01', state: 'running', source: { kind: 'replay', path: '/data/run.nii.gz', speed: 0 }, records: 3, masks: ['FFA'], startedAt: 1_700_000_000_000 }] },
  { type: 'record', session: 'run-01', record },
  { type: 'status', session: { id: 'run-01', state: 'ended', source: { kind: 'push' }, records: 3, masks: [], startedAt: 1, endedAt: 2 }, detail: 'stopped' },
  { type: 'ack', ref: 'volume', session: 'run-01', tr: 17 },
  { type: 'error', code: 'WS_BAD_MESSAGE', message: 'subscribe.session: required field is missing' },
];

describe.each(encodings)('codec, %s', (encoding: Encoding) => {
  it.each(clientMessages.map((m) => [m.type, m] as const))('round-trips a client %s message', (_type, message) => {
    expect(decodeClientMessage(encodeClientMessage(message, encoding), encoding)).toEqual(message);
  });

  it('keeps the 64x64x27 float32 volume bit for bit', () => {
    const push = volumePush();
    const back = decodeClientMessage(encodeClientMessage(push, encoding), encoding);
    expect(back.type).toBe('volume');
    if (back.type !== 'volume') return;
    expect(back.data.byteLength).toBe(64 * 64 * 27 * 4);
    const floats = new Float32Array(back.data.buffer.slice(back.data.byteOffset, back.data.byteOffset + back.data.byteLength));
    expect(floats).toEqual(new Float32Array(push.data.buffer));
  });

  it.each(serverMessages.map((m) => [m.type, m] as const))('round-trips a server %s message', (_type, message) => {
    expect(decodeServerMessage(encodeServerMessage(message, encoding), encoding)).toEqual(message);
  });

  it('sends a TrRecord matrix given as Float64Array as a plain list, and drops fields outside the proto', () => {
    const withTyped = { ...record, motion: { ...record.motion!, matrix: Float64Array.from(record.motion!.matrix) }, scratch: 1 };
    const back = decodeServerMessage(encodeServerMessage({ type: 'record', session: 's', record: withTyped as unknown as TrRecord }, encoding), encoding);
    expect(back).toEqual({ type: 'record', session: 's', record });
  });

  it('carries an error record (no data fields) through', () => {
    const error = { tr: 9, error: { code: 'VOLUME_MISSING', message: 'no volume arrived for this TR' } };
    const back = decodeServerMessage(encodeServerMessage({ type: 'record', session: 's', record: error as unknown as TrRecord }, encoding), encoding);
    expect(back.type === 'record' && back.record.error).toEqual(error.error);
    expect(back.type === 'record' && back.record.tr).toBe(9);
  });

  it('refuses an empty frame with WS_BAD_MESSAGE', () => {
    expect(() => decodeClientMessage(new Uint8Array(0), encoding)).toThrow(BoldstreamError);
  });
});

describe('codec wire forms', () => {
  it('writes bytes as base64 in JSON and as binary in msgpack', () => {
    const push = { ...volumePush(), dims: [1, 1, 1], data: new Uint8Array([1, 2, 3, 4]) };
    const json = JSON.parse(encodeClientMessage(push, 'json') as string) as Record<string, unknown>;
    expect(json.data).toBe('AQIDBA==');
    expect(json.type).toBe('volume');
    const plain = unpack(encodeClientMessage(push, 'msgpack') as Uint8Array) as Record<string, unknown>;
    expect(plain.data).toBeInstanceOf(Uint8Array);
    expect(plain.type).toBe('volume');
  });

  it('sends JSON as text and the binary encodings as bytes', () => {
    const ack: ServerMessage = { type: 'ack', ref: 'hello' };
    expect(typeof encodeServerMessage(ack, 'json')).toBe('string');
    expect(encodeServerMessage(ack, 'msgpack')).toBeInstanceOf(Uint8Array);
    expect(encodeServerMessage(ack, 'protobuf')).toBeInstanceOf(Uint8Array);
  });
});

describe('codec validation', () => {
  const json = (value: unknown) => () => decodeClientMessage(JSON.stringify(value), 'json');
  const msgpack = (value: unknown) => () => decodeClientMessage(packMsgpack(value), 'msgpack');
  const rejects = (thunk: () => unknown, pattern: RegExp) => {
    expect(thunk).toThrow(BoldstreamError);
    try {
      thunk();
    } catch (error) {
      expect((error as BoldstreamError).code).toBe('WS_BAD_MESSAGE');
      expect((error as Error).message).toMatch(pattern);
    }
  };

  it('names an unknown type', () => rejects(json({ type: 'launch', session: 'a' }), /type: unknown message type "launch"/));
  it('names a missing type', () => rejects(json({ session: 'a' }), /type: required/));
  it('names a missing required field', () => rejects(json({ type: 'subscribe' }), /subscribe\.session: required field is missing/));
  it('names a field of the wrong type', () => rejects(msgpack({ type: 'subscribe', session: 'a', fromTr: 'five' }), /subscribe\.fromTr: expected a finite number/));
  it('refuses a negative or fractional uint32', () => rejects(json({ type: 'subscribe', session: 'a', fromTr: -1 }), /subscribe\.fromTr: expected an integer/));
  it('refuses NaN', () => rejects(msgpack({ type: 'event', session: 'a', event: { duration: Number.NaN } }), /event\.event\.duration: expected a finite number/));
  it('names a nested field', () => rejects(json({ type: 'start', spec: { source: { kind: 'teleport' }, masks: [], events: [] } }), /start\.spec\.source\.kind: expected one of replay/));
  it('refuses unknown fields', () => rejects(json({ type: 'event', session: 'a', event: { duration: 1, trialType: 'face' } }), /event\.event\.trialType: unknown field/));
  it('refuses an oversize array', () => rejects(json({ type: 'start', spec: { source: { kind: 'push' }, events: Array.from({ length: 10_001 }, () => ({ duration: 1 })) } }), /start\.spec\.events: 10001 elements/));
  it('refuses an oversize small array', () => rejects(msgpack({ ...volumePush(), dims: Array(9).fill(1) }), /volume\.dims: 9 elements, at most 8/));
  it('refuses a session id that is a path', () => rejects(json({ type: 'end', session: '../etc' }), /end\.session/));
  it('refuses bytes that are not base64 in JSON', () => rejects(json({ ...volumePush(), data: 'not base64!' }), /volume\.data: expected a base64 string/));
  it('refuses bytes given as a list in msgpack', () => rejects(msgpack({ ...volumePush(), data: [1, 2, 3] }), /volume\.data: expected binary data/));
  it('refuses bad msgpack', () => rejects(() => decodeClientMessage(new Uint8Array([0xc1, 0xff]), 'msgpack'), /not valid msgpack/));
  it('refuses bad JSON', () => rejects(() => decodeClientMessage('{"type": "hello",', 'json'), /not valid json/));
  it('refuses msgpack in a text frame', () => rejects(() => decodeClientMessage('{"type":"hello"}', 'msgpack'), /binary frames/));
  it('refuses a top-level list', () => rejects(json([1, 2]), /expected an object/));
  it('refuses __proto__ keys', () => rejects(() => decodeClientMessage('{"type":"hello","protocol":1,"__proto__":{"x":1}}', 'json'), /__proto__: unknown field/));

  it('leaves what a pushed volume means to the push source (wrong data length still decodes)', () => {
    const message = decodeClientMessage(encodeClientMessage({ ...volumePush(), dims: [2, 2, 2] }, 'msgpack'), 'msgpack');
    expect(message.type).toBe('volume');
  });

  it('accepts typed arrays for numeric lists in msgpack', () => {
    const message = decodeClientMessage(packMsgpack({ ...volumePush(), affine: new Float64Array(16) }), 'msgpack');
    expect(message.type === 'volume' && message.affine).toEqual(Array(16).fill(0));
  });
});
