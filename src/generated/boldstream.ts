// Generated from proto/boldstream.proto by scripts/gen-proto.ts. Do not edit; run `npm run proto:gen`.
/* eslint-disable */

/** The protocol major this schema describes (enum ProtocolVersion in the proto). */
export const PROTOCOL_VERSION = 1;

export interface Motion {
  /** mm, head motion from the reference to this volume, world (RAS+) axes */
  trans_x: number;
  trans_y: number;
  trans_z: number;
  /** radians, about the reference field-of-view centre */
  rot_x: number;
  rot_y: number;
  rot_z: number;
  /** 16 numbers, a 4x4 row-major world-mm rigid transform mapping a position in this volume to the same tissue's position in the reference volume. */
  matrix: number[];
}

export interface Decoded {
  /** the class with the highest score */
  label: string;
  scores: Record<string, number>;
}

export interface Trial {
  /** 0-based index of the trial in the session */
  index: number;
  /** s from the start of the run */
  onset: number;
  /** s */
  duration: number;
  /** TRs accumulated so far */
  n: number;
  /** decided label from the accumulated evidence */
  label: string;
  scores: Record<string, number>;
  /** the event's own trial_type when the stimulus computer sent it */
  truth?: string;
  stim_file?: string;
}

export interface Warning {
  /** a code from the error catalogue (docs/errors.md) */
  code: string;
  message: string;
}

export interface ErrorBody {
  code: string;
  message: string;
}

export interface Quality {
  /** correlation with the reference after alignment */
  similarity: number;
  /** registration iterations */
  iterations: number;
  converged: boolean;
  /** NaN/Inf voxels excluded from this volume */
  nonfiniteVoxels: number;
  /** too few volumes yet for stable z-scores */
  warmingUp: boolean;
}

export interface TrRecord {
  /** 0-based index of the volume in the run; never renumbered by gaps or duplicates */
  tr: number;
  /** s, scanner clock (seconds since midnight for DICOM) */
  acquisitionTime?: number;
  /** Unix epoch ms, server clock, when the volume was complete (absent for a TR that never came) */
  receivedAt?: number;
  motion?: Motion;
  /** mm (Power et al. 2012) */
  framewise_displacement?: number;
  /** mask name → mean z-score in the mask */
  roi: Record<string, number>;
  decoded?: Decoded;
  trial?: Trial;
  /** per stage, and `total` from arrival to record */
  latencyMs: Record<string, number>;
  warnings: Warning[];
  quality?: Quality;
  /** Set instead of the fields above when the volume could not be used; the stream goes on. */
  error?: ErrorBody;
}

export interface SourceSpec {
  /** replay | watch | push | recording */
  kind: string;
  /** replay/watch/recording: a file or folder inside the data folders */
  path?: string;
  /** replay pace as a multiple of the TR; 0 means as fast as possible */
  speed?: number;
  /** watch: which DICOM series to take (default: the first new one) */
  seriesNumber?: number;
}

export interface MaskSpec {
  name: string;
  /** a NIfTI inside the data folders... */
  path?: string;
  /** ...or the NIfTI file itself */
  nifti?: Uint8Array;
}

export interface EventMarker {
  /** s from the start of the run; absent: now, on the run clock */
  onset?: number;
  /** s */
  duration: number;
  trial_type?: string;
  stim_file?: string;
}

export interface SessionSpec {
  /** absent: the server makes one */
  id?: string;
  source: SourceSpec;
  masks: MaskSpec[];
  /** name of a classifier bundle on the server */
  model?: string;
  /** a known schedule (replay with --events) */
  events: EventMarker[];
  dummyScans?: number;
  /** s; overrides the header */
  repetitionTime?: number;
  /** name of a feature-decoder bundle: reconstructions are made per trial */
  featureModel?: string;
}

