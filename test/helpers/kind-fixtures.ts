/**
 * Fixtures for the failure-kind tests (test/kinds/): the rt-cloud export read from the shared data,
 * small synthetic volumes whose times and grid a test sets, the pipeline run over a list of source
 * items, and waiting helpers. Everything a test writes goes to a temporary folder it removes.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { from, lastValueFrom, type Observable, toArray } from 'rxjs';
import { defaultConfig, type PipelineConfig } from '../../src/config.js';
import type { Warning } from '../../src/errors.js';
import { fromRows, type Mat4 } from '../../src/geometry/mat4.js';
import type { SourceItem } from '../../src/ingest/sources/source.js';
import type { PipelineItem } from '../../src/pipeline/context.js';
import type { MaskImage } from '../../src/pipeline/run-state.js';
import { preprocess, sessionPipeline } from '../../src/pipeline/session-pipeline.js';
import { TrialSchedule } from '../../src/pipeline/trial-schedule.js';
import type { SessionRecord } from '../../src/session/types.js';
import type { ArrivalNews } from '../../src/pipeline/watch-arrival.js';
import type { Volume, VoxelGrid } from '../../src/volume.js';
import { pino } from 'pino';
import { type ConfigOverrides } from '../../src/config.js';
import type { SessionInfo, SessionSpec } from '../../src/generated/boldstream.js';
import { PipelineSessionFactory } from '../../src/session/factory.js';
import type { Session } from '../../src/session/types.js';
import { dataPath } from './paths.js';

// ---------------------------------------------------------------------------------------------------
// The rt-cloud Siemens export: 11 files, instances 1-10 (TR 0-9) and a byte copy of instance 10.

export const rtDir = (): string => dataPath('rtcloud-faces', 'dicom');
export const rtName = (instance: number): string => `001_000013_${String(instance).padStart(6, '0')}.dcm`;
export const rtFile = (instance: number): string => path.join(rtDir(), rtName(instance));
export const rtBytes = (instance: number): Uint8Array => new Uint8Array(readFileSync(rtFile(instance)));
/** The rt-cloud run's TR, seconds (RepetitionTime 1500 ms). */
export const RT_TR = 1.5;

// ---------------------------------------------------------------------------------------------------
// Waiting and folders

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function until(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`gave up waiting for ${what}`);
    await sleep(20);
  }
}

/** Temporary folders of one test file; `removeAll` in afterAll. */
export class TempDirs {
  private readonly dirs: string[] = [];

  make(prefix: string): string {
    const dir = mkdtempSync(path.join(tmpdir(), `boldstream-kind-${prefix}-`));
    this.dirs.push(dir);
    return dir;
  }

  removeAll(): void {
    for (const dir of this.dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------
// Small volumes with a structure that registration can lock on to

export const SMALL_DIMS = [16, 16, 8] as const;

/** A smooth head-like blob plus a seeded ripple: motion correction converges on it in a few iterations. */
export function blobData(options: { dims?: readonly [number, number, number]; contrast?: 'normal' | 'inverted'; shift?: number; seed?: number } = {}): Float32Array {
  const [nx, ny, nz] = options.dims ?? SMALL_DIMS;
  const out = new Float32Array(nx * ny * nz);
  const shift = options.shift ?? 0;
  let state = options.seed ?? 1;
  const noise = (): number => {
    state = (state * 48271) % 2147483647;
    return state / 2147483647 - 0.5;
  };
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        const x = (i - nx / 2 - shift) / (nx / 3);
        const y = (j - ny / 2) / (ny / 3.5);
        const z = (k - nz / 2) / (nz / 2.5);
        const r2 = x * x + y * y + z * z;
        // Tissue with an inner structure (so that all six motions are visible), background 0.
        const tissue = r2 < 1 ? 800 + 300 * Math.cos(3 * x) * Math.sin(2 * y + z) + 150 * Math.exp(-4 * r2) : 0;
        const value = tissue > 0 ? tissue + 5 * noise() : 0;
        out[i + nx * (j + ny * k)] = options.contrast === 'inverted' && tissue > 0 ? 2200 - value : value;
      }
    }
  }
  return out;
}

export interface SmallVolumeOptions {
  readonly series?: string;
  readonly data?: Float32Array;
  readonly grid?: Partial<VoxelGrid>;
  readonly acquisitionTime?: number | null;
  readonly receivedAt?: number;
  readonly repetitionTime?: number | null;
  readonly warnings?: Warning[];
}

/** 3 mm voxels, the grid centred on the origin. */
export const SMALL_AFFINE = (): Mat4 => fromRows([[3, 0, 0, -24], [0, 3, 0, -24], [0, 0, 3, -12], [0, 0, 0, 1]]);
export const smallGrid = (affine: Mat4 = SMALL_AFFINE()): VoxelGrid => ({ dims: [...SMALL_DIMS], voxelSize: [3, 3, 3], affine });

