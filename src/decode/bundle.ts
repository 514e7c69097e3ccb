/**
 * Model bundles: a trained decoder as a folder of named files (docs/model-bundle.md).
 *
 *   bundle.json   what the numbers mean: labels, voxels, grid, method, training report
 *   weights.f32   little-endian float32: W [labels x features], bias, feature mean, feature std
 *   mask.nii.gz   the mask the voxel indices came from, written by the caller, for people and tools
 *
 * Everything read is checked before it is used; any fault is MODEL_INVALID with the reasons, so a
 * half-copied or hand-edited bundle is refused at load time and never decodes garbage mid-session.
 */
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BoldstreamError } from '../errors.js';
import { type Mat4, sameGrid } from '../geometry/mat4.js';
import type { VoxelGrid } from '../volume.js';
import { ARRAY_NAMES, type ArrayName, BUNDLE_FORMAT, BUNDLE_FORMAT_VERSION, BUNDLE_JSON, type BundleJson, consistency, formatBundleJson, parseBundleJson } from './bundle-format.js';
import type { CrossValidationReport } from './crossval.js';
import type { MethodName, ScoreKind } from './methods.js';
import type { FeatureTransform } from '../preprocess/temporal.js';

export const WEIGHTS_FILE = 'weights.f32';

export interface TrainingMetadata {
  readonly runs: readonly string[];
  readonly samplesPerLabel: Readonly<Record<string, number>>;
  /** ISO 8601. */
  readonly createdAt: string;
  readonly software: { readonly name: string; readonly version: string };
  readonly crossValidation: CrossValidationReport | null;
  /** When the HRF shift was chosen by cross-validation: every candidate shift and its accuracy. */
  readonly hrfDelaySearch?: readonly { readonly delaySec: number; readonly meanAccuracy: number }[];
}

export interface ModelBundle {
  readonly method: MethodName;
  readonly scoreKind: ScoreKind;
  readonly labels: readonly string[];
  /** Flat index (i + j·nx + k·nx·ny) of each feature's voxel, in weight order. */
  readonly voxelIndices: Int32Array;
  readonly grid: { readonly dims: readonly [number, number, number]; readonly affine: Mat4 };
  /** File name of the mask inside the bundle folder, or null. */
  readonly mask: string | null;
  /** labels x features, row-major, applied to standardised features. */
  readonly weights: Float32Array;
  readonly bias: Float32Array;
  readonly featureMean: Float32Array;
  readonly featureStd: Float32Array;
  readonly strength: number;
  readonly hrfDelaySec: number;
  /** The temporal transform that made the training features; the session makes the same at run time. */
  readonly features: FeatureTransform;
  /** For 'psc': the baseline leaves out the newest this-many volumes. */
  readonly baselineLagVolumes: number;
  readonly training: TrainingMetadata;
}

function invalid(reasons: string[]): BoldstreamError {
  return new BoldstreamError('MODEL_INVALID', reasons.join('; '));
}

function describe(bundle: ModelBundle): BundleJson {
  const k = bundle.labels.length;
  const p = bundle.featureMean.length;
  const offsets = { W: 0, bias: 4 * k * p, featureMean: 4 * (k * p + k), featureStd: 4 * (k * p + k + p) };
  const affine = bundle.grid.affine;
  return {
    format: BUNDLE_FORMAT,
    formatVersion: BUNDLE_FORMAT_VERSION,
    kind: 'classifier',
    method: bundle.method,
    scoreKind: bundle.scoreKind,
    labels: [...bundle.labels],
    featureCount: p,
    voxelIndices: Array.from(bundle.voxelIndices),
    grid: { dims: [...bundle.grid.dims], affine: [0, 1, 2, 3].map((r) => Array.from(affine.subarray(r * 4, r * 4 + 4))) },
    mask: bundle.mask,
    weights: {
      file: WEIGHTS_FILE,
      dtype: 'float32',
      byteOrder: 'little',
      byteLength: 4 * (k * p + k + 2 * p),
      W: { offset: offsets.W, shape: [k, p] },
      bias: { offset: offsets.bias, shape: [k] },
      featureMean: { offset: offsets.featureMean, shape: [p] },
      featureStd: { offset: offsets.featureStd, shape: [p] },
    },
    strength: bundle.strength,
    hrfDelaySec: bundle.hrfDelaySec,
    features: bundle.features,
    baselineLagVolumes: bundle.baselineLagVolumes,
    training: {
      runs: [...bundle.training.runs],
      samplesPerLabel: { ...bundle.training.samplesPerLabel },
      createdAt: bundle.training.createdAt,
      software: { ...bundle.training.software },
      crossValidation: bundle.training.crossValidation,
      ...(bundle.training.hrfDelaySearch ? { hrfDelaySearch: bundle.training.hrfDelaySearch.map((d) => ({ ...d })) } : {}),
    },
  };
}

function arraysOf(bundle: ModelBundle): Record<ArrayName, Float32Array> {
  return { W: bundle.weights, bias: bundle.bias, featureMean: bundle.featureMean, featureStd: bundle.featureStd };
}

/** Numbers the schema cannot see: finiteness, positive spreads, lengths matching the description. */
function checkArrays(json: BundleJson, arrays: Record<ArrayName, Float32Array>): string[] {
  const out: string[] = [];
  for (const name of ARRAY_NAMES) {
    const a = arrays[name];
    const want = json.weights[name].shape.reduce((x, v) => x * v, 1);
    if (a.length !== want) out.push(`${name}: ${a.length} values, ${want} expected`);
    const bad = a.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) out.push(`${name}[${bad}] is ${a[bad]}`);
  }
  const zero = arrays.featureStd.findIndex((v) => !(v > 0));
  if (zero >= 0) out.push(`featureStd[${zero}] is ${arrays.featureStd[zero]}, must be positive`);
  return out;
}

