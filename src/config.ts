/**
 * Configuration: one schema with defaults and units, validated once at start, then frozen and passed
 * down. This is the only module that reads the environment (lint enforces it).
 *
 * Sources, later ones winning: schema defaults < config file (BOLDSTREAM_CONFIG or --config) <
 * environment (BOLDSTREAM_*) < command-line overrides given by the CLI.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { BoldstreamError } from './errors.js';

const motionSchema = z
  .object({
    /** Gauss-Newton iterations at the finest level before giving up (MOTION_NOT_CONVERGED). */
    maxIterations: z.number().int().min(1).max(200).default(30),
    /** Stop when the update moves no brain voxel by more than this many mm. */
    toleranceMm: z.number().positive().default(0.002),
    /** Radius of the sphere that turns rotations into displacement for FD (Power et al. 2012). */
    headRadiusMm: z.number().positive().default(50),
  })
  .strict();

const temporalSchema = z
  .object({
    /** Volumes before z-scores are trusted; earlier TRs carry STATS_WARMING_UP. */
    warmupVolumes: z.number().int().min(2).default(5),
    /** Remove a running linear trend per voxel before z-scoring (scanner drift). */
    detrend: z.boolean().default(true),
    /** Decoder features in percent signal change use the mean of samples older than this many volumes. */
    baselineLagVolumes: z.number().int().min(0).max(200).default(10),
  })
  .strict();

const pipelineSchema = z
  .object({
    /** Volumes at the start of a run that are discarded (not yet at steady state). */
    dummyScans: z.number().int().min(0).default(0),
    /** How many TRs a late volume may trail the newest one and still be put in order. */
    reorderWindow: z.number().int().min(0).max(64).default(4),
    /** Longest a newer volume waits (ms) for a missing earlier one before that TR is reported missing. */
    reorderWaitMs: z.number().int().min(0).default(500),
    /**
     * Most TRs a volume's index may jump past the next expected one. Every skipped TR becomes a
     * missing-volume record, so a client's wrong index (4000000000) would otherwise flood the session.
     */
    maxGapVolumes: z.number().int().min(1).default(1000),
    /** Seconds from stimulus onset to the BOLD peak used to assign TRs to trials. */
    hrfDelaySec: z.number().min(0).max(20).default(5),
    /** Fraction of the robust maximum intensity above which a voxel counts as brain (automatic mask). */
    autoMaskFraction: z.number().min(0.01).max(0.9).default(0.25),
    motion: motionSchema.default(motionSchema.parse({})),
    temporal: temporalSchema.default(temporalSchema.parse({})),
  })
  .strict();

const watchSchema = z
  .object({
    /** Poll interval in ms; polling is always on because network shares send no file events (K03). */
    pollMs: z.number().int().min(10).default(100),
    /** A file that has not parsed completely after this many ms becomes a VOLUME_INCOMPLETE error record. */
    incompleteDeadlineMs: z.number().int().min(100).default(10_000),
    /** No new volume for this many ms raises SOURCE_STALLED. */
    stallWarningMs: z.number().int().min(100).default(10_000),
  })
  .strict();

/** `scheme://host[:port]` exactly as browsers send it in Origin (no path, no trailing slash). */
const originSchema = z.string().refine((value) => {
  try {
    return new URL(value).origin === value;
  } catch {
    return false;
  }
}, 'expected an origin such as https://viewer.example:8443 (scheme, host and port; no path)');

