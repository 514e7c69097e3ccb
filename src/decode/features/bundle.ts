/**
 * Feature bundles: voxel → DNN feature decoders as a folder of named files
 * (docs/feature-decoding.md), in the envelope of the classifier bundles (decode/bundle.ts):
 *
 *   bundle.json   the feature space, layers, voxels, grid, training report
 *   arrays.bin    little-endian float32 / int32 arrays at the offsets bundle.json gives
 *   mask.nii.gz   the ROI the voxels came from, written by the trainer, for people and tools
 *
 * Everything read is checked before use; any fault is MODEL_INVALID with every reason found.
 */
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BoldstreamError } from '../../errors.js';
import { BUNDLE_JSON, formatBundleJson } from '../bundle-format.js';
import { describeFeatureBundle, arraysOf, type FeatureBundle } from './bundle-layout.js';
import { ARRAYS_FILE, type FeatureBundleJson, expectedArrays, featureConsistency, parseFeatureBundleJson } from './bundle-format.js';

export type { FeatureBundle, FeatureLayerModel, FeatureSpaceSpec, FeatureTrainingMetadata } from './bundle-layout.js';

const invalid = (reasons: string[]): BoldstreamError => new BoldstreamError('MODEL_INVALID', reasons.join('; '));

/** Numbers the schema cannot see: lengths, finiteness, index ranges, positive spreads. */
function checkArrays(json: FeatureBundleJson, arrays: ReadonlyMap<string, Float32Array | Int32Array>): string[] {
  const out: string[] = [];
  for (const a of expectedArrays(json)) {
    const values = arrays.get(a.where);
    const want = a.shape.reduce((x, v) => x * v, 1);
    if (!values || values.length !== want) out.push(`${a.where}: ${values?.length ?? 0} values, ${want} expected`);
    else if (values instanceof Float32Array) {
      const bad = values.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) out.push(`${a.where}[${bad}] is ${values[bad]}`);
    }
  }
  const std = arrays.get('voxelStd');
  if (std && std.some((v) => !(v > 0))) out.push('voxelStd: every value must be positive');
  for (const l of json.layers) {
    const units = arrays.get(`layers.${l.name}.unitIndices`);
    const size = l.shape.reduce((x, v) => x * v, 1);
    if (units && (units.some((u) => u < 0 || u >= size) || new Set(units).size !== units.length)) out.push(`layers.${l.name}.unitIndices: outside the layer's ${size} units, or repeated`);
    if (units && l.space === 'pixels' && units.some((u, i) => u !== i)) out.push('layers.pixels.unitIndices: must be 0, 1, 2, … (every unit, in order)');
    const voxels = arrays.get(`layers.${l.name}.voxels`);
    if (voxels && voxels.some((v) => v < 0 || v >= json.voxelCount)) out.push(`layers.${l.name}.voxels: a position outside the ${json.voxelCount} voxels`);
    const spread = arrays.get(`layers.${l.name}.featureStd`);
    if (spread && spread.some((v) => v < 0)) out.push(`layers.${l.name}.featureStd: negative`);
  }
  return out;
}

/** The bundle as named files, ready to upload or to write; the mask is the caller's to add. */
export function featureBundleFiles(bundle: FeatureBundle): Record<string, Uint8Array> {
  const json = describeFeatureBundle(bundle);
  const arrays = arraysOf(bundle);
  const reasons = [...featureConsistency(json), ...checkArrays(json, arrays)];
  if (reasons.length) throw invalid(reasons);
  const bytes = new Uint8Array(json.data.byteLength);
  const view = new DataView(bytes.buffer);
  for (const a of expectedArrays(json)) {
    const values = arrays.get(a.where)!;
    const at = a.ref.offset;
    if (a.dtype === 'int32') values.forEach((v, i) => view.setInt32(at + 4 * i, v, true));
    else values.forEach((v, i) => view.setFloat32(at + 4 * i, v, true));
  }
  return { [BUNDLE_JSON]: new TextEncoder().encode(`${formatBundleJson(json)}\n`), [ARRAYS_FILE]: bytes };
}