/** The bundle as named files, ready to upload or to write; the mask is the caller's to add. */
export function bundleFiles(bundle: ModelBundle): Record<string, Uint8Array> {
  const json = describe(bundle);
  const reasons = [...consistency(json), ...checkArrays(json, arraysOf(bundle))];
  if (reasons.length) throw invalid(reasons);
  const bytes = new Uint8Array(json.weights.byteLength);
  const view = new DataView(bytes.buffer);
  const arrays = arraysOf(bundle);
  for (const name of ARRAY_NAMES) {
    const at = json.weights[name].offset;
    arrays[name].forEach((v, i) => view.setFloat32(at + 4 * i, v, true));
  }
  return { [BUNDLE_JSON]: new TextEncoder().encode(`${formatBundleJson(json)}\n`), [WEIGHTS_FILE]: bytes };
}

/** Reads and checks a bundle from named files (bundle.json and the weights file it names). */
export function bundleFromFiles(files: Readonly<Record<string, Uint8Array>>): ModelBundle {
  const jsonBytes = files[BUNDLE_JSON];
  if (!jsonBytes) throw invalid([`${BUNDLE_JSON} is missing`]);
  const parsed = parseBundleJson(new TextDecoder('utf-8', { fatal: false }).decode(jsonBytes));
  if (!parsed.ok) throw invalid(parsed.reasons);
  const json = parsed.json;
  const bytes = files[json.weights.file];
  if (!bytes) throw invalid([`weights file ${json.weights.file} is missing`]);
  if (bytes.length !== json.weights.byteLength) {
    throw invalid([`${json.weights.file} has ${bytes.length} bytes, bundle.json declares ${json.weights.byteLength} (truncated or wrong file?)`]);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const read = (name: ArrayName): Float32Array => {
    const ref = json.weights[name];
    return Float32Array.from({ length: ref.shape.reduce((a, v) => a * v, 1) }, (_, i) => view.getFloat32(ref.offset + 4 * i, true));
  };
  const arrays = { W: read('W'), bias: read('bias'), featureMean: read('featureMean'), featureStd: read('featureStd') };
  const reasons = checkArrays(json, arrays);
  if (reasons.length) throw invalid(reasons);
  return {
    method: json.method,
    scoreKind: json.scoreKind,
    labels: json.labels,
    voxelIndices: Int32Array.from(json.voxelIndices),
    grid: { dims: json.grid.dims, affine: Float64Array.from(json.grid.affine.flat()) },
    mask: json.mask,
    weights: arrays.W,
    bias: arrays.bias,
    featureMean: arrays.featureMean,
    featureStd: arrays.featureStd,
    strength: json.strength,
    hrfDelaySec: json.hrfDelaySec,
    features: json.features,
    baselineLagVolumes: json.baselineLagVolumes,
    training: json.training,
  };
}

/**
 * Writes bundle.json and weights.f32 into `dir` (created if needed). Each file is written under a
 * temporary name and renamed, and bundle.json last, so a reader never sees a half-written bundle.
 */
export async function writeBundle(dir: string, bundle: ModelBundle): Promise<void> {
  const files = bundleFiles(bundle);
  await mkdir(dir, { recursive: true });
  for (const name of [WEIGHTS_FILE, BUNDLE_JSON]) {
    const target = path.join(dir, name);
    await writeFile(`${target}.partial`, files[name]!);
    await rename(`${target}.partial`, target);
  }
}

/** Reads and checks the bundle in `dir`: MODEL_NOT_FOUND without bundle.json, MODEL_INVALID when broken. */
export async function readBundle(dir: string): Promise<ModelBundle> {
  const jsonPath = path.join(dir, BUNDLE_JSON);
  const found = await stat(jsonPath).catch(() => null);
  if (!found?.isFile()) throw new BoldstreamError('MODEL_NOT_FOUND', `${jsonPath} does not exist`);
  const jsonBytes = await readFile(jsonPath);
  const parsed = parseBundleJson(jsonBytes.toString('utf8'));
  if (!parsed.ok) throw invalid(parsed.reasons);
  const weightsName = parsed.json.weights.file;
  const weights = await readFile(path.join(dir, weightsName)).catch((cause: unknown) => {
    throw new BoldstreamError('MODEL_INVALID', `weights file ${weightsName} cannot be read`, { cause });
  });
  return bundleFromFiles({ [BUNDLE_JSON]: jsonBytes, [weightsName]: weights });
}

/**
 * Refuses a bundle trained on another voxel grid: its voxel indices would pick other tissue. Grids
 * match when their dims agree and their corners lie within `toleranceMm` (geometry/mat4 sameGrid).
 */
export function assertBundleGrid(bundle: ModelBundle, grid: Pick<VoxelGrid, 'dims' | 'affine'>, toleranceMm?: number): void {
  if (!sameGrid(bundle.grid, grid, toleranceMm)) {
    const a = bundle.grid.affine;
    const b = grid.affine;
    throw new BoldstreamError(
      'MODEL_GRID_MISMATCH',
      `bundle grid ${bundle.grid.dims.join('x')} origin (${a[3]}, ${a[7]}, ${a[11]}) vs session grid ${grid.dims.join('x')} origin (${b[3]}, ${b[7]}, ${b[11]})`,
    );
  }
}