const serverSchema = z
  .object({
    host: z.string().default('127.0.0.1'),
    /** 0 picks a free port (tests). */
    port: z.number().int().min(0).max(65535).default(8080),
    /** Largest WebSocket message accepted, bytes; a 64x64x40 float32 volume is 640 kB. */
    maxMessageBytes: z.number().int().min(1024).default(64 * 1024 * 1024),
    /** Messages a client may have waiting to be sent; a client that falls further behind is disconnected (WS_CLIENT_TOO_SLOW), so that it never slows the pipeline. */
    clientQueueLimit: z.number().int().min(1).default(1024),
    /** WebSocket ping interval, ms; a client that misses a pong is disconnected. */
    heartbeatMs: z.number().int().min(100).default(30_000),
    /** Messages per second a client may send (token bucket with this burst). */
    rateLimit: z.object({ perSecond: z.number().positive().default(1000), burst: z.number().positive().default(2000) }).strict().default({ perSecond: 1000, burst: 2000 }),
    /**
     * A client with messages waiting whose socket has taken none of them for this long, ms, is
     * disconnected (WS_CLIENT_TOO_SLOW); until then it gets only the newest frame of each session.
     */
    stalledClientMs: z.number().int().min(100).default(10_000),
    /**
     * Web pages (origins, `https://host:port`) besides the server's own that may open the WebSocket or
     * send state-changing requests; any other page is refused (ORIGIN_FORBIDDEN). Clients that are not
     * browsers send no Origin and are not concerned.
     */
    allowedOrigins: z.array(originSchema).default([]),
    /** Serve HTTPS and WSS with this PEM key and certificate (file paths); unset: plain HTTP. */
    tls: z.object({ key: z.string().min(1), cert: z.string().min(1) }).strict().optional(),
  })
  .strict();

/** Roles a token grants (docs/http-api.md, "Access"): scanner pushes volumes, viewer reads, experimenter does both and runs sessions. */
export const roleSchema = z.enum(['scanner', 'experimenter', 'viewer']);

/** One token and the role it grants. Printable ASCII without spaces, so that it fits a header, a URL and a line of a file. */
export const accessTokenSchema = z
  .object({
    role: roleSchema,
    token: z.string().regex(/^[\x21-\x7e]{16,512}$/, 'expected 16 to 512 printable characters without spaces (e.g. openssl rand -hex 32)'),
  })
  .strict();

/** Tokens given twice (with the same or another role) are a mistake: which role would win? */
export const accessTokensSchema = z.array(accessTokenSchema).refine((list) => new Set(list.map((t) => t.token)).size === list.length, 'the same token is given twice');

const accessSchema = z
  .object({
    /** Tokens and their roles. With none here and no tokensFile, the server is open to anyone who reaches it (a warning at start). */
    tokens: accessTokensSchema.default([]),
    /** A file of more tokens, read once at start: JSON (`[{role, token}]`) or lines of `<role> <token>` (`#` comments). */
    tokensFile: z.string().min(1).optional(),
  })
  .strict();

const reconstructionSchema = z
  .object({
    /** Side of reconstructed frames, px; the network still runs at the feature bundle's input size (docs/reconstruction.md). */
    imageSize: z.number().int().min(8).max(1024).default(64),
    /** A frame after this many optimiser iterations since the last one... */
    frameEveryIterations: z.number().int().min(1).default(5),
    /** ...or after this many ms, whichever comes first. */
    frameEveryMs: z.number().min(0).default(200),
    /** Iterations spent on one estimate (one TR's refinement of a trial) before the worker idles. */
    maxIterationsPerEstimate: z.number().int().min(1).default(200),
    /** When a session's TRs end, how long its last trial may still be worked on, ms (per trial still waiting, when replaying unpaced). */
    drainMs: z.number().int().min(0).default(60_000),
    /**
     * Replays at --speed max only: iterations every trial gets before the next trial starts, so that a
     * trial is not cut after 0 iterations by TRs that arrive 5 ms apart. About what a 6 s trial gets live
     * at 64 px on wasm (docs/reconstruction.md).
     */
    unpacedTrialIterations: z.number().int().min(1).default(50),
    /** Longest one trial may hold the next back in an unpaced replay, ms (a worker that stalls must not hang a replay). */
    unpacedTrialWaitMs: z.number().int().min(100).default(120_000),
  })
  .strict();

const metricsSchema = z
  .object({
    /**
     * Serve /metrics without a token. Off by default: counts of sessions and error codes say what the
     * scanner room is doing; turn it on only when the scraper sits on a trusted network and cannot
     * carry a viewer token (Prometheus can: `authorization.credentials_file`).
     */
    public: z.boolean().default(false),
  })
  .strict();