/** Reads and checks a feature bundle from named files (bundle.json and the data file it names). */
export function featureBundleFromFiles(files: Readonly<Record<string, Uint8Array>>): FeatureBundle {
  const jsonBytes = files[BUNDLE_JSON];
  if (!jsonBytes) throw invalid([`${BUNDLE_JSON} is missing`]);
  const parsed = parseFeatureBundleJson(new TextDecoder().decode(jsonBytes));
  if (!parsed.ok) throw invalid(parsed.reasons);
  const json = parsed.json;
  const bytes = files[json.data.file];
  if (!bytes) throw invalid([`data file ${json.data.file} is missing`]);
  if (bytes.length !== json.data.byteLength) throw invalid([`${json.data.file} has ${bytes.length} bytes, bundle.json declares ${json.data.byteLength} (truncated or wrong file?)`]);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const arrays = new Map<string, Float32Array | Int32Array>();
  for (const a of expectedArrays(json)) {
    const length = a.ref.shape.reduce((x, v) => x * v, 1);
    const at = a.ref.offset;
    arrays.set(a.where, a.ref.dtype === 'int32' ? Int32Array.from({ length }, (_, i) => view.getInt32(at + 4 * i, true)) : Float32Array.from({ length }, (_, i) => view.getFloat32(at + 4 * i, true)));
  }
  const reasons = checkArrays(json, arrays);
  if (reasons.length) throw invalid(reasons);
  const float = (where: string): Float32Array => arrays.get(where) as Float32Array;
  const int = (where: string): Int32Array => arrays.get(where) as Int32Array;
  const nan = (v: number | null): number => (v === null ? Number.NaN : v);
  const search = json.training.hrfDelaySearch;
  return {
    space: json.featureSpace,
    voxelIndices: Int32Array.from(json.voxelIndices),
    voxelMean: float('voxelMean'),
    voxelStd: float('voxelStd'),
    layers: json.layers.map((l) => ({
      name: l.name,
      space: l.space,
      shape: l.shape,
      voxelsPerUnit: l.voxelsPerUnit,
      strength: l.strength,
      unitIndices: int(`layers.${l.name}.unitIndices`),
      voxels: int(`layers.${l.name}.voxels`),
      weights: float(`layers.${l.name}.weights`),
      intercept: float(`layers.${l.name}.intercept`),
      featureMean: float(`layers.${l.name}.featureMean`),
      featureStd: float(`layers.${l.name}.featureStd`),
      crossValidation: l.crossValidation && {
        ...l.crossValidation,
        meanProfileByStrength: l.crossValidation.meanProfileByStrength.map(nan),
        profileCorrelation: nan(l.crossValidation.profileCorrelation),
      },
    })),
    grid: { dims: json.grid.dims, affine: Float64Array.from(json.grid.affine.flat()) },
    mask: json.mask,
    hrfDelaySec: json.hrfDelaySec,
    features: json.features,
    baselineLagVolumes: json.baselineLagVolumes,
    training: {
      runs: json.training.runs,
      samples: json.training.samples,
      samplesPerRun: json.training.samplesPerRun,
      stimuli: json.training.stimuli,
      seed: json.training.seed,
      createdAt: json.training.createdAt,
      software: json.training.software,
      ...(search ? { hrfDelaySearch: search.map((d) => ({ delaySec: d.delaySec, profileCorrelation: nan(d.profileCorrelation) })) } : {}),
    },
  };
}

/** Writes arrays.bin then bundle.json, each under a temporary name and renamed, into `dir`. */
export async function writeFeatureBundle(dir: string, bundle: FeatureBundle): Promise<void> {
  const files = featureBundleFiles(bundle);
  await mkdir(dir, { recursive: true });
  for (const name of [ARRAYS_FILE, BUNDLE_JSON]) {
    const target = path.join(dir, name);
    await writeFile(`${target}.partial`, files[name]!);
    await rename(`${target}.partial`, target);
  }
}

/** Reads and checks the feature bundle in `dir`: MODEL_NOT_FOUND without bundle.json, MODEL_INVALID when broken. */
export async function readFeatureBundle(dir: string): Promise<FeatureBundle> {
  const jsonPath = path.join(dir, BUNDLE_JSON);
  const found = await stat(jsonPath).catch(() => null);
  if (!found?.isFile()) throw new BoldstreamError('MODEL_NOT_FOUND', `${jsonPath} does not exist`);
  const jsonBytes = await readFile(jsonPath);
  const parsed = parseFeatureBundleJson(jsonBytes.toString('utf8'));
  if (!parsed.ok) throw invalid(parsed.reasons);
  const name = parsed.json.data.file;
  const data = await readFile(path.join(dir, name)).catch((cause: unknown) => {
    throw new BoldstreamError('MODEL_INVALID', `data file ${name} cannot be read`, { cause });
  });
  return featureBundleFromFiles({ [BUNDLE_JSON]: jsonBytes, [name]: data });
}

/** The `kind` a bundle folder declares ('classifier', 'features', …), or null when it declares none. */
export async function bundleKind(dir: string): Promise<string | null> {
  const text = await readFile(path.join(dir, BUNDLE_JSON), 'utf8').catch((cause: unknown) => {
    throw new BoldstreamError('MODEL_NOT_FOUND', `${path.join(dir, BUNDLE_JSON)} cannot be read`, { cause });
  });
  try {
    const raw: unknown = JSON.parse(text);
    return raw && typeof raw === 'object' && 'kind' in raw && typeof raw.kind === 'string' ? raw.kind : null;
  } catch {
    return null;
  }
}
