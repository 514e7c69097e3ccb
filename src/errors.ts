/**
 * The error catalogue: every error and warning boldstream can report, with a stable code.
 *
 * A code is part of the public contract (records, HTTP bodies, WebSocket close reasons), so codes are
 * never renamed; `docs/errors.md` lists the same codes and a test keeps the two in step.
 * `status` is the HTTP status when the error ends a request; `wsClose` is the WebSocket close code
 * when the error ends a connection (4000–4999 is the range RFC 6455 leaves to applications).
 */

export interface CatalogueEntry {
  /** Human-readable summary; details of one occurrence go into the error's message. */
  readonly summary: string;
  readonly status: number;
  readonly wsClose: number;
}

const entry = (summary: string, status = 422, wsClose = 4400): CatalogueEntry => ({ summary, status, wsClose });

export const catalogue = {
  // Configuration and command line
  CONFIG_INVALID: entry('configuration does not match its schema', 500, 1011),
  CLI_USAGE: entry('command line is not understood', 400),
  INPUT_NOT_FOUND: entry('input file or folder does not exist', 404, 4404),
  OUTPUT_NOT_WRITABLE: entry('output file cannot be written', 500, 1011),

  // NIfTI
  NIFTI_NOT_NIFTI: entry('file is not NIfTI-1 or NIfTI-2 (bad header size or magic)'),
  NIFTI_TRUNCATED: entry('NIfTI file ends before its header or voxel data does'),
  NIFTI_GZIP_CORRUPT: entry('gzip stream is truncated or corrupt'),
  NIFTI_UNSUPPORTED_DATATYPE: entry('NIfTI datatype is not supported'),
  NIFTI_BAD_DIMS: entry('NIfTI dimensions are invalid'),
  NIFTI_BAD_AFFINE: entry('NIfTI header gives no usable voxel-to-world transform'),
  NIFTI_BAD_HEADER: entry('NIfTI header fields are invalid (data offset or sizes)'),

  // DICOM
  DICOM_NOT_DICOM: entry('file is not DICOM'),
  DICOM_TRUNCATED: entry('DICOM file ends inside an element or before its pixel data is complete'),
  DICOM_MALFORMED: entry('DICOM element lengths or structure are invalid'),
  DICOM_UNSUPPORTED_SOP_CLASS: entry('DICOM object is not a supported image type'),
  DICOM_UNSUPPORTED_VENDOR: entry('DICOM from this manufacturer is not supported yet'),
  DICOM_UNSUPPORTED_TRANSFER_SYNTAX: entry('DICOM transfer syntax (compression) is not supported'),
  DICOM_MOSAIC_NO_SLICE_COUNT: entry('Siemens mosaic without a slice count in the CSA header or tag 0019,100A'),
  DICOM_MISSING_GEOMETRY: entry('DICOM lacks the position, orientation or spacing needed for a voxel grid'),
  DICOM_CSA_MALFORMED: entry('Siemens CSA header cannot be read'),
  DICOM_NO_PIXEL_DATA: entry('DICOM object is complete but holds no pixel data'),
  DICOM_NOT_MOSAIC: entry('DICOM image is a single slice, not a Siemens mosaic; per-slice assembly is not supported yet'),
  DICOM_MOSAIC_INCONSISTENT: entry('Siemens mosaic dimensions do not divide into whole slice tiles'),
  DICOM_HEADER_DISAGREE: entry('DICOM header fields disagree; the value that fits the image is used'),
  // Per-slice and enhanced series (docs/dicom.md)
  DICOM_SLICES_INCOMPLETE: entry('a volume of a per-slice or multi-frame series lacks some of its slices'),
  DICOM_ECHOES_UNEQUAL: entry('the echoes of a multi-echo series do not match (an echo missing for this TR, or on another grid)'),

  // Volumes on their way into a session
  VOLUME_GRID_MISMATCH: entry('volume is on another voxel grid than the session reference'),
  VOLUME_INVALID: entry('pushed volume is malformed (dims, spacing, affine, dtype or data length)'),
  VOLUME_DUPLICATE: entry('volume was already received; the duplicate is dropped'),
  VOLUME_MISSING: entry('no volume arrived for this TR'),
  VOLUME_INCOMPLETE: entry('volume file never parsed completely before the deadline'),
  VOLUME_NONFINITE: entry('volume holds NaN or infinite voxels; they are excluded'),
  VOLUME_MOSTLY_NONFINITE: entry('more than half of the volume is NaN or infinite; it cannot be used'),
  VOLUME_IGNORED: entry('file is not part of the selected series and is ignored'),
  VOLUME_DUMMY: entry('volume is a dummy scan and is discarded'),
  VOLUME_TR_OUT_OF_RANGE: entry('volume TR index is outside the accepted range'),
  VOLUME_TOO_LATE: entry('volume arrived after its TR was already reported missing; it is dropped'),
  RUN_JOINED_LATE: entry('the first volume seen is not the start of the run; earlier TRs are not reported'),
  SOURCE_STALLED: entry('no volume has arrived for longer than the stall deadline'),
  SOURCE_FAILED: entry('the volume source stopped with an error', 500, 1011),
  SOURCE_UNREADABLE: entry('the watched folder cannot be listed (a network share gone?); polling goes on'),
  VOLUME_ORDER_BY_ARRIVAL: entry('these files carry no volume index (single-volume NIfTI); volumes are numbered in order of arrival'),
  // K27: measured on the arrival clock of a live source (pipeline/watch-arrival.ts); told as session status, not in records.
  SOURCE_BEHIND: entry('volumes arrive later than the TR clock says (a burst after a stall); records are behind the scanner'),

  // Header sanity (warnings)
  HEADER_TR_UNITS: entry('repetition time in the header looks like milliseconds labelled as seconds'),
  HEADER_TR_MISSING: entry('repetition time is missing or zero'),
  CLOCK_DISAGREES: entry('scanner acquisition time disagrees with TR index times repetition time'),
  // K26, K20: live sources only (pipeline/watch-arrival.ts); told as session status and logged, not in records.
  CLOCK_SKEW: entry('scanner and server clocks measured against each other (server arrival minus scanner acquisition time)'),
  TR_ARRIVAL_DISAGREE: entry('volumes arrive at another spacing than the repetition time says'),
  HEADER_FORM_DISAGREE: entry('qform and sform disagree; sform is used'),
  HEADER_FORM_INVALID: entry('a qform or sform whose code is set is unusable or has an unknown code; the next form in the rule is used'),
  HEADER_QUATERNION_NONUNIT: entry('qform quaternion is longer than 1 and was normalised'),
  HEADER_NO_ORIENTATION: entry('header has no usable qform or sform; orientation is guessed from voxel sizes (Analyze convention)'),
  BIDS_TR_DISAGREE: entry('RepetitionTime in the BIDS sidecar disagrees with the NIfTI header; the sidecar is used'),

  // Preprocessing
  MOTION_NOT_CONVERGED: entry('motion correction did not converge'),
  MOTION_SUSPICIOUS_ZERO: entry('motion estimate is exactly zero, which real data never gives'),
  MOTION_LIMITED_DOF: entry('volume is too thin for 6-DOF registration; only in-plane motion is estimated'),
  REFERENCE_POOR_FIT: entry('volume is very unlike the reference; the reference may be wrong'),
  MASK_GRID_MISMATCH: entry('mask is not on the voxel grid of the run'),
  MASK_EMPTY: entry('mask selects no voxel'),
  ROI_NO_DATA: entry('no voxel of the ROI has data in this volume; its value is left out'),
  STATS_WARMING_UP: entry('too few volumes yet for stable per-voxel statistics'),

  // Decoding and models
  MODEL_NOT_FOUND: entry('model bundle not found', 404, 4404),
  MODEL_INVALID: entry('model bundle is invalid or incomplete'),
  MODEL_GRID_MISMATCH: entry('model bundle was trained on another voxel grid'),
  TRAIN_NO_DATA: entry('training found no labelled volumes'),
  TRAIN_INVALID: entry('training data cannot be used (shape, labels, runs or non-finite values)'),
  EVENTS_INVALID: entry('events table cannot be read'),
  BIDS_SIDECAR_INVALID: entry('BIDS sidecar JSON cannot be read or has an invalid field'),
  SIMULATE_INPUT_INVALID: entry('the real run cannot be the base of a simulated subject (too few volumes, no TR or no visual region)'),

  // Feature networks (reconstruction)
  FEATURE_NETWORK_NOT_FOUND: entry('feature network file (model.json, a weight shard or a bundled network) not found', 404, 4404),
  FEATURE_NETWORK_INVALID: entry('feature network cannot be used (model.json, weights, or input size)'),
  FEATURE_LAYER_UNKNOWN: entry('requested layer is not offered by the feature network'),
  STIMULUS_IMAGE_INVALID: entry('stimulus image cannot be read as PNG'),
  RECON_ESTIMATE_INVALID: entry('decoded features do not fit the feature space being inverted (layer, unit indices, lengths or values)'),
  RECON_WORKER_CRASHED: entry('the reconstruction worker stopped unexpectedly; it is restarted once', 500, 1011),
  RECON_WORKER_FAILED: entry('the reconstruction worker cannot run (start-up failed or it crashed again); only instant frames are made', 500, 1011),

  // Evaluation of reconstructions
  EVALUATE_NO_TRIALS: entry('no reconstruction to evaluate: no frame PNG of a trial whose stimulus is known'),
  EVALUATE_NO_BASELINE: entry('the baseline images cannot be found (no PNG in the folder or in the training events)'),

  // Server, sessions and wire protocol
  SESSION_NOT_FOUND: entry('session does not exist', 404, 4404),
  SESSION_EXISTS: entry('a session with this id already exists', 409, 4409),
  SESSION_NOT_PUSH: entry('session does not take pushed volumes', 409, 4409),
  SESSION_INTERRUPTED: entry('session was interrupted by the death of the server and cannot be resumed', 409, 4409),
  SESSION_NOT_PACEABLE: entry('session cannot be paused or change speed: it is not a running replay', 409, 4409),
  HTTP_BAD_REQUEST: entry('request body or parameters are invalid', 400, 4400),
  WS_BAD_MESSAGE: entry('WebSocket message is malformed or of an unknown type', 400, 4400),
  // 1009 is RFC 6455's own code for this; the ws library sends it before our handler could.
  WS_MESSAGE_TOO_LARGE: entry('WebSocket message exceeds the size limit', 413, 1009),
  WS_UNSUPPORTED_ENCODING: entry('requested wire encoding is not supported', 400, 4415),
  PROTOCOL_VERSION: entry('client protocol version is not supported', 400, 4426),
  PATH_OUTSIDE_DATA: entry('path is outside the configured data folders', 403, 4403),
  HTTP_NOT_FOUND: entry('no such route', 404, 4404),
  HTTP_BODY_TOO_LARGE: entry('request body exceeds the size limit', 413, 4413),
  WS_CLIENT_TOO_SLOW: entry('client fell too far behind; records are never skipped, so it is disconnected', 503, 4503),
  WS_RATE_LIMITED: entry('client sends messages faster than allowed', 429, 4429),

  // Access: tokens, roles and origins (docs/http-api.md, "Access")
  AUTH_MISSING: entry('request carries no access token (Authorization: Bearer, or token= in the URL)', 401, 4401),
  AUTH_INVALID: entry('access token is not one the server knows', 401, 4401),
  AUTH_FORBIDDEN: entry("the access token's role does not allow this", 403, 4403),
  ORIGIN_FORBIDDEN: entry('request comes from a web page whose origin is not allowed', 403, 4403),

  // Session recordings
  RECORDING_TRUNCATED: entry('recording ends in a torn entry (a crash mid-write); reading stops at the last complete one'),
  RECORDING_INVALID: entry('folder is not a readable session recording'),
  RECORDING_FAILED: entry('session recording could not be written', 500, 1011),

  // Anything else is a bug
  INTERNAL: entry('unexpected internal error', 500, 1011),
} as const satisfies Record<string, CatalogueEntry>;

