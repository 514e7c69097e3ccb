/**
 * Builds sessions from specs (HTTP, WebSocket `start`, or the CLI): opens the source, loads masks,
 * the model and the feature model, creates the recording. Paths in a spec from the network were
 * already confined to the data folders by the hub (server/spec-paths.ts); names of models are
 * checked here.
 */
import path from 'node:path';
import type { Config } from '../config.js';
import { BoldstreamError } from '../errors.js';
import type { EventMarker, MaskSpec, SessionSpec } from '../generated/boldstream.js';
import { readNifti, readNiftiFile } from '../ingest/nifti/index.js';
import { openReplaySource } from '../ingest/sources/replay.js';
import { PushSource } from '../ingest/sources/push.js';
import type { VolumeSource } from '../ingest/sources/source.js';
import { WatchFolderSource } from '../ingest/sources/watch-folder.js';
import type { Logger } from '../log.js';
import type { MaskImage } from '../pipeline/run-state.js';
import { isRecordingDir, loadSessionInputs, openRecording, Recorder, recordingDir, saveSessionInputs } from '../record/index.js';
import { assertSafeName } from '../server/paths.js';
import { type LoadedFeatureModel, loadFeatureModelDir } from './loaded-feature-model.js';
import { type LoadedModel, loadModelDir } from './loaded-model.js';
import type { EngineFactory, ReconstructionSettings } from './session-reconstruction.js';
import { PipelineSession } from './pipeline-session.js';
import { checkEvent } from '../decode/events.js';
import type { Session, SessionFactory } from './types.js';

export async function loadMask(spec: MaskSpec): Promise<MaskImage> {
  const image = spec.nifti ? readNifti(spec.nifti, spec.name) : spec.path ? await readNiftiFile(spec.path) : null;
  if (!image) throw new BoldstreamError('HTTP_BAD_REQUEST', `mask ${spec.name} has neither a path nor the file itself`);
  return { name: spec.name, grid: image.grid, data: image.frame(0), warnings: image.warnings };
}

export interface FactoryOptions {
  readonly config: Config;
  readonly logger: Logger;
  /** Record sessions to config.recordingsDir (the server always does; a CLI replay may not). */
  readonly record?: boolean;
  /** A model already loaded by the caller (CLI --model DIR), used when the spec names none. */
  readonly model?: LoadedModel | null;
  /** A feature model already loaded by the caller (CLI --feature-model DIR), used when the spec names none. */
  readonly featureModel?: LoadedFeatureModel | null;
  /** Iterations per trial in an unpaced replay (CLI --trial-iterations); default config.reconstruction.unpacedTrialIterations. */
  readonly trialIterations?: number;
  /** The reconstruction engine; default a worker thread (tests pass a fake). */
  readonly engine?: EngineFactory;
}

export class PipelineSessionFactory implements SessionFactory {
  constructor(private readonly options: FactoryOptions) {}

  async create(spec: SessionSpec & { id: string }): Promise<Session> {
    const { config } = this.options;
    const logger = this.options.logger.child({ session: spec.id });
    let masks = await Promise.all(spec.masks.map(loadMask));
    let model = spec.model ? await loadModelDir(path.join(config.modelsDir, assertSafeName(spec.model, 'model name'))) : (this.options.model ?? null);
    let featureModel = spec.featureModel
      ? await loadFeatureModelDir(path.join(config.modelsDir, assertSafeName(spec.featureModel, 'feature model name')), spec.featureModel)
      : (this.options.featureModel ?? null);
    const replayed = spec.source.path && spec.source.kind !== 'push' && spec.source.kind !== 'watch' && (await isRecordingDir(spec.source.path)) ? spec.source.path : null;
    if (replayed) {
      // A recording replays with the masks and model it was recorded with, unless the spec names others.
      const recordedSpec = (await openRecording(replayed)).spec;
      const recorded = await loadSessionInputs(replayed, recordedSpec.model, recordedSpec.featureModel);
      if (masks.length === 0) masks = recorded.masks;
      model ??= recorded.model;
      featureModel ??= recorded.featureModel;
    }
    // Events of a replayed recording go through the new session, so that they are recorded again.
    let session: PipelineSession | null = null;
    const source = await this.openSource(spec, (event) => session?.addEvent(event));
    // Refuse a bad schedule before anything is created, so the sender gets the error (EVENTS_INVALID).
    spec.events.forEach((e, i) => checkEvent({ onset: e.onset ?? 0, duration: e.duration }, `event ${i}`));
    const recorder =
      this.options.record === false
        ? null
        : await Recorder.create(recordingDir(config.recordingsDir, spec.id), spec, {
            onError: (e) => {
              logger.error({ code: e.code }, e.message);
              session?.warnNext({ code: e.code, message: e.message });
            },
          });
    if (recorder) await saveSessionInputs(recorder.dir, masks, model, featureModel);
    session = new PipelineSession({
      spec,
      config,
      logger,
      source,
      masks,
      model,
      recorder,
      ...(featureModel ? { featureModel, reconstruction: this.reconstructionSettings(spec), ...(this.options.engine ? { engine: this.options.engine } : {}) } : {}),
    });
    return session;
  }

