import { describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION, checkProtocol, negotiate } from '../../src/server/protocol.js';

const url = (query: string) => new URL(`http://localhost/ws${query}`);

describe('protocol negotiation', () => {
  it('defaults to msgpack and our protocol', () => {
    expect(negotiate(url(''))).toEqual({ encoding: 'msgpack', protocol: PROTOCOL_VERSION });
  });

  it('takes the encoding and protocol from the URL; only the major counts', () => {
    expect(negotiate(url('?encoding=json&protocol=1'))).toEqual({ encoding: 'json', protocol: 1 });
    expect(negotiate(url('?encoding=protobuf&protocol=1.4'))).toEqual({ encoding: 'protobuf', protocol: 1 });
  });

  it('refuses an unknown encoding with WS_UNSUPPORTED_ENCODING naming what we speak', () => {
    expect(() => negotiate(url('?encoding=xml'))).toThrow(/msgpack, json, protobuf/);
    expect(() => negotiate(url('?encoding=xml'))).toThrow(expect.objectContaining({ code: 'WS_UNSUPPORTED_ENCODING' }));
  });

  it('refuses another major with PROTOCOL_VERSION saying what the server speaks', () => {
    expect(() => negotiate(url('?protocol=2'))).toThrow(`client speaks protocol 2; this server speaks protocol ${PROTOCOL_VERSION}`);
    expect(() => checkProtocol(0)).toThrow(expect.objectContaining({ code: 'PROTOCOL_VERSION' }));
    expect(() => negotiate(url('?protocol=one'))).toThrow(expect.objectContaining({ code: 'PROTOCOL_VERSION' }));
  });
});
