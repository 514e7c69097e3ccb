/**
 * bundle.json of a feature bundle: format "boldstream-model-bundle" version 1, kind "features"
 * (docs/feature-decoding.md). The schema, and the checks that need more than one field.
 *
 * The same format and version as classifier bundles, with another kind: the envelope (folder of
 * named files, bundle.json written last, offsets into one little-endian file) is shared, and a
 * reader tells the two apart by `kind` alone.
 */
import { z } from 'zod';
import { BUNDLE_FORMAT, BUNDLE_FORMAT_VERSION } from '../bundle-format.js';

export const FEATURE_BUNDLE_KIND = 'features';
export const ARRAYS_FILE = 'arrays.bin';

const count = z.number().int().nonnegative();
const fileName = z
  .string()
  .min(1)
  .max(255)
  .refine((s) => !/[/\\]/.test(s) && s !== '.' && s !== '..' && s !== 'bundle.json', 'must be a plain file name inside the bundle');
/** NaN has no JSON spelling; an undefined score (no unit varied) is written as null. */
const score = z.number().min(-1).max(1).nullable();

export const arrayRefSchema = z.object({ offset: count, shape: z.array(count).min(1).max(2), dtype: z.enum(['float32', 'int32']) });
export type ArrayRef = z.infer<typeof arrayRefSchema>;

const preprocessingSchema = z.union([
  z.enum(['unit', 'symmetric', 'caffe', 'torch']),
  z.object({
    scale: z.union([z.number(), z.tuple([z.number(), z.number(), z.number()]).readonly()]),
    offset: z.union([z.number(), z.tuple([z.number(), z.number(), z.number()]).readonly()]),
    bgr: z.boolean().optional(),
  }),
]);

const networkSchema = z.discriminatedUnion('source', [
  z.object({ source: z.literal('bundled'), name: z.enum(['mobilenet_v2', 'inception_v3']), inputSize: count.min(1) }),
  z.object({ source: z.literal('model'), name: z.string().min(1), modelJson: z.string().min(1), preprocessing: preprocessingSchema, inputSize: count.min(1) }),
]);

const crossValidationSchema = z.object({
  scheme: z.literal('leave-one-run-out'),
  strengths: z.array(z.number().positive()).min(1),
  meanProfileByStrength: z.array(score),
  chosenStrength: z.number().positive(),
  profileCorrelation: score,
  units: count,
  folds: z.array(z.object({ run: z.string(), samples: count })).min(2),
});

const layerSchema = z.object({
  name: z.string().min(1),
  space: z.enum(['pixels', 'network']),
  /** One image's activation at the space's input size (height, width, channels). */
  shape: z.array(count.min(1)).min(1),
  /** Decoded units. */
  units: count.min(1),
  voxelsPerUnit: count.min(1),
  strength: z.number().positive(),
  unitIndices: arrayRefSchema,
  voxels: arrayRefSchema,
  weights: arrayRefSchema,
  intercept: arrayRefSchema,
  featureMean: arrayRefSchema,
  featureStd: arrayRefSchema,
  crossValidation: crossValidationSchema.nullable(),
});

export const featureBundleJsonSchema = z.object({
  format: z.literal(BUNDLE_FORMAT),
  formatVersion: z.literal(BUNDLE_FORMAT_VERSION),
  kind: z.literal(FEATURE_BUNDLE_KIND),
  featureSpace: z.object({
    name: z.string().min(1),
    network: networkSchema.nullable(),
    pixels: z.object({ size: count.min(1), color: z.enum(['gray', 'rgb']), inputSize: count.min(1) }),
  }),
  voxelCount: count.min(1),
  voxelIndices: z.array(count),
  grid: z.object({ dims: z.tuple([count.min(1), count.min(1), count.min(1)]), affine: z.array(z.array(z.number()).length(4)).length(4) }),
  mask: fileName.nullable(),
  data: z.object({ file: fileName, byteOrder: z.literal('little'), byteLength: count }),
  voxelMean: arrayRefSchema,
  voxelStd: arrayRefSchema,
  layers: z.array(layerSchema).min(1),
  hrfDelaySec: z.number().min(0),
  features: z.enum(['psc', 'z', 'detrended-z']),
  baselineLagVolumes: count,
  training: z.object({
    runs: z.array(z.string()),
    samples: count,
    samplesPerRun: z.record(z.string(), count),
    stimuli: count,
    seed: z.number().int(),
    createdAt: z.iso.datetime({ offset: true }),
    software: z.object({ name: z.string(), version: z.string() }),
    hrfDelaySearch: z.array(z.object({ delaySec: z.number().min(0), profileCorrelation: score })).optional(),
  }),
});

export type FeatureBundleJson = z.infer<typeof featureBundleJsonSchema>;
export type LayerJson = FeatureBundleJson['layers'][number];
export const LAYER_ARRAYS = ['unitIndices', 'voxels', 'weights', 'intercept', 'featureMean', 'featureStd'] as const;
export type LayerArrayName = (typeof LAYER_ARRAYS)[number];

const product = (shape: readonly number[]): number => shape.reduce((a, v) => a * v, 1);

/** Shape and dtype each array must have. */
export interface ExpectedArray {
  /** Its place in bundle.json: 'voxelMean', 'layers.<name>.weights', … */
  readonly where: string;
  readonly ref: ArrayRef;
  readonly shape: number[];
  readonly dtype: ArrayRef['dtype'];
}

