/**
 * A running session: one source, one pipeline, one recording.
 *
 *   source.items() ─ tap: record each volume as received ─ sessionPipeline ─┬─ recorder.appendRecord
 *                                                                          └─ records$ (hub, CLI)
 *   addEvent ─ TrialSchedule (placed on the run clock) ─ recorder.appendEvent
 *
 * With a feature model, the pipeline also hands each TR's feature voxels to SessionReconstruction,
 * which decodes them after the record has left and turns trials into frames$ (never on the record
 * path). When the TRs end, records$ completes at once; the session ends (status `ended`, `done`)
 * once the last trial's reconstruction has drained, within config.reconstruction.drainMs.
 *
 * The pipeline starts on the next turn of the event loop, so whoever created the session can
 * subscribe to `records$` first and miss nothing.
 */
import { concat, type Observable, Subject, type Subscription, tap } from 'rxjs';
import type { Config, PipelineConfig } from '../config.js';
import { BoldstreamError, asBoldstreamError, type Warning } from '../errors.js';
import type { EventMarker, Frame, SessionInfo, SessionSpec, VolumePush } from '../generated/boldstream.js';
import type { PaceControl } from '../ingest/sources/pace-control.js';
import { PushSource } from '../ingest/sources/push.js';
import type { VolumeSource } from '../ingest/sources/source.js';
import type { Logger } from '../log.js';
import type { FeatureTr } from '../pipeline/feature-voxels.js';
import { sessionPipeline } from '../pipeline/session-pipeline.js';
import type { ArrivalNews } from '../pipeline/watch-arrival.js';
import { TrialSchedule } from '../pipeline/trial-schedule.js';
import type { MaskImage } from '../pipeline/run-state.js';
import { initialInfo, type Recorder } from '../record/index.js';
import type { LoadedFeatureModel } from './loaded-feature-model.js';
import { type EngineFactory, type ReconstructionSettings, SessionReconstruction } from './session-reconstruction.js';
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
  /** Feature decoders: the session reconstructs what the subject sees (frames$). */
  readonly featureModel?: LoadedFeatureModel | null;
  /** Required with a feature model. */
  readonly reconstruction?: ReconstructionSettings;
  /** The reconstruction engine; default a worker thread (tests pass a fake). */
  readonly engine?: EngineFactory;
  /** A session resumed from its recording after the server died (docs/durability.md). */
  readonly resume?: ResumeParts;
}

/**
 * What a resumed session starts from. The recorded volumes (and their events, at the points where
 * they came) go through the pipeline again ahead of the live source, so that the reference, the
 * normaliser and the trials stand exactly where they stood; the records of TRs up to `lastTr` are
 * already in the recording and are neither recorded nor sent again.
 */
export interface ResumeParts {
  /** The recording replayed as fast as it goes; its volumes are not recorded again. */
  readonly warmup: VolumeSource;
  /** The last TR whose record the recording holds (-1: none). */
  readonly lastTr: number;
  /** Records the recording holds. */
  readonly records: number;
  readonly startedAt: number;
}