export interface SessionInfo {
  id: string;
  /** starting | running | ended | failed */
  state: string;
  source: SourceSpec;
  /** records emitted so far */
  records: number;
  model?: string;
  masks: string[];
  /** Unix epoch ms */
  startedAt: number;
  endedAt?: number;
  error?: ErrorBody;
  repetitionTime?: number;
  /** Replays: true while paused (POST /sessions/:id/pause); source.speed is the pace in force. */
  paused?: boolean;
}

/** POST /sessions/:id/speed: a replay's new pace, a multiple of the scanner's; 0 = as fast as possible. */
export interface SpeedChange {
  speed: number;
}

export interface Welcome {
  protocol: number;
  /** server version */
  server: string;
  /** compute backend in use */
  backend: string;
  sessions: SessionInfo[];
}

export interface RecordMessage {
  session: string;
  record: TrRecord;
}

export interface StatusMessage {
  session: SessionInfo;
  /** e.g. "stalled", "behind" */
  detail?: string;
}

/** One reconstruction of a trial's image: a refinement of the previous one. Frames of a trial come while its TRs arrive and the optimiser runs; a client that falls behind gets the newest only. */
export interface Frame {
  session: string;
  /** trial index (as in TrRecord.trial.index) */
  trial: number;
  /** the newest TR whose decoded features this frame matches */
  tr: number;
  /** optimiser iterations since the trial's first estimate (0: the instant first frame) */
  iteration: number;
  /** feature-matching loss at this image (normalised; lower is better) */
  loss: number;
  /** correlation of this image's features with the decoded ones */
  featureCorrelation: number;
  width: number;
  height: number;
  /** the image, PNG */
  png: Uint8Array;
  /** the feature space matched, e.g. "pixels-32" or "mobilenet_v2" */
  space: string;
  /** the trial's stimulus, when the events name it */
  stim_file?: string;
  /** since the trial's first decoded TR */
  elapsedMs: number;
}

export interface AckMessage {
  /** what is acknowledged (the client's `ref`, or the message type) */
  ref: string;
  session?: string;
  tr?: number;
}

export type ServerMessage =
  | ({ type: 'welcome' } & Welcome)
  | ({ type: 'record' } & RecordMessage)
  | ({ type: 'status' } & StatusMessage)
  | ({ type: 'ack' } & AckMessage)
  | ({ type: 'error' } & ErrorBody)
  | ({ type: 'frame' } & Frame);
export const serverMessageTypes = ['welcome', 'record', 'status', 'ack', 'error', 'frame'] as const;

export interface Hello {
  protocol: number;
  /** free text, e.g. "boldstream-python/0.1" */
  client?: string;
}

export interface Subscribe {
  /** "*" for every session */
  session: string;
  /** catch up from this TR out of the recording */
  fromTr?: number;
}

export interface Unsubscribe {
  session: string;
}

export interface StartSession {
  spec: SessionSpec;
  ref?: string;
}

export interface EndSession {
  session: string;
}

/** One volume pushed by a scanner-side client into a push session. */
export interface VolumePush {
  session: string;
  /** 0-based volume index in the run, from the scanner */
  index: number;
  /** 3 numbers */
  dims: number[];
  /** 3 numbers, mm */
  voxelSize: number[];
  /** 16 numbers, row-major voxel → world RAS+ mm */
  affine: number[];
  /** float32 | int16 | uint16 (little-endian) */
  dtype: string;
  data: Uint8Array;
  acquisitionTime?: number;
  repetitionTime?: number;
  /** What the client's reader noticed about this volume (codes from the catalogue); they go into the record. */
  warnings: Warning[];
}

export interface EventMessage {
  session: string;
  event: EventMarker;
}

export type ClientMessage =
  | ({ type: 'hello' } & Hello)
  | ({ type: 'subscribe' } & Subscribe)
  | ({ type: 'unsubscribe' } & Unsubscribe)
  | ({ type: 'start' } & StartSession)
  | ({ type: 'end' } & EndSession)
  | ({ type: 'volume' } & VolumePush)
  | ({ type: 'event' } & EventMessage);
export const clientMessageTypes = ['hello', 'subscribe', 'unsubscribe', 'start', 'end', 'volume', 'event'] as const;