  /**
   * A push session interrupted by the death of the server, reopened from its recording: the recorded
   * volumes warm the pipeline up (their records are not sent again) and the session then takes pushes
   * under the same id, TR indices going on from the headers of what is pushed (docs/durability.md).
   * Only push sessions: SESSION_INTERRUPTED for the others.
   */
  async resume(dir: string): Promise<Session> {
    const { config } = this.options;
    const recording = await openRecording(dir);
    const { spec, info } = recording;
    const logger = this.options.logger.child({ session: spec.id });
    if (spec.source.kind !== 'push') throw new BoldstreamError('SESSION_INTERRUPTED', `${spec.id} read from ${spec.source.kind}; only push sessions resume`);
    let lastTr = -1;
    let records = 0;
    for await (const record of recording.records()) {
      lastTr = Math.max(lastTr, record.tr);
      records++;
    }
    const inputs = await loadSessionInputs(dir, spec.model, spec.featureModel);
    // Cut torn tails before the warm-up opens the recording, so it reads exactly what the files keep.
    const recorder = await Recorder.reopen(dir, {
      onError: (e) => {
        logger.error({ code: e.code }, e.message);
        session?.warnNext({ code: e.code, message: e.message });
      },
    });
    let session: PipelineSession | null = null;
    const warmup = await openReplaySource(dir, {
      speed: 0,
      ...(spec.repetitionTime !== undefined ? { repetitionTime: spec.repetitionTime } : {}),
      onRecordedEvent: (event) => session?.replayEvent(event),
    });
    session = new PipelineSession({
      // Events of the spec are in events.jsonl already, placed where they were; the warm-up adds them.
      spec: { ...spec, events: [] },
      config,
      logger,
      source: new PushSource(spec.id, spec.repetitionTime ?? null),
      masks: inputs.masks,
      model: inputs.model,
      recorder,
      resume: { warmup, lastTr, records, startedAt: info.startedAt },
      ...(inputs.featureModel ? { featureModel: inputs.featureModel, reconstruction: this.reconstructionSettings(spec), ...(this.options.engine ? { engine: this.options.engine } : {}) } : {}),
    });
    return session;
  }

  /**
   * The config's reconstruction settings for this session. A replay at speed 0 (--speed max) is
   * unpaced: its TRs come milliseconds apart, so each trial is held until it has had
   * `unpacedTrialIterations` (reconstruct.ts), as a scanner's pace would have allowed it.
   */
  private reconstructionSettings(spec: SessionSpec): ReconstructionSettings {
    const { config } = this.options;
    const r = config.reconstruction;
    const unpaced = (spec.source.kind === 'replay' || spec.source.kind === 'recording') && spec.source.speed === 0;
    return {
      imageSize: r.imageSize,
      backend: config.computeBackend,
      policy: { frameEveryIterations: r.frameEveryIterations, frameEveryMs: r.frameEveryMs, maxIterationsPerEstimate: r.maxIterationsPerEstimate },
      drainMs: r.drainMs,
      hold: unpaced ? { minIterations: this.options.trialIterations ?? r.unpacedTrialIterations, maxWaitMs: r.unpacedTrialWaitMs } : null,
    };
  }

  private async openSource(spec: SessionSpec & { id: string }, onRecordedEvent: (event: EventMarker) => void): Promise<VolumeSource> {
    const { source } = spec;
    const { config } = this.options;
    const need = (): string => {
      if (!source.path) throw new BoldstreamError('HTTP_BAD_REQUEST', `source kind ${source.kind} needs a path`);
      return source.path;
    };
    switch (source.kind) {
      case 'push':
        return new PushSource(spec.id, spec.repetitionTime ?? null);
      case 'replay':
      case 'recording':
        return openReplaySource(need(), {
          speed: source.speed ?? 1,
          ...(source.seriesNumber !== undefined ? { seriesNumber: source.seriesNumber } : {}),
          ...(spec.repetitionTime !== undefined ? { repetitionTime: spec.repetitionTime } : {}),
          // Events of a replayed recording are re-added at the point of the run where they came live.
          onRecordedEvent,
        });
      case 'watch':
        return new WatchFolderSource({
          dir: need(),
          ...config.watch,
          ...(source.seriesNumber !== undefined ? { seriesNumber: source.seriesNumber } : {}),
        });
      default:
        throw new BoldstreamError('HTTP_BAD_REQUEST', `unknown source kind "${source.kind}" (replay, watch, push, recording)`);
    }
  }
}