export function expectedArrays(b: FeatureBundleJson): ExpectedArray[] {
  const p = b.voxelCount;
  const out: ExpectedArray[] = [
    { where: 'voxelMean', ref: b.voxelMean, shape: [p], dtype: 'float32' },
    { where: 'voxelStd', ref: b.voxelStd, shape: [p], dtype: 'float32' },
  ];
  for (const l of b.layers) {
    const u = l.units;
    const k = l.voxelsPerUnit;
    const want: Record<LayerArrayName, [number[], ArrayRef['dtype']]> = {
      unitIndices: [[u], 'int32'],
      voxels: [[u, k], 'int32'],
      weights: [[u, k], 'float32'],
      intercept: [[u], 'float32'],
      featureMean: [[u], 'float32'],
      featureStd: [[u], 'float32'],
    };
    for (const name of LAYER_ARRAYS) out.push({ where: `layers.${l.name}.${name}`, ref: l[name], shape: want[name][0], dtype: want[name][1] });
  }
  return out;
}

/** Checks between fields: voxels, layers, the pixels layer, the layout of the data file. */
export function featureConsistency(b: FeatureBundleJson): string[] {
  const out: string[] = [];
  const voxels = b.grid.dims[0] * b.grid.dims[1] * b.grid.dims[2];
  if (b.voxelIndices.length !== b.voxelCount) out.push(`voxelIndices: ${b.voxelIndices.length} indices for voxelCount ${b.voxelCount}`);
  if (b.voxelIndices.some((v) => v >= voxels)) out.push(`voxelIndices: an index is outside the ${b.grid.dims.join('x')} grid`);
  if (new Set(b.voxelIndices).size !== b.voxelIndices.length) out.push('voxelIndices: a voxel appears twice');
  const last = b.grid.affine[3]!;
  if (last[0] !== 0 || last[1] !== 0 || last[2] !== 0 || last[3] !== 1) out.push('grid.affine: last row must be 0 0 0 1');
  if (new Set(b.layers.map((l) => l.name)).size !== b.layers.length) out.push('layers: a name appears twice');
  const pixels = b.layers.filter((l) => l.space === 'pixels');
  const px = b.featureSpace.pixels;
  // Reconstruction's first frame and starting image come from this one layer.
  if (pixels.length !== 1 || pixels[0]!.name !== 'pixels') out.push('layers: exactly one layer of space "pixels", named "pixels", is required');
  else if (product(pixels[0]!.shape) !== px.size * px.size * (px.color === 'gray' ? 1 : 3)) out.push(`layers.pixels: shape [${pixels[0]!.shape}] is not that of ${px.size}x${px.size} ${px.color}`);
  else if (pixels[0]!.units !== product(pixels[0]!.shape)) out.push('layers.pixels: every unit must be decoded (the first frame is the whole picture)');
  if (b.layers.some((l) => l.space === 'network') !== (b.featureSpace.network !== null)) out.push('featureSpace.network must be given exactly when a layer comes from the network');
  for (const l of b.layers) {
    if (l.units > product(l.shape)) out.push(`layers.${l.name}: ${l.units} decoded units in a layer of ${product(l.shape)}`);
    if (l.voxelsPerUnit > b.voxelCount) out.push(`layers.${l.name}: ${l.voxelsPerUnit} voxels per unit of ${b.voxelCount}`);
  }
  const spans: [number, number, string][] = [];
  for (const a of expectedArrays(b)) {
    if (a.ref.shape.join(',') !== a.shape.join(',')) out.push(`${a.where}: shape [${a.ref.shape}] should be [${a.shape}]`);
    if (a.ref.dtype !== a.dtype) out.push(`${a.where}: dtype ${a.ref.dtype} should be ${a.dtype}`);
    if (a.ref.offset % 4 !== 0) out.push(`${a.where}: offset ${a.ref.offset} is not a multiple of 4`);
    const end = a.ref.offset + 4 * product(a.ref.shape);
    if (end > b.data.byteLength) out.push(`${a.where}: bytes ${a.ref.offset}..${end} lie beyond the declared ${b.data.byteLength}`);
    spans.push([a.ref.offset, end, a.where]);
  }
  spans.sort((x, y) => x[0] - y[0]);
  for (let i = 1; i < spans.length; i++) if (spans[i]![0] < spans[i - 1]![1]) out.push(`${spans[i]![2]} overlaps ${spans[i - 1]![2]}`);
  return out;
}

/** Parses bundle.json text of a feature bundle; returns the document or the reasons it is refused. */
export function parseFeatureBundleJson(text: string): { ok: true; json: FeatureBundleJson } | { ok: false; reasons: string[] } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { ok: false, reasons: [`bundle.json is not JSON (${(e as Error).message})`] };
  }
  // Version and kind first and on their own: a newer bundle, or a classifier, should say so plainly.
  if (raw && typeof raw === 'object' && 'formatVersion' in raw && raw.formatVersion !== BUNDLE_FORMAT_VERSION) {
    return { ok: false, reasons: [`format version ${JSON.stringify(raw.formatVersion)} is not supported; this reader knows version ${BUNDLE_FORMAT_VERSION}`] };
  }
  if (raw && typeof raw === 'object' && 'kind' in raw && raw.kind !== FEATURE_BUNDLE_KIND) {
    return { ok: false, reasons: [`kind ${JSON.stringify(raw.kind)} is not a feature bundle ("${FEATURE_BUNDLE_KIND}")`] };
  }
  const parsed = featureBundleJsonSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, reasons: parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`) };
  const reasons = featureConsistency(parsed.data);
  return reasons.length ? { ok: false, reasons } : { ok: true, json: parsed.data };
}
