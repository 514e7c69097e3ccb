/**
 * Messages between the main thread and the reconstruction worker (main.ts draws the design). Both
 * ends validate what they receive: a malformed message is an error reply or a logged error, never
 * an exception in the thread that got it.
 *
 *   main → worker   init       space, image size, backend preference, inverter and frame policy
 *                   estimate   trial, version (newest wins), decoded features
 *                   stop
 *   worker → main   ready      backend, initMs, the space's layers
 *                   frame      an image (PNG, transferred) with its iteration, loss, correlation
 *                   idle       an estimate's iterations are spent; memory in use
 *                   error      code and message; `fatal` when the worker cannot go on
 */
import { z } from 'zod';
import type { BackendName, BackendPreference } from '../backend.js';
import type { ErrorCode } from '../../errors.js';
import { catalogue } from '../../errors.js';
import type { Estimate } from '../invert/estimate.js';
import type { InverterOptions } from '../invert/inverter.js';
import type { BundledNetworkName } from '../network/bundled.js';
import type { PixelColor } from '../network/pixels.js';
import type { Preprocessing } from '../network/preprocess.js';

/** The feature space to invert: the pixels space, a network bundled in nsfwjs, or a tfjs model on disk. */
export type SpaceSpec =
  | { readonly kind: 'pixels'; readonly size: number; readonly color: PixelColor }
  | { readonly kind: 'bundled'; readonly name: BundledNetworkName; readonly layers?: readonly string[]; readonly inputSize?: number }
  | { readonly kind: 'model'; readonly modelJson: string; readonly layers: readonly string[]; readonly preprocessing: Preprocessing; readonly inputSize?: number; readonly name?: string };

/** When frames go out and how long one estimate is worked on. */
export interface FramePolicy {
  /** A frame after this many iterations since the last one… */
  readonly frameEveryIterations: number;
  /** …or once this many ms have passed since the last one, whichever comes first. */
  readonly frameEveryMs: number;
  /** Iterations spent on one estimate before idling until the next. */
  readonly maxIterationsPerEstimate: number;
}

export const DEFAULT_FRAME_POLICY: FramePolicy = { frameEveryIterations: 5, frameEveryMs: 200, maxIterationsPerEstimate: 200 };

export interface InitRequest {
  readonly type: 'init';
  readonly space: SpaceSpec;
  /** Side of the reconstructed image, px; default the space's input size. */
  readonly imageSize?: number;
  readonly backend: BackendPreference;
  readonly inverter?: InverterOptions;
  readonly policy?: Partial<FramePolicy>;
}
export interface EstimateRequest {
  readonly type: 'estimate';
  readonly trial: number;
  /** Increases with every estimate sent; replies name it so that the main thread drops stale ones. */
  readonly version: number;
  readonly estimate: Estimate;
}
export type WorkerRequest = InitRequest | EstimateRequest | { readonly type: 'stop' };

export interface SpaceSummary {
  readonly name: string;
  readonly inputSize: number;
  readonly layers: readonly { readonly name: string; readonly units: number }[];
}
export interface ReadyReply {
  readonly type: 'ready';
  readonly backend: BackendName;
  readonly initMs: number;
  /** Whether the backend's gradients passed the start-up check (backend.ts). */
  readonly gradientsVerified: boolean;
  readonly space: SpaceSummary;
  readonly imageSize: number;
}
export interface FrameReply {
  readonly type: 'frame';
  readonly trial: number;
  readonly version: number;
  readonly tr: number;
  readonly iteration: number;
  readonly loss: number;
  readonly featureCorrelation: number;
  readonly width: number;
  readonly height: number;
  readonly png: Uint8Array;
}
export interface WorkerMemory {
  /** V8 heap of the worker's isolate. */
  readonly heapUsedBytes: number;
  /** Memory outside that heap held by the isolate's objects: array buffers and the wasm backend's linear memory. */
  readonly externalBytes: number;
  /** Bytes of live tensors, as tfjs counts them (wasm: inside its linear memory). */
  readonly tensorBytes: number;
  readonly tensors: number;
  /** Resident set of the whole process (shared with the main thread). */
  readonly rssBytes: number;
}
export interface IdleReply {
  readonly type: 'idle';
  readonly trial: number;
  readonly version: number;
  readonly iteration: number;
  readonly memory: WorkerMemory;
}
export interface ErrorReply {
  readonly type: 'error';
  readonly code: ErrorCode;
  readonly message: string;
  /** The worker cannot go on (start-up failed); restarting with the same settings would not help. */
  readonly fatal: boolean;
  readonly trial?: number;
  readonly version?: number;
}
export type WorkerReply = ReadyReply | FrameReply | IdleReply | ErrorReply;

const index = z.number().int().min(0);
const side = z.number().int().min(8).max(1024);
const layerNames = z.array(z.string().min(1)).min(1);

const spaceSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('pixels'), size: z.number().int().min(1).max(256), color: z.enum(['gray', 'rgb']) }),
  z.object({ kind: z.literal('bundled'), name: z.enum(['mobilenet_v2', 'inception_v3']), layers: layerNames.optional(), inputSize: side.optional() }),
  z.object({
    kind: z.literal('model'),
    modelJson: z.string().min(1),
    layers: layerNames,
    preprocessing: z.union([
      z.enum(['unit', 'symmetric', 'caffe', 'torch']),
      z.object({ scale: z.union([z.number(), z.tuple([z.number(), z.number(), z.number()])]), offset: z.union([z.number(), z.tuple([z.number(), z.number(), z.number()])]), bgr: z.boolean().optional() }),
    ]),
    inputSize: side.optional(),
    name: z.string().min(1).optional(),
  }),
]);

const nonNegative = z.number().min(0);
const inverterSchema = z
  .object({
    imageSize: side,
    learningRate: z.number().positive(),
    decayIterations: z.number().positive(),
    tvWeight: nonNegative,
    tvBeta: z.number().min(1).max(2),
    rangeWeight: nonNegative,
    rangeAlpha: z.number().min(1),
    layerWeights: z.record(z.string(), nonNegative),
    initMargin: z.number().min(1e-4).max(0.4),
  })
  .partial()
  .strict();

const policySchema = z
  .object({ frameEveryIterations: z.number().int().min(1), frameEveryMs: nonNegative, maxIterationsPerEstimate: z.number().int().min(1) })
  .partial()
  .strict();

const estimateSchema = z.object({
  trial: index,
  tr: index,
  space: z.string().min(1),
  layers: z.array(z.object({ name: z.string().min(1), unitIndices: z.instanceof(Int32Array).nullable(), values: z.instanceof(Float32Array) })).min(1),
});

const requestSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('init'), space: spaceSchema, imageSize: side.optional(), backend: z.enum(['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']), inverter: inverterSchema.optional(), policy: policySchema.optional() }),
  z.object({ type: z.literal('estimate'), trial: index, version: index, estimate: estimateSchema }),
  z.object({ type: z.literal('stop') }),
]);

const finite = z.number().refine(Number.isFinite, 'must be finite');
const replySchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('ready'),
    backend: z.enum(['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']),
    initMs: nonNegative,
    gradientsVerified: z.boolean(),
    space: z.object({ name: z.string(), inputSize: index, layers: z.array(z.object({ name: z.string(), units: index })) }),
    imageSize: side,
  }),
  z.object({ type: z.literal('frame'), trial: index, version: index, tr: index, iteration: index, loss: finite, featureCorrelation: finite, width: side, height: side, png: z.instanceof(Uint8Array) }),
  z.object({ type: z.literal('idle'), trial: index, version: index, iteration: index, memory: z.object({ heapUsedBytes: nonNegative, externalBytes: nonNegative, tensorBytes: nonNegative, tensors: nonNegative, rssBytes: nonNegative }) }),
  z.object({
    type: z.literal('error'),
    code: z.string().refine((c): c is ErrorCode => c in catalogue, 'unknown error code'),
    message: z.string(),
    fatal: z.boolean(),
    trial: index.optional(),
    version: index.optional(),
  }),
]);

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: string };

function parseWith<T>(schema: z.ZodType, raw: unknown): Parsed<T> {
  const result = schema.safeParse(raw);
  if (result.success) return { ok: true, value: result.data as T };
  return { ok: false, problem: result.error.issues.map((i) => `${i.path.join('.') || '(message)'}: ${i.message}`).join('; ') };
}

export const parseRequest = (raw: unknown): Parsed<WorkerRequest> => parseWith<WorkerRequest>(requestSchema, raw);
export const parseReply = (raw: unknown): Parsed<WorkerReply> => parseWith<WorkerReply>(replySchema, raw);

/**
 * A space named as in configuration: 'pixels-32' (grey) or 'pixels-32-rgb', 'mobilenet_v2' or
 * 'inception_v3' with `layers`, or the path of a model.json (then `layers` and `preprocessing` are needed).
 */
export function spaceSpecOf(name: string, layers?: readonly string[], preprocessing?: Preprocessing): SpaceSpec {
  const pixels = /^pixels-(\d+)(?:-(gray|rgb))?$/.exec(name);
  if (pixels) return { kind: 'pixels', size: Number(pixels[1]), color: pixels[2] === 'rgb' ? 'rgb' : 'gray' };
  if (name === 'mobilenet_v2' || name === 'inception_v3') return layers ? { kind: 'bundled', name, layers } : { kind: 'bundled', name };
  if (!name.endsWith('.json')) throw new RangeError(`feature space "${name}" is neither pixels-N, a bundled network nor a model.json path`);
  if (!layers || !preprocessing) throw new RangeError(`a model.json space needs its layers and preprocessing (${name})`);
  return { kind: 'model', modelJson: name, layers, preprocessing };
}