export class PipelineSession implements Session {
  readonly id: string;
  readonly records$ = new Subject<SessionRecord>();
  readonly status$ = new Subject<{ info: SessionInfo; detail?: string }>();
  readonly done: Promise<void>;
  readonly frames$?: Observable<Frame>;
  private readonly reconstruction: SessionReconstruction | null = null;
  private ended = false;
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
      ...(parts.resume ? { records: parts.resume.records, startedAt: parts.resume.startedAt } : {}),
    };
    this.done = new Promise((resolve) => (this.finish = resolve));
    if (parts.featureModel) {
      if (!parts.reconstruction) throw new BoldstreamError('INTERNAL', 'a session with a feature model needs reconstruction settings');
      this.reconstruction = new SessionReconstruction(this.id, parts.featureModel, this.schedule, parts.reconstruction, parts.logger, parts.engine);
      this.frames$ = this.reconstruction.frames$;
    }
    if (parts.source instanceof PushSource && parts.recorder) {
      const recorder = parts.recorder;
      parts.source.onVolume = (volume) => recorder.appendVolume(volume);
    }
    setImmediate(() => this.start());
  }

  info(): SessionInfo {
    return { ...this.state };
  }

  get pace(): PaceControl | undefined {
    return this.parts.source.pace;
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
    // K21: a mask is placed by the same rule as the run (sform, else qform); when its header made the
    // reader choose (forms that disagree, an unknown code), that is said once, here, not lost.
    for (const mask of this.parts.masks) {
      for (const w of mask.warnings ?? []) {
        this.log.warn({ code: w.code, mask: mask.name }, `mask ${mask.name}: ${w.message}`);
        this.setState({}, `${w.code}: mask ${mask.name}: ${w.message}`);
      }
    }
    this.reconstruction?.start();
    // A push source records each volume as it is received (constructor); the others as they are read.
    const live = source instanceof PushSource ? source.items() : source.items().pipe(
      tap((item) => {
        if (item.kind === 'volume') recorder?.appendVolume(item.volume);
      }),
    );
    const { resume } = this.parts;
    const items = resume ? concat(resume.warmup.items(), live) : live;
    if (resume) this.log.info({ lastTr: resume.lastTr, records: resume.records }, 'session resumed from its recording');
    const records = sessionPipeline(
      items,
      {
        inputs: { pipeline: this.pipelineConfig(), masks: this.parts.masks, model: this.parts.model, featureModel: this.parts.featureModel ?? null },
        ...(this.reconstruction ? { onFeatures: (tr: FeatureTr) => this.reconstruction!.take(tr) } : {}),
        repetitionTime: this.parts.spec.repetitionTime ?? source.description.repetitionTime,
        onNotice: (w: Warning) => {
          this.log.warn({ code: w.code }, w.message);
          // Clients hear of it at once as a status, not only with the next record: after the last TR
          // there is no next record, and a stalled export (K27) is news while nothing arrives.
          this.setState({}, w.code === 'SOURCE_STALLED' ? 'stalled' : `${w.code}: ${w.message}`);
        },
        // A live source's arrival against the TR clock (K20, K26, K27): consumers are told as status,
        // before the record of the TR that showed it; records themselves stay a function of the input.
        // A resumed session's replayed burst and the outage would read as lateness for the rest of the
        // run (every later TR comes the outage's length after its slot): arrival is not watched there.
        ...((source.description.kind === 'watch' || source.description.kind === 'push') && !resume
          ? {
              onArrival: (news: ArrivalNews) => {
                this.log[news.level]({ code: news.warning.code, ...(news.tr !== undefined ? { tr: news.tr } : {}) }, news.warning.message);
                this.setState({}, news.detail);
              },
            }
          : {}),
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
      complete: () => this.drain(),
    });
  }

  /** The TRs have ended: records$ completes now, the session once its last frames are out (bounded). */
  private drain(): void {
    this.records$.complete();
    const frames = this.reconstruction?.finish() ?? Promise.resolve();
    void frames.then(() => {
      if (this.ended) return;
      this.setState({ state: 'ended', endedAt: Date.now() });
      this.end();
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
    // Resumed: the recording already holds this TR's record (and clients had it before the crash).
    if (this.parts.resume && record.tr <= this.parts.resume.lastTr) return;
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
    if (this.ended) return;
    this.ended = true;
    this.records$.complete();
    if (this.reconstruction) {
      this.reconstruction.stop();
      const { frames, decode } = this.reconstruction.summary();
      this.log.info({ frames, decodedTrs: decode.count, decodeMeanMs: Math.round(decode.meanMs * 100) / 100, decodeMaxMs: Math.round(decode.maxMs * 100) / 100 }, 'reconstruction ended');
    }
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

  /**
   * Takes a pushed volume; resolves once it is written to the recording (handed to the kernel), when
   * the client is acknowledged: a volume acknowledged is one a `kill -9` cannot lose (docs/durability.md).
   */
  pushVolume(push: VolumePush): Promise<void> {
    if (!(this.parts.source instanceof PushSource)) throw new BoldstreamError('SESSION_NOT_PUSH', this.id);
    this.parts.source.push(push);
    return this.parts.recorder?.volumesWritten() ?? Promise.resolve();
  }

  addEvent(event: EventMarker): void {
    const placed = this.schedule.add(event);
    this.parts.recorder?.appendEvent({ onset: placed.onset, duration: placed.duration, ...(placed.trial_type ? { trial_type: placed.trial_type } : {}), ...(placed.stim_file ? { stim_file: placed.stim_file } : {}) });
  }

  /** An event of the recording being resumed: placed as recorded, not recorded again. */
  replayEvent(event: EventMarker): void {
    this.schedule.add(event);
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
