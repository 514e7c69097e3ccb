/**
 * bundle.json, format "boldstream-model-bundle" version 1: its schema and every check that
 * needs more than one field. docs/model-bundle.md describes the same format for other tools.
 *
 * Unknown fields are ignored, so that a later writer may add information without a new version;
 * anything that changes how the numbers are read needs a new version, and this reader refuses it.
 */
import { z } from 'zod';

export const BUNDLE_FORMAT = 'boldstream-model-bundle';
export const BUNDLE_FORMAT_VERSION = 1;
export const BUNDLE_JSON = 'bundle.json';

const finite = z.number();
const count = z.number().int().nonnegative();
/** A file name inside the bundle folder; never a path, so a bundle cannot point outside itself. */
const fileName = z
  .string()
  .min(1)
  .max(255)
  .refine((s) => !/[/\\]/.test(s) && s !== '.' && s !== '..' && s !== BUNDLE_JSON, 'must be a plain file name inside the bundle');

const arrayRef = z.object({ offset: count, shape: z.array(count).min(1).max(2) });

const crossValidationSchema = z.object({
  scheme: z.literal('leave-one-run-out'),
  strengths: z.array(finite.positive()).min(1),
  meanAccuracyByStrength: z.array(finite.min(0).max(1)),
  chosenStrength: finite.positive(),
  folds: z.array(z.object({ run: z.string(), samples: count, accuracy: finite.min(0).max(1) })).min(1),
  meanAccuracy: finite.min(0).max(1),
  chance: finite.min(0).max(1),
  confusion: z.array(z.array(count)),
});

export const bundleJsonSchema = z.object({
  format: z.literal(BUNDLE_FORMAT),
  formatVersion: z.literal(BUNDLE_FORMAT_VERSION),
  kind: z.literal('classifier'),
  method: z.enum(['ridge', 'logistic']),
  scoreKind: z.enum(['decision', 'log-probability']),
  labels: z.array(z.string().min(1)).min(2),
  featureCount: count.min(1),
  voxelIndices: z.array(count),
  grid: z.object({
    dims: z.tuple([count.min(1), count.min(1), count.min(1)]),
    affine: z.array(z.array(finite).length(4)).length(4),
  }),
  mask: fileName.nullable(),
  weights: z.object({
    file: fileName,
    dtype: z.literal('float32'),
    byteOrder: z.literal('little'),
    byteLength: count,
    W: arrayRef,
    bias: arrayRef,
    featureMean: arrayRef,
    featureStd: arrayRef,
  }),
  strength: finite.positive(),
  hrfDelaySec: finite.min(0),
  /** How each voxel's value becomes a feature before standardisation (preprocess/temporal.ts). */
  features: z.enum(['psc', 'z', 'detrended-z']),
  /** psc baseline: the mean of samples older than this many volumes. */
  baselineLagVolumes: count,
  training: z.object({
    runs: z.array(z.string()),
    samplesPerLabel: z.record(z.string(), count),
    createdAt: z.iso.datetime({ offset: true }),
    software: z.object({ name: z.string(), version: z.string() }),
    crossValidation: crossValidationSchema.nullable(),
    hrfDelaySearch: z.array(z.object({ delaySec: finite.min(0), meanAccuracy: finite.min(0).max(1) })).optional(),
  }),
});

export type BundleJson = z.infer<typeof bundleJsonSchema>;
export type ArrayName = 'W' | 'bias' | 'featureMean' | 'featureStd';
export const ARRAY_NAMES: readonly ArrayName[] = ['W', 'bias', 'featureMean', 'featureStd'];

/**
 * JSON with two-space indentation, except that an array of plain values stays on one line: a mask's
 * 500 voxel indices as 500 lines would bury everything a person opens the file to read.
 */
export function formatBundleJson(value: unknown, indent = ''): string {
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.every((v) => v === null || typeof v !== 'object')) return JSON.stringify(value);
    return `[\n${value.map((v) => inner + formatBundleJson(v, inner)).join(',\n')}\n${indent}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return '{}';
    return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${formatBundleJson(v, inner)}`).join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(value);
}