export type ErrorCode = keyof typeof catalogue;

export interface ErrorBody {
  readonly code: ErrorCode;
  readonly message: string;
}

/** The one error type boldstream throws on purpose; anything else is a bug and maps to INTERNAL. */
export class BoldstreamError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, detail?: string, options?: { cause?: unknown }) {
    super(detail ? `${catalogue[code].summary}: ${detail}` : catalogue[code].summary, options);
    this.name = 'BoldstreamError';
    this.code = code;
  }

  get status(): number {
    return catalogue[this.code].status;
  }

  get wsClose(): number {
    return catalogue[this.code].wsClose;
  }

  toJSON(): ErrorBody {
    return { code: this.code, message: this.message };
  }
}

/** Wraps anything thrown into a BoldstreamError so that records and responses always carry a code. */
export function asBoldstreamError(thrown: unknown, fallback: ErrorCode = 'INTERNAL'): BoldstreamError {
  if (thrown instanceof BoldstreamError) return thrown;
  const detail = thrown instanceof Error ? thrown.message : String(thrown);
  return new BoldstreamError(fallback, detail, { cause: thrown });
}

/** A warning travels in a record's `warnings` list; it never stops a volume. */
export interface Warning {
  readonly code: ErrorCode;
  readonly message: string;
}

export function warning(code: ErrorCode, detail?: string): Warning {
  return { code, message: detail ? `${catalogue[code].summary}: ${detail}` : catalogue[code].summary };
}
