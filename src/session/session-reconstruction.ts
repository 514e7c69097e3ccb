/**
 * Live reconstruction for one session with a feature model (docs/reconstruction.md):
 *
 *   pipeline hand-off ─► FeatureTrials (decode after the record, accumulate per trial)
 *                          │ estimates
 *                          ▼
 *                        reconstruct()   instant frame here; ReconstructionWorker, started with the session
 *                          │ FrameOut
 *                          ▼
 *   frames$ ◄── proto Frame: + session id, + the trial's stim_file
 *
 * Nothing here is on the record path, and nothing here can end the session: a worker that fails
 * leaves instant frames, a TR that cannot be decoded leaves its trial's previous estimate.
 */
import { Subject, type Subscription } from 'rxjs';
import type { Frame } from '../generated/boldstream.js';
import type { Logger } from '../log.js';
import type { FeatureTr } from '../pipeline/feature-voxels.js';
import { type FrameOut, reconstruct, type TrialHold } from '../pipeline/reconstruct.js';
import type { TrialSchedule } from '../pipeline/trial-schedule.js';
import type { BackendPreference } from '../recon/backend.js';
import { ReconstructionWorker, type WorkerSettings } from '../recon/worker/client.js';
import type { ReconstructionEngine } from '../recon/worker/engine.js';
import type { FramePolicy } from '../recon/worker/protocol.js';
import { type DecodeTiming, FeatureTrials } from './feature-trials.js';
import { type LoadedFeatureModel, spaceSpecOfBundle } from './loaded-feature-model.js';

export interface ReconstructionSettings {
  /** Side of the frames, px. */
  readonly imageSize: number;
  readonly backend: BackendPreference;
  readonly policy: FramePolicy;
  /** How long the last trial may still be worked on when the TRs end, ms (per trial still waiting with a hold). */
  readonly drainMs: number;
  /** Unpaced replays only (reconstruct.ts). */
  readonly hold: TrialHold | null;
}

/** Makes the engine; the default starts a ReconstructionWorker. Tests pass a fake. */
export type EngineFactory = (settings: WorkerSettings, log: Logger) => ReconstructionEngine;

const workerEngine: EngineFactory = (settings, log) => new ReconstructionWorker(settings, { log });

export class SessionReconstruction {
  readonly frames$ = new Subject<Frame>();
  private readonly features: FeatureTrials;
  private subscription: Subscription | null = null;
  private framesDone!: () => void;
  private readonly framesEnded = new Promise<void>((resolve) => (this.framesDone = resolve));
  private frames = 0;
  private ended = false;

  constructor(
    private readonly sessionId: string,
    private readonly model: LoadedFeatureModel,
    schedule: TrialSchedule,
    private readonly settings: ReconstructionSettings,
    private readonly log: Logger,
    private readonly engine: EngineFactory = workerEngine,
  ) {
    this.features = new FeatureTrials(model, schedule.featureAccumulatorFor(model.bundle), {
      onError: (e) => log.warn({ code: e.code }, `feature decoding: ${e.message}`),
    });
  }

  /** Starts the worker now: its cold start (2–3 s) is paid with the session, not with the first trial. */
  start(): void {
    const { settings, log } = this;
    const workerSettings: WorkerSettings = { space: spaceSpecOfBundle(this.model.bundle), imageSize: settings.imageSize, backend: settings.backend, policy: settings.policy };
    this.subscription = this.features.estimates$
      .pipe(
        reconstruct({
          engine: () => this.engine(workerSettings, log),
          imageSize: settings.imageSize,
          drainMs: settings.drainMs,
          ...(settings.hold ? { holdTrials: settings.hold } : {}),
          onError: (e) => log[e.fatal ? 'error' : 'warn']({ code: e.code }, `reconstruction: ${e.message}`),
        }),
      )
      .subscribe({
        next: (frame) => this.emit(frame),
        error: (error: unknown) => {
          log.error({ err: error }, 'reconstruction stopped');
          this.complete();
        },
        complete: () => this.complete(),
      });
  }

  /** The pipeline's hand-off of one TR. */
  take(tr: FeatureTr): void {
    this.features.take(tr);
  }

  /** The TRs have ended: decode what is queued, let the last trial be worked out (bounded), then end frames$. */
  async finish(): Promise<void> {
    await this.features.finish();
    if (!this.subscription) this.complete();
    await this.framesEnded;
  }

  /** Cut short: no more decoding, the worker is closed, frames$ ends now. */
  stop(): void {
    this.features.stop();
    this.subscription?.unsubscribe();
    this.complete();
  }

  /** Frames sent and feature decoding time, for the session's log. */
  summary(): { frames: number; decode: DecodeTiming } {
    return { frames: this.frames, decode: this.features.timing() };
  }

  private emit(frame: FrameOut): void {
    this.frames += 1;
    const stim = this.features.stimFiles.get(frame.trial);
    this.frames$.next({ session: this.sessionId, ...frame, ...(stim !== undefined ? { stim_file: stim } : {}) });
  }

  private complete(): void {
    if (this.ended) return;
    this.ended = true;
    this.frames$.complete();
    this.framesDone();
  }
}
