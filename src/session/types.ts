/**
 * What the server needs from a session, and what a session emits. A session is one pipeline
 * instance; the hub multiplexes sessions and clients (docs/architecture.md).
 */
import type { Observable } from 'rxjs';
import type { PaceControl } from '../ingest/sources/pace-control.js';
import type { ErrorBody, EventMarker, Frame, SessionInfo, SessionSpec, TrRecord, VolumePush, Warning } from '../generated/boldstream.js';

/** A volume that could not be used, or a TR for which no volume came: `{tr, error}` and the stream goes on. */
export interface ErrorRecord {
  tr: number;
  error: ErrorBody;
  receivedAt?: number;
  acquisitionTime?: number;
  warnings?: Warning[];
}

export type SessionRecord = TrRecord | ErrorRecord;

export function isErrorRecord(record: SessionRecord): record is ErrorRecord {
  return 'error' in record && record.error !== undefined;
}

export interface Session {
  readonly id: string;
  info(): SessionInfo;
  /**
   * Hot stream of records in TR order. It completes when the source ends or the session is stopped.
   * Late subscribers do not get earlier records from it; they read the recording.
   */
  readonly records$: Observable<SessionRecord>;
  /** Status changes worth telling clients (started, stalled, ended, failed). */
  readonly status$: Observable<{ info: SessionInfo; detail?: string }>;
  /** Reconstruction frames, when the session has a feature model; each supersedes the last of its trial. */
  readonly frames$?: Observable<Frame>;
  /** Replays: pause, resume and speed while the session runs (the source's own control). */
  readonly pace?: PaceControl;
  /**
   * Takes a volume from a network client; only for sessions whose source kind is `push`. A promise
   * resolves when the volume is recorded (the client is acknowledged then).
   */
  pushVolume(push: VolumePush): void | Promise<void>;
  /** A trial marker from the stimulus computer (or an events file). */
  addEvent(event: EventMarker): void;
  /** Ends the source, lets records in flight finish, closes the recording. */
  stop(): Promise<void>;
  /** Resolves when the session has ended and its recording is closed. */
  readonly done: Promise<void>;
}

/** Builds sessions from specs; the server owns one and never builds pipelines itself. */
export interface SessionFactory {
  create(spec: SessionSpec & { id: string }): Promise<Session>;
  /**
   * Reopens the recording of a session the server was running when it died, as a running session
   * that goes on where the recording ends (docs/durability.md). Absent: the factory cannot resume.
   */
  resume?(recordingDir: string): Promise<Session>;
}