/** Parses bundle.json text; returns the document or the reasons it is refused. */
export function parseBundleJson(text: string): { ok: true; json: BundleJson } | { ok: false; reasons: string[] } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { ok: false, reasons: [`${BUNDLE_JSON} is not JSON (${(e as Error).message})`] };
  }
  // The version is checked first and on its own, so that a newer bundle says so plainly instead of
  // failing on whichever of its fields this reader does not know.
  if (raw && typeof raw === 'object' && 'formatVersion' in raw && raw.formatVersion !== BUNDLE_FORMAT_VERSION) {
    return { ok: false, reasons: [`format version ${JSON.stringify(raw.formatVersion)} is not supported; this reader knows version ${BUNDLE_FORMAT_VERSION}`] };
  }
  const parsed = bundleJsonSchema.safeParse(raw);
  if (!parsed.success) {
    return { ok: false, reasons: parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`) };
  }
  const reasons = consistency(parsed.data);
  return reasons.length ? { ok: false, reasons } : { ok: true, json: parsed.data };
}

/** Checks between fields: shapes, indices, layout of the weights file. */
export function consistency(b: BundleJson): string[] {
  const out: string[] = [];
  const k = b.labels.length;
  const p = b.featureCount;
  if (new Set(b.labels).size !== k) out.push('labels: a label appears twice');
  if ((b.method === 'ridge') !== (b.scoreKind === 'decision')) out.push(`scoreKind ${b.scoreKind} does not belong to method ${b.method}`);
  if (b.voxelIndices.length !== p) out.push(`voxelIndices: ${b.voxelIndices.length} indices for ${p} features`);
  const voxels = b.grid.dims[0] * b.grid.dims[1] * b.grid.dims[2];
  if (b.voxelIndices.some((v) => v >= voxels)) out.push(`voxelIndices: an index is outside the ${b.grid.dims.join('x')} grid`);
  if (new Set(b.voxelIndices).size !== b.voxelIndices.length) out.push('voxelIndices: a voxel appears twice');
  const last = b.grid.affine[3]!;
  if (last[0] !== 0 || last[1] !== 0 || last[2] !== 0 || last[3] !== 1) out.push('grid.affine: last row must be 0 0 0 1');
  const expected: Record<ArrayName, number[]> = { W: [k, p], bias: [k], featureMean: [p], featureStd: [p] };
  const spans: [number, number, ArrayName][] = [];
  for (const name of ARRAY_NAMES) {
    const ref = b.weights[name];
    if (ref.shape.join(',') !== expected[name].join(',')) out.push(`weights.${name}: shape [${ref.shape}] should be [${expected[name]}]`);
    if (ref.offset % 4 !== 0) out.push(`weights.${name}: offset ${ref.offset} is not a multiple of 4`);
    const end = ref.offset + 4 * ref.shape.reduce((a, v) => a * v, 1);
    if (end > b.weights.byteLength) out.push(`weights.${name}: bytes ${ref.offset}..${end} lie beyond the declared ${b.weights.byteLength}`);
    spans.push([ref.offset, end, name]);
  }
  spans.sort((a, c) => a[0] - c[0]);
  for (let i = 1; i < spans.length; i++) {
    if (spans[i]![0] < spans[i - 1]![1]) out.push(`weights.${spans[i]![2]} overlaps weights.${spans[i - 1]![2]}`);
  }
  for (const label of Object.keys(b.training.samplesPerLabel)) {
    if (!b.labels.includes(label)) out.push(`training.samplesPerLabel: "${label}" is not a label`);
  }
  const cv = b.training.crossValidation;
  if (cv) {
    if (cv.meanAccuracyByStrength.length !== cv.strengths.length) out.push('training.crossValidation: one mean accuracy per strength is needed');
    if (cv.confusion.length !== k || cv.confusion.some((row) => row.length !== k)) out.push(`training.crossValidation.confusion: must be ${k} x ${k}`);
  }
  return out;
}
