/**
 * Shapes an outgoing message to its proto type before it is encoded, by the same reflection.
 *
 * What the pipeline hands over is trusted but not necessarily wire-ready: a matrix may be a
 * Float64Array (msgpack would turn it into an extension type other languages cannot read, JSON into
 * an object of indices), an optional field may hold `undefined`, a record may carry working fields
 * that are not part of the contract. Shaping keeps declared fields only, turns typed arrays into
 * plain lists and puts bytes into the form the encoding carries.
 */
import protobuf from 'protobufjs';
import type { BytesForm, Plain } from './validate.js';

function list(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as unknown as ArrayLike<number>);
  return [];
}

function bytesOut(value: unknown, form: BytesForm): unknown {
  if (!(value instanceof Uint8Array)) return value;
  // A Buffer view, not the Uint8Array itself: msgpackr writes a plain Uint8Array as its own typed-array
  // extension (ext 0x74), which other msgpack libraries cannot read; a Buffer goes out as standard bin.
  const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  return form === 'base64' ? bytes.toString('base64') : bytes;
}

function element(field: protobuf.Field, value: unknown, form: BytesForm): unknown {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) return value !== null && typeof value === 'object' ? shapeMessage(resolved, value as Plain, form) : value;
  if (field.type === 'bytes') return bytesOut(value, form);
  return value;
}

export function shapeMessage(type: protobuf.Type, value: Plain, form: BytesForm): Plain {
  const out: Plain = {};
  for (const field of type.fieldsArray) {
    const raw = value[field.name];
    if (raw === undefined || raw === null) continue;
    if (field.map) {
      const entries: Plain = {};
      for (const [k, v] of Object.entries(raw as Plain)) if (v !== undefined) entries[k] = element(field, v, form);
      out[field.name] = entries;
    } else if (field.repeated) {
      out[field.name] = list(raw).map((v) => element(field, v, form));
    } else {
      out[field.name] = element(field, raw, form);
    }
  }
  return out;
}