export function smallVolume(index: number, options: SmallVolumeOptions = {}): Volume {
  return {
    identity: { series: options.series ?? 'kind-series', index, instance: `kind-${index}` },
    grid: { ...smallGrid(), ...options.grid },
    data: options.data ?? blobData({ seed: index + 1 }),
    acquisitionTime: options.acquisitionTime === undefined ? 40_000 + index * 2 : options.acquisitionTime,
    receivedAt: options.receivedAt ?? Date.now(),
    repetitionTime: options.repetitionTime === undefined ? 2 : options.repetitionTime,
    warnings: options.warnings ?? [],
  };
}

export const volumeOf = (volume: Volume): SourceItem => ({ kind: 'volume', volume });

// ---------------------------------------------------------------------------------------------------
// The pipeline up to the ROI signal, as a session runs it

export function pipelineConfig(overrides: Partial<PipelineConfig> = {}): PipelineConfig {
  return { ...defaultConfig().pipeline, ...overrides };
}

export interface Processed {
  readonly items: PipelineItem[];
  readonly notices: Warning[];
  readonly arrival: ArrivalNews[];
}

/** Runs `preprocess` (the session's own operators) over the items and collects what comes out. */
export async function processItems(
  items: readonly SourceItem[] | Observable<SourceItem>,
  options: { pipeline?: Partial<PipelineConfig>; repetitionTime?: number | null; watchArrival?: boolean } = {},
): Promise<Processed> {
  const notices: Warning[] = [];
  const arrival: ArrivalNews[] = [];
  const source = Array.isArray(items) ? from(items as SourceItem[]) : (items as Observable<SourceItem>);
  const out = preprocess(source, {
    inputs: { pipeline: pipelineConfig(options.pipeline), masks: [], model: null },
    repetitionTime: options.repetitionTime ?? null,
    onNotice: (w) => notices.push(w),
    ...(options.watchArrival ? { onArrival: (n: ArrivalNews) => arrival.push(n) } : {}),
  });
  return { items: await lastValueFrom(out.pipe(toArray()), { defaultValue: [] }), notices, arrival };
}

/** The whole session pipeline (records, as clients get them) over the items. */
export async function recordsOf(
  items: readonly SourceItem[],
  options: { pipeline?: Partial<PipelineConfig>; repetitionTime?: number | null; masks?: readonly MaskImage[] } = {},
): Promise<SessionRecord[]> {
  const inputs = { pipeline: pipelineConfig(options.pipeline), masks: options.masks ?? [], model: null };
  const out = sessionPipeline(from(items as SourceItem[]), { inputs, repetitionTime: options.repetitionTime ?? null }, new TrialSchedule());
  return lastValueFrom(out.pipe(toArray()), { defaultValue: [] });
}

/** "v3" for a processed TR 3, "VOLUME_MISSING 4" for an error record. */
export function labelOf(item: PipelineItem): string {
  return item.kind === 'tr' ? `v${item.ctx.tr}` : `${item.record.error.code} ${item.record.tr}`;
}

export function codesOf(item: PipelineItem): string[] {
  return (item.kind === 'tr' ? item.ctx.warnings : (item.record.warnings ?? [])).map((w) => w.code);
}

// ---------------------------------------------------------------------------------------------------
// A session as the server runs it (the real factory), without the server: what its clients would see

export interface WatchedSession {
  readonly session: Session;
  readonly records: SessionRecord[];
  /** Status details in the order clients got them, each after the records sent before it. */
  readonly statuses: { detail: string; afterRecords: number; at: number; info: SessionInfo }[];
  readonly ended: Promise<SessionInfo>;
}

export async function startSession(spec: SessionSpec & { id: string }, overrides: ConfigOverrides = {}): Promise<WatchedSession> {
  const config = defaultConfig({ logLevel: 'silent', ...overrides });
  const factory = new PipelineSessionFactory({ config, logger: pino({ level: 'silent' }), record: false });
  const session = await factory.create(spec);
  const records: SessionRecord[] = [];
  const statuses: WatchedSession['statuses'] = [];
  let end!: (info: SessionInfo) => void;
  const ended = new Promise<SessionInfo>((resolve) => (end = resolve));
  // Subscribed before the pipeline starts (it starts on the next turn of the event loop).
  session.records$.subscribe((r) => records.push(r));
  session.status$.subscribe({
    next: ({ info, detail }) => {
      if (detail !== undefined) statuses.push({ detail, afterRecords: records.length, at: Date.now(), info });
    },
    complete: () => end(session.info()),
  });
  return { session, records, statuses, ended };
}
