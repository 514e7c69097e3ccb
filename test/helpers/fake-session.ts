/**
 * A stand-in for the pipeline in server tests: a Session that emits plausible TR records on a
 * timer (or one per pushed volume), optionally recorded with the real Recorder so that catch-up
 * and the records route read a real recording.
 */
import { Subject } from 'rxjs';
import { BoldstreamError } from '../../src/errors.js';
import type { EventMarker, SessionInfo, SessionSpec, TrRecord, VolumePush } from '../../src/generated/boldstream.js';
import { recordingDir } from '../../src/record/layout.js';
import { Recorder, initialInfo } from '../../src/record/recorder.js';
import type { Session, SessionFactory, SessionRecord } from '../../src/session/types.js';

export interface FakeSessionOptions {
  /** ms between records of a non-push session (default 10). */
  readonly intervalMs?: number;
  /** Records before the session ends by itself (default: until stopped). */
  readonly count?: number;
  /** Record every session under this folder. */
  readonly recordingsDir?: string;
  /** Roughly this many extra characters in each record (as warnings), to make records big. */
  readonly padding?: number;
}

export function fakeRecord(tr: number, padding = 0): TrRecord {
  const t = tr * 0.01;
  return {
    tr,
    acquisitionTime: 36000 + tr * 2,
    receivedAt: 1_700_000_000_000 + tr * 2000,
    motion: { trans_x: t, trans_y: -t, trans_z: 0.5 * t, rot_x: 0.001 * tr, rot_y: 0, rot_z: -0.001 * tr, matrix: [1, 0, 0, t, 0, 1, 0, -t, 0, 0, 1, 0.5 * t, 0, 0, 0, 1] },
    framewise_displacement: 0.05 + t,
    roi: { FFA: Math.sin(tr), PPA: Math.cos(tr) },
    decoded: { label: tr % 2 === 0 ? 'face' : 'house', scores: { face: 0.6, house: 0.4 } },
    trial: { index: Math.floor(tr / 6), onset: Math.floor(tr / 6) * 12, duration: 8, n: (tr % 6) + 1, label: 'face', scores: { face: 0.7, house: 0.3 } },
    latencyMs: { motion: 4.2, decode: 0.8, total: 6.1 },
    // Padding in pieces that stay under the wire's 4096-character string limit.
    warnings: Array.from({ length: Math.ceil(padding / 4000) }, () => ({ code: 'STATS_WARMING_UP', message: 'x'.repeat(4000) })),
    quality: { similarity: 0.98, iterations: 5, converged: true, nonfiniteVoxels: 0, warmingUp: tr < 5 },
  };
}

export class FakeSession implements Session {
  readonly records$ = new Subject<SessionRecord>();
  readonly status$ = new Subject<{ info: SessionInfo; detail?: string }>();
  readonly done: Promise<void>;
  readonly events: EventMarker[] = [];
  private state: SessionInfo;
  private next = 0;
  private timer: NodeJS.Timeout | undefined;
  private finish!: () => void;
  private ending: Promise<void> | undefined;

  constructor(
    readonly spec: SessionSpec & { id: string },
    private readonly options: FakeSessionOptions,
    private readonly recorder?: Recorder,
  ) {
    this.state = initialInfo(spec);
    this.done = new Promise((resolve) => (this.finish = resolve));
    // Start after create() has returned, as a real session would: the hub subscribes in between.
    setTimeout(() => this.begin(), 0);
  }

  get id(): string {
    return this.spec.id;
  }

  info(): SessionInfo {
    return this.state;
  }

  /** Emits one record now, as the pipeline would. */
  emit(record: SessionRecord): void {
    this.recorder?.appendRecord(record);
    this.state = { ...this.state, records: this.state.records + 1 };
    this.records$.next(record);
  }

  pushVolume(push: VolumePush): void {
    if (this.spec.source.kind !== 'push') throw new BoldstreamError('SESSION_NOT_PUSH', this.id);
    this.emit(fakeRecord(push.index));
  }

  addEvent(event: EventMarker): void {
    this.events.push(event);
    this.recorder?.appendEvent(event);
  }

  stop(): Promise<void> {
    this.ending ??= this.end('stopped');
    return this.ending;
  }

  private begin(): void {
    if (this.ending) return;
    this.state = { ...this.state, state: 'running' };
    this.status$.next({ info: this.state, detail: 'started' });
    if (this.spec.source.kind === 'push') return;
    this.timer = setInterval(() => {
      this.emit(fakeRecord(this.next++, this.options.padding));
      if (this.options.count !== undefined && this.next >= this.options.count) void this.stop();
    }, this.options.intervalMs ?? 10);
  }

  private async end(detail: string): Promise<void> {
    clearInterval(this.timer);
    this.state = { ...this.state, state: 'ended', endedAt: Date.now() };
    this.status$.next({ info: this.state, detail });
    this.records$.complete();
    this.status$.complete();
    await this.recorder?.close(this.state);
    this.finish();
  }
}

export class FakeSessionFactory implements SessionFactory {
  readonly sessions = new Map<string, FakeSession>();

  constructor(private readonly options: FakeSessionOptions = {}) {}

  async create(spec: SessionSpec & { id: string }): Promise<FakeSession> {
    const recorder = this.options.recordingsDir
      ? await Recorder.create(recordingDir(this.options.recordingsDir, spec.id), spec, { fsyncIntervalMs: 50 })
      : undefined;
    const session = new FakeSession(spec, this.options, recorder);
    this.sessions.set(spec.id, session);
    return session;
  }
}
