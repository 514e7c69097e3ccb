/**
 * A running session: one source, one pipeline, one recording.
 *
 *   source.items() ─ tap: record each volume as received ─ sessionPipeline ─┬─ recorder.appendRecord
 *                                                                          └─ records$ (hub, CLI)
 *   addEvent ─ TrialSchedule (placed on the run clock) ─ recorder.appendEvent
 *
 * The pipeline starts on the next turn of the event loop, so whoever created the session can
 * subscribe to `records$` first and miss nothing.
 */
import { Subject, type Subscription, tap } from 'rxjs';
import type { Config, PipelineConfig } from '../config.js';
import { BoldstreamError, asBoldstreamError, type Warning } from '../errors.js';
import type { EventMarker, SessionInfo, SessionSpec, VolumePush } from '../generated/boldstream.js';
import { PushSource } from '../ingest/sources/push.js';
import type { VolumeSource } from '../ingest/sources/source.js';
import type { Logger } from '../log.js';
import { sessionPipeline } from '../pipeline/session-pipeline.js';
import { TrialSchedule } from '../pipeline/trial-schedule.js';
import type { MaskImage } from '../pipeline/run-state.js';
import { initialInfo, type Recorder } from '../record/index.js';
import type { LoadedModel } from './loaded-model.js';
import { isErrorRecord, type Session, type SessionRecord } from './types.js';

export interface SessionParts {
  readonly spec: SessionSpec & { id: string };
  readonly config: Config;
  readonly logger: Logger;
  readonly source: VolumeSource;
  readonly masks: readonly MaskImage[];
  readonly model: LoadedModel | null;
  readonly recorder: Recorder | null;
}

export class PipelineSession implements Session {
  readonly id: string;
  readonly records$ = new Subject<SessionRecord>();
  readonly status$ = new Subject<{ info: SessionInfo; detail?: string }>();
  readonly done: Promise<void>;
  private state: SessionInfo;
  private readonly schedule: TrialSchedule;
  private subscription: Subscription | null = null;
  private finish!: () => void;
  private stopping = false;
  /** Conditions of the session itself (a failing disk) told on the next record. */
  private pendingWarnings: Warning[] = [];

  constructor(private readonly parts: SessionParts) {
    this.id = parts.spec.id;
    this.schedule = new TrialSchedule();
    for (const e of parts.spec.events) this.addEvent(e);
    this.state = {
      ...initialInfo(parts.spec),
      masks: parts.masks.map((m) => m.name),
      ...(parts.model ? { model: parts.model.name } : {}),
      ...(parts.source.description.repetitionTime !== null ? { repetitionTime: parts.source.description.repetitionTime } : {}),
    };
    this.done = new Promise((resolve) => (this.finish = resolve));
    setImmediate(() => this.start());
  }

  info(): SessionInfo {
    return { ...this.state };
  }

  private get log(): Logger {
    return this.parts.logger;
  }

  private setState(change: Partial<SessionInfo>, detail?: string): void {
    this.state = { ...this.state, ...change };
    void this.parts.recorder?.update(this.state);
    this.status$.next(detail === undefined ? { info: this.info() } : { info: this.info(), detail });
  }

  private start(): void {
    if (this.stopping && !(this.parts.source instanceof PushSource)) {
      this.setState({ state: 'ended', endedAt: Date.now() }, 'stopped');
      return this.end();
    }
    const { source, recorder } = this.parts;
    this.setState({ state: 'running' });
    this.log.info({ source: source.description.kind, from: source.description.from, masks: this.state.masks, model: this.state.model ?? null }, 'pipeline started');
    const items = source.items().pipe(
      tap((item) => {
        if (item.kind === 'volume') recorder?.appendVolume(item.volume);
      }),
    );
    const records = sessionPipeline(
      items,
      {
        inputs: { pipeline: this.pipelineConfig(), masks: this.parts.masks, model: this.parts.model },
        repetitionTime: this.parts.spec.repetitionTime ?? source.description.repetitionTime,
        onNotice: (w: Warning) => {
          this.log.warn({ code: w.code }, w.message);
          // Clients hear of it at once as a status, not only with the next record: after the last TR
          // there is no next record, and a stalled export (K27) is news while nothing arrives.
          this.setState({}, w.code === 'SOURCE_STALLED' ? 'stalled' : `${w.code}: ${w.message}`);
        },
      },
      this.schedule,
    );
    this.subscription = records.subscribe({
      next: (record) => this.emit(record),
      error: (error: unknown) => {
        const e = asBoldstreamError(error, 'SOURCE_FAILED');
        this.log.error({ code: e.code, err: e }, 'session source failed');
        this.setState({ state: 'failed', error: e.toJSON(), endedAt: Date.now() });
        this.end();
      },
      complete: () => {
        this.setState({ state: 'ended', endedAt: Date.now() });
        this.end();
      },
    });
  }

  /** The config's pipeline settings with the spec's own (dummy scans) applied. */
  private pipelineConfig(): PipelineConfig {
    const { config, spec } = this.parts;
    return spec.dummyScans === undefined ? config.pipeline : { ...config.pipeline, dummyScans: spec.dummyScans };
  }

  /** A warning about the session (not about a volume), carried by the next record. */
  warnNext(w: Warning): void {
    this.pendingWarnings.push(w);
  }

  private emit(record: SessionRecord): void {
    if (this.pendingWarnings.length > 0) {
      record.warnings = [...(record.warnings ?? []), ...this.pendingWarnings];
      this.pendingWarnings = [];
    }
    this.state = { ...this.state, records: this.state.records + 1 };
    this.parts.recorder?.appendRecord(record);
    if (isErrorRecord(record)) this.log.warn({ tr: record.tr, code: record.error.code }, record.error.message);
    else this.log.debug({ tr: record.tr, fd: record.framewise_displacement, total: record.latencyMs.total }, 'record');
    this.records$.next(record);
  }

  private end(): void {
    this.records$.complete();
    this.status$.complete();
    const closing = this.parts.recorder?.close(this.state) ?? Promise.resolve();
    closing.then(
      () => this.finish(),
      (error: unknown) => {
        this.log.error({ err: error }, 'recording did not close cleanly');
        this.finish();
      },
    );
  }

  pushVolume(push: VolumePush): void {
    if (!(this.parts.source instanceof PushSource)) throw new BoldstreamError('SESSION_NOT_PUSH', this.id);
    this.parts.source.push(push);
  }

  addEvent(event: EventMarker): void {
    const placed = this.schedule.add(event);
    this.parts.recorder?.appendEvent({ onset: placed.onset, duration: placed.duration, ...(placed.trial_type ? { trial_type: placed.trial_type } : {}), ...(placed.stim_file ? { stim_file: placed.stim_file } : {}) });
  }

  async stop(): Promise<void> {
    if (!this.stopping) {
      this.stopping = true;
      const source = this.parts.source;
      if (source instanceof PushSource) source.end();
      else if (this.subscription) {
        // A replay or watch source is cut where it is; what was already emitted stays recorded.
        this.subscription.unsubscribe();
        this.setState({ state: 'ended', endedAt: Date.now() }, 'stopped');
        this.end();
      }
    }
    await this.done;
  }
}