const healthSchema = z
  .object({
    /** Free space under recordingsDir below which /health reports `disk` degraded, MB (a run records ~1 MB per TR and more with feature models). */
    minFreeDiskMb: z.number().min(0).default(1024),
  })
  .strict();

export const configSchema = z
  .object({
    /** Folder of real scans; the demo falls back to a synthetic session when it is missing. */
    dataDir: z.string().default('../shared/data'),
    /** More folders that clients may name files in (an export folder to watch, masks); dataDir comes first. */
    extraDataDirs: z.array(z.string()).default([]),
    /** Where every session is recorded (volumes, events, records). */
    recordingsDir: z.string().default('recordings'),
    /** Where uploaded and trained model bundles live. */
    modelsDir: z.string().default('models'),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** tfjs backend: auto picks the best that loads (node-gpu, node, wasm, cpu). */
    computeBackend: z.enum(['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']).default('auto'),
    server: serverSchema.default(serverSchema.parse({})),
    /** Who may do what (docs/http-api.md, "Access"). */
    access: accessSchema.default(accessSchema.parse({})),
    pipeline: pipelineSchema.default(pipelineSchema.parse({})),
    watch: watchSchema.default(watchSchema.parse({})),
    /** Live image reconstruction of sessions with a feature model (docs/reconstruction.md). */
    reconstruction: reconstructionSchema.default(reconstructionSchema.parse({})),
    /** GET /metrics (docs/http-api.md). */
    metrics: metricsSchema.default(metricsSchema.parse({})),
    /** What GET /health calls degraded (docs/http-api.md). */
    health: healthSchema.default(healthSchema.parse({})),
  })
  .strict();

export type Config = Readonly<z.infer<typeof configSchema>>;
export type PipelineConfig = Config['pipeline'];

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };
export type ConfigOverrides = DeepPartial<z.infer<typeof configSchema>>;

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    const b = out[k];
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' ? merge(b as Record<string, unknown>, v as Record<string, unknown>) : v;
  }
  return out;
}

/** BOLDSTREAM_PORT=9000 → {server: {port: 9000}}; only the settings people set from a shell. */
function fromEnvironment(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const num = (v: string | undefined): number | undefined => (v === undefined || v === '' ? undefined : Number(v));
  return {
    dataDir: env.BOLDSTREAM_DATA_DIR,
    recordingsDir: env.BOLDSTREAM_RECORDINGS_DIR,
    modelsDir: env.BOLDSTREAM_MODELS_DIR,
    logLevel: env.BOLDSTREAM_LOG_LEVEL,
    computeBackend: env.BOLDSTREAM_BACKEND,
    server: { host: env.BOLDSTREAM_HOST, port: num(env.BOLDSTREAM_PORT) },
  };
}

/** Validates defaults + file + environment + overrides once; the result is frozen. */
export function loadConfig(options: { file?: string; overrides?: ConfigOverrides; useEnvironment?: boolean } = {}): Config {
  const env = options.useEnvironment === false ? {} : process.env;
  const file = options.file ?? env.BOLDSTREAM_CONFIG;
  let fromFile: Record<string, unknown> = {};
  if (file) {
    try {
      fromFile = JSON.parse(readFileSync(path.resolve(file), 'utf8')) as Record<string, unknown>;
    } catch (cause) {
      throw new BoldstreamError('CONFIG_INVALID', `cannot read ${file}: ${(cause as Error).message}`, { cause });
    }
  }
  const merged = merge(merge(fromFile, options.useEnvironment === false ? {} : fromEnvironment(env)), (options.overrides ?? {}) as Record<string, unknown>);
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new BoldstreamError('CONFIG_INVALID', detail);
  }
  return deepFreeze(parsed.data);
}

/** Defaults alone, for tests and library use. */
export function defaultConfig(overrides: ConfigOverrides = {}): Config {
  return loadConfig({ overrides, useEnvironment: false });
}
