/**
 * Network push: a scanner-side client sends volumes over the WebSocket (VolumePush in the proto).
 * A push that cannot become a volume is an error record for the TR it names, never a dropped socket
 * for the whole session (the gateway closes only connections whose messages do not parse at all).
 */
import { Observable, Subject } from 'rxjs';
import { BoldstreamError, catalogue, type ErrorCode, type Warning } from '../../errors.js';
import type { VolumePush } from '../../generated/boldstream.js';
import { fromRows, invert } from '../../geometry/mat4.js';
import type { Volume } from '../../volume.js';
import type { SourceDescription, SourceItem, VolumeSource } from './source.js';

const BYTES: Record<string, number> = { float32: 4, int16: 2, uint16: 2 };
/** A 256³ volume is far beyond any fMRI run; the cap keeps a bad header from allocating gigabytes. */
const MAX_VOXELS = 256 * 256 * 256;

/** A client's warning is passed on only under a catalogue code and with a bounded message. */
function clientWarning(w: { code: string; message: string }): Warning {
  const code = (Object.hasOwn(catalogue, w.code) ? w.code : 'VOLUME_INVALID') as ErrorCode;
  return { code, message: String(w.message).slice(0, 500) };
}

export function volumeFromPush(push: VolumePush, receivedAt: number, series: string): Volume {
  const fail = (detail: string): never => {
    throw new BoldstreamError('VOLUME_INVALID', `pushed TR ${push.index}: ${detail}`);
  };
  const dims = push.dims;
  if (dims.length !== 3 || dims.some((d) => !Number.isInteger(d) || d < 1)) fail('dims must be three positive integers');
  const n = dims[0]! * dims[1]! * dims[2]!;
  if (n > MAX_VOXELS) fail(`${n} voxels is more than ${MAX_VOXELS}`);
  if (push.voxelSize.length !== 3 || push.voxelSize.some((v) => !(v > 0) || !Number.isFinite(v))) fail('voxelSize must be three positive numbers');
  if (push.affine.length !== 16 || push.affine.some((v) => !Number.isFinite(v))) fail('affine must be 16 finite numbers');
  const width = BYTES[push.dtype];
  if (!width) fail(`dtype ${push.dtype} is not float32, int16 or uint16`);
  if (push.data.byteLength !== n * width!) fail(`data holds ${push.data.byteLength} bytes, ${n * width!} expected`);
  const view = new DataView(push.data.buffer, push.data.byteOffset, push.data.byteLength);
  const data = new Float32Array(n);
  // Little-endian by the protocol's definition, whatever the machine is.
  if (push.dtype === 'float32') for (let i = 0; i < n; i++) data[i] = view.getFloat32(i * 4, true);
  else if (push.dtype === 'int16') for (let i = 0; i < n; i++) data[i] = view.getInt16(i * 2, true);
  else for (let i = 0; i < n; i++) data[i] = view.getUint16(i * 2, true);
  const rows = [0, 1, 2, 3].map((r) => push.affine.slice(r * 4, r * 4 + 4));
  // Motion correction and masks map voxels to mm and back: the affine must be a voxel-to-world transform.
  if (rows[3]!.some((v, i) => v !== (i === 3 ? 1 : 0))) fail('affine must end with the row 0 0 0 1');
  try {
    invert(fromRows(rows));
  } catch {
    fail('affine must be invertible (its 3 × 3 part is singular)');
  }
  return {
    identity: { series, index: push.index },
    grid: { dims: [dims[0]!, dims[1]!, dims[2]!], voxelSize: [push.voxelSize[0]!, push.voxelSize[1]!, push.voxelSize[2]!], affine: fromRows(rows) },
    data,
    acquisitionTime: push.acquisitionTime ?? null,
    receivedAt,
    repetitionTime: push.repetitionTime ?? null,
    warnings: (push.warnings ?? []).map(clientWarning),
  };
}

export class PushSource implements VolumeSource {
  readonly description: SourceDescription;
  private readonly incoming = new Subject<SourceItem>();
  /** What came before the pipeline subscribed (a client may push right after `start`), and whether it ended. */
  private early: SourceItem[] | null = [];
  private endedEarly = false;
  /**
   * Told of each volume as it is received, before the pipeline may have subscribed: the session
   * records it here, so a volume acknowledged to the client is already on its way to disk.
   */
  onVolume: ((volume: Volume) => void) | null = null;

  constructor(private readonly sessionId: string, repetitionTime: number | null = null) {
    this.description = { kind: 'push', from: `push:${sessionId}`, repetitionTime };
  }

  items(): Observable<SourceItem> {
    return new Observable<SourceItem>((subscriber) => {
      const early = this.early ?? [];
      this.early = null;
      const subscription = this.incoming.subscribe(subscriber);
      for (const item of early) subscriber.next(item);
      if (this.endedEarly) subscriber.complete();
      return subscription;
    });
  }

  private emit(item: SourceItem): void {
    if (this.early) this.early.push(item);
    else this.incoming.next(item);
  }

  push(message: VolumePush): void {
    const receivedAt = Date.now();
    try {
      const volume = volumeFromPush(message, receivedAt, `push:${this.sessionId}`);
      this.onVolume?.(volume);
      this.emit({ kind: 'volume', volume });
    } catch (error) {
      this.emit({ kind: 'problem', tr: Number.isInteger(message.index) ? message.index : null, error: error as BoldstreamError });
    }
  }

  end(): void {
    if (this.early) this.endedEarly = true;
    else this.incoming.complete();
  }
}
