/**
 * JSON as the recording writes it: typed arrays become plain lists (a Float64Array matrix would
 * otherwise become an object of indices) and bytes become base64, as on the JSON wire.
 */
export function recordingJson(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key: string, current: unknown) {
    // `this[key]` is the value before toJSON (a Buffer's toJSON would hide that it is bytes).
    const raw = key === '' ? current : this[key];
    if (raw instanceof Uint8Array) return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64');
    if (ArrayBuffer.isView(raw) && !(raw instanceof DataView)) return Array.from(raw as unknown as ArrayLike<number>);
    return current;
  });
}
