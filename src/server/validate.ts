/**
 * Strict validation of a message against its proto type, by protobufjs reflection: the proto stays
 * the one schema, and every encoding is held to it the same way.
 *
 * The result is a fresh object holding only the declared fields (so nothing a client adds can reach
 * the pipeline), with repeated and map fields defaulted to empty and bytes as Uint8Array. Singular
 * fields not marked `optional` in the proto are required, as the generated types say.
 */
import protobuf from 'protobufjs';
import { BoldstreamError, type ErrorCode } from '../errors.js';
import { limits, ruleFor, type FieldRule } from './field-rules.js';
import { isOptional } from './schema.js';

export type Plain = Record<string, unknown>;

/** How `bytes` fields travel: binary in msgpack and protobuf, base64 strings in JSON. */
export type BytesForm = 'binary' | 'base64';

export interface ValidateOptions {
  readonly bytes: BytesForm;
  /** The catalogue code for a mismatch: WS_BAD_MESSAGE on the socket, HTTP_BAD_REQUEST over HTTP. */
  readonly code: ErrorCode;
}

const int32: readonly [number, number] = [-0x80000000, 0x7fffffff];
const uint32: readonly [number, number] = [0, 0xffffffff];
const int64: readonly [number, number] = [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER];
const integerRanges: Readonly<Record<string, readonly [number, number]>> = {
  int32, sint32: int32, sfixed32: int32, uint32, fixed32: uint32,
  int64, sint64: int64, sfixed64: int64, uint64: [0, Number.MAX_SAFE_INTEGER], fixed64: [0, Number.MAX_SAFE_INTEGER],
};
const numericTypes = new Set(['double', 'float', ...Object.keys(integerRanges)]);
const base64Pattern = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function isPlainObject(value: unknown): value is Plain {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (ArrayBuffer.isView(value)) return 'binary data';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

const at = (where: string, key: string): string => (where ? `${where}.${key}` : key);
const own = (object: Plain, key: string): unknown => (Object.hasOwn(object, key) ? object[key] : undefined);

class Checker {
  constructor(private readonly options: ValidateOptions) {}

  private fail(where: string, problem: string): never {
    throw new BoldstreamError(this.options.code, `${where}: ${problem}`);
  }

  message(type: protobuf.Type, value: unknown, where: string): Plain {
    if (!isPlainObject(value)) this.fail(where, `expected an object (${type.name}), got ${describe(value)}`);
    for (const key of Object.keys(value)) {
      if (!Object.hasOwn(type.fields, key)) this.fail(at(where, key), `unknown field in ${type.name}`);
    }
    const out: Plain = {};
    for (const field of type.fieldsArray) {
      const here = at(where, field.name);
      const raw = own(value, field.name);
      const rule = ruleFor(type.name, field.name);
      if (raw === undefined || raw === null) {
        if (field.map) out[field.name] = {};
        else if (field.repeated) out[field.name] = [];
        else if (!isOptional(field) && !(rule?.requiredUnless !== undefined && own(value, rule.requiredUnless) != null)) {
          this.fail(here, 'required field is missing');
        }
        continue;
      }
      if (field.map) out[field.name] = this.map(field, raw, here, rule);
      else if (field.repeated) out[field.name] = this.list(field, raw, here, rule);
      else out[field.name] = this.single(field, raw, here, rule);
    }
    return out;
  }

  private single(field: protobuf.Field, value: unknown, where: string, rule: FieldRule | undefined): unknown {
    const resolved = field.resolvedType;
    if (resolved instanceof protobuf.Type) return this.message(resolved, value, where);
    if (resolved instanceof protobuf.Enum) {
      if (typeof value === 'string' && Object.hasOwn(resolved.values, value)) return value;
      if (typeof value === 'number' && Object.hasOwn(resolved.valuesById, value)) return value;
      return this.fail(where, `expected one of ${Object.keys(resolved.values).join(', ')}`);
    }
    return this.scalar(field.type, value, where, rule);
  }

  private list(field: protobuf.Field, value: unknown, where: string, rule: FieldRule | undefined): unknown[] {
    // A msgpack client may send numbers as a typed array (msgpackr moreTypes); they are numbers all the same.
    const items = Array.isArray(value)
      ? (value as unknown[])
      : ArrayBuffer.isView(value) && !(value instanceof DataView) && numericTypes.has(field.type)
        ? Array.from(value as unknown as ArrayLike<number>)
        : this.fail(where, `expected a list, got ${describe(value)}`);
    const max = rule?.maxItems ?? limits.maxItems;
    if (items.length > max) this.fail(where, `${items.length} elements, at most ${max} allowed`);
    return items.map((item, i) => this.single(field, item, `${where}[${i}]`, rule));
  }

  private map(field: protobuf.Field, value: unknown, where: string, rule: FieldRule | undefined): Plain {
    if (!isPlainObject(value)) this.fail(where, `expected an object (map), got ${describe(value)}`);
    const keys = Object.keys(value);
    if (keys.length > limits.maxMapEntries) this.fail(where, `${keys.length} entries, at most ${limits.maxMapEntries} allowed`);
    const out: Plain = {};
    for (const key of keys) {
      if (key.length > limits.maxKey) this.fail(where, `a key is longer than ${limits.maxKey} characters`);
      out[key] = this.single(field, value[key], `${where}[${JSON.stringify(key)}]`, rule);
    }
    return out;
  }

  private scalar(type: string, value: unknown, where: string, rule: FieldRule | undefined): unknown {
    const range = integerRanges[type];
    if (type === 'double' || type === 'float' || range) {
      if (typeof value !== 'number' || !Number.isFinite(value)) this.fail(where, `expected a finite number, got ${describe(value)}`);
      if (range && (!Number.isInteger(value) || value < range[0] || value > range[1])) {
        this.fail(where, `expected an integer from ${range[0]} to ${range[1]} (${type}), got ${value}`);
      }
      if (rule?.min !== undefined && value < rule.min) this.fail(where, `must be at least ${rule.min}, got ${value}`);
      return value;
    }
    if (type === 'bool') {
      if (typeof value !== 'boolean') this.fail(where, `expected true or false, got ${describe(value)}`);
      return value;
    }
    if (type === 'string') return this.string(value, where, rule);
    if (type === 'bytes') return this.bytes(value, where);
    return this.fail(where, `field type ${type} is not supported`);
  }

  private string(value: unknown, where: string, rule: FieldRule | undefined): string {
    if (typeof value !== 'string') this.fail(where, `expected a string, got ${describe(value)}`);
    if (value.length > limits.maxString) this.fail(where, `longer than ${limits.maxString} characters`);
    if (rule?.oneOf && !rule.oneOf.includes(value)) this.fail(where, `expected one of ${rule.oneOf.join(', ')}, got ${JSON.stringify(value)}`);
    if (rule?.pattern && !rule.pattern.test(value)) this.fail(where, `${JSON.stringify(value.slice(0, 80))} does not match ${rule.pattern.source}`);
    return value;
  }

  private bytes(value: unknown, where: string): Uint8Array {
    if (this.options.bytes === 'binary') {
      if (!(value instanceof Uint8Array)) this.fail(where, `expected binary data, got ${describe(value)}`);
      // A plain view (no copy) rather than the decoder's Buffer, so that callers see one type.
      return value.constructor === Uint8Array ? value : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    }
    if (typeof value !== 'string' || !base64Pattern.test(value)) this.fail(where, 'expected a base64 string');
    const buffer = Buffer.from(value, 'base64');
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  }
}

/**
 * Checks `value` against `type` and returns the validated copy; throws a BoldstreamError with
 * `options.code` whose message names the offending field (`volume.dims[1]: expected ...`).
 */
export function validateMessage(type: protobuf.Type, value: unknown, options: ValidateOptions, where = type.name): Plain {
  return new Checker(options).message(type, value, where);
}
