/**
 * Single slices (a per-slice series, or the frames of an enhanced file) stacked into one volume, on the
 * grid and affine dcm2niix writes for the same images (architecture rule 5).
 *
 * dcm2niix's rule, confirmed on files the tests write: slices are ordered by their position along the
 * plane normal (row x column), ascending, whatever their instance numbers or the order they came in
 * (K07, K13); each slice is written bottom row first, so voxel j runs against the column direction; the
 * third axis is the step from the first slice's position to the next. Positions must be distinct and
 * evenly spaced, and every slice must share orientation, size and pixel spacing: otherwise the images do
 * not form one voxel grid and the stack is refused (DICOM_MISSING_GEOMETRY), never resampled.
 */
import { BoldstreamError, type Warning, warning } from '../../errors.js';
import { fromRows } from '../../geometry/mat4.js';
import type { VoxelGrid } from '../../volume.js';

type Vec3 = [number, number, number];

/** One 2D image and where it lies (LPS mm), after scaling. */
export interface PlacedImage {
  /** ImageOrientationPatient: row direction (i) then column direction (j). */
  readonly orientation: readonly number[];
  /** ImagePositionPatient: centre of the first stored pixel. */
  readonly position: readonly number[];
  /** PixelSpacing: between rows (j), then between columns (i). */
  readonly pixelSpacing: readonly number[];
  /** SliceThickness: the third voxel size of a volume of one slice. */
  readonly sliceThickness: number | null;
  readonly rows: number;
  readonly columns: number;
  /** Stored order: columns fastest, top row first. */
  readonly data: Float32Array;
  /** Seconds since midnight when this slice was acquired, when the header says. */
  readonly acquisitionTime: number | null;
}

export interface StackedVolume {
  readonly grid: VoxelGrid;
  readonly data: Float32Array;
  /** Start of the volume: the earliest slice time. */
  readonly acquisitionTime: number | null;
  /** Seconds from the volume start to each slice, k order; only when every slice has a time. */
  readonly sliceTiming?: readonly number[];
}

const missing = (detail: string) => new BoldstreamError('DICOM_MISSING_GEOMETRY', detail);
const dot = (a: Vec3, b: Vec3) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const cross = (a: Vec3, b: Vec3): Vec3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const sub = (a: Vec3, b: Vec3): Vec3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const TOLERANCE_MM = 0.01;

function vec(values: readonly number[], from: number, what: string): Vec3 {
  const v = values.slice(from, from + 3);
  if (v.length < 3 || v.some((x) => !Number.isFinite(x))) throw missing(`${what} needs 3 numbers`);
  return [v[0]!, v[1]!, v[2]!];
}

function unit(v: Vec3, what: string): Vec3 {
  const n = Math.hypot(...v);
  if (!(Math.abs(n - 1) < 0.01)) throw missing(`${what} is not a unit vector`);
  return [v[0] / n, v[1] / n, v[2] / n];
}

/** Every slice on the first one's plane geometry, or the stack is not one grid. */
function checkSameGrid(images: readonly PlacedImage[]): void {
  const a = images[0]!;
  for (const b of images) {
    if (b.rows !== a.rows || b.columns !== a.columns) throw missing(`slices of ${a.columns}x${a.rows} and ${b.columns}x${b.rows} pixels in one volume`);
    if (b.orientation.some((v, i) => Math.abs(v - a.orientation[i]!) > 1e-4)) throw missing('slices of one volume have different orientations');
    if (b.pixelSpacing.some((v, i) => Math.abs(v - a.pixelSpacing[i]!) > 1e-4)) throw missing('slices of one volume have different pixel spacings');
  }
}

export function stackSlices(images: readonly PlacedImage[], warnings: Warning[]): StackedVolume {
  if (images.length === 0) throw missing('no slice to stack');
  checkSameGrid(images);
  const first = images[0]!;
  const ps = first.pixelSpacing;
  if (ps.length < 2 || !(ps[0]! > 0) || !(ps[1]! > 0)) throw missing('PixelSpacing (0028,0030) needs 2 positive numbers');
  const row = unit(vec(first.orientation, 0, 'ImageOrientationPatient (0020,0037)'), 'the row direction');
  const col = unit(vec(first.orientation, 3, 'ImageOrientationPatient (0020,0037)'), 'the column direction');
  if (Math.abs(dot(row, col)) > 0.01) throw missing('row and column directions are not perpendicular');
  const normal = cross(row, col);
  const placed = images.map((image) => ({ image, pos: vec(image.position, 0, 'ImagePositionPatient (0020,0032)') }));
  const sorted = placed.map((p) => ({ ...p, along: dot(p.pos, normal) })).sort((a, b) => a.along - b.along);
  for (let k = 1; k < sorted.length; k++) {
    if (sorted[k]!.along - sorted[k - 1]!.along < TOLERANCE_MM) throw missing(`two slices of one volume lie at the same position (${sorted[k]!.along.toFixed(2)} mm along the normal)`);
  }
  const n = sorted.length;
  // One slice: the normal scaled by the slice thickness is all there is.
  const thickness = first.sliceThickness !== null && first.sliceThickness > 0 ? first.sliceThickness : 1;
  const step: Vec3 = n > 1 ? sub(sorted[1]!.pos, sorted[0]!.pos) : [normal[0] * thickness, normal[1] * thickness, normal[2] * thickness];
  const spacing = Math.hypot(...step);
  for (let k = 2; k < n; k++) {
    const gap = sub(sorted[k]!.pos, sorted[k - 1]!.pos);
    if (Math.hypot(...sub(gap, step)) > Math.max(TOLERANCE_MM, spacing * 0.01)) throw missing(`slices are not evenly spaced (gap ${k} is ${Math.hypot(...gap).toFixed(3)} mm, the first ${spacing.toFixed(3)} mm)`);
  }
  // A stack that is not perpendicular to its slices (gantry tilt) would need resampling: said, not hidden.
  if (n > 1 && Math.abs(dot(step, normal)) / spacing < 0.999) warnings.push(warning('DICOM_HEADER_DISAGREE', 'slice positions do not run along the slice normal (tilted stack); the affine follows the positions'));

  const [dy, dx] = [ps[0]!, ps[1]!];
  const { rows, columns } = first;
  const origin = sorted[0]!.pos.map((v, r) => v + col[r]! * dy * (rows - 1));
  const lpsToRas = [-1, -1, 1];
  const affine = fromRows(
    [0, 1, 2].map((r) => [lpsToRas[r]! * row[r]! * dx, -lpsToRas[r]! * col[r]! * dy, lpsToRas[r]! * step[r]!, lpsToRas[r]! * origin[r]!]).concat([[0, 0, 0, 1]]),
  );
  const data = new Float32Array(columns * rows * n);
  sorted.forEach(({ image }, k) => {
    for (let j = 0; j < rows; j++) {
      const start = (rows - 1 - j) * columns;
      data.set(image.data.subarray(start, start + columns), (k * rows + j) * columns);
    }
  });
  const times = sorted.map((s) => s.image.acquisitionTime);
  const known = times.filter((t): t is number => t !== null);
  const start = known.length > 0 ? Math.min(...known) : null;
  const sliceTiming = start !== null && known.length === n ? times.map((t) => Math.round((t! - start) * 1e6) / 1e6) : undefined;
  return {
    grid: { dims: [columns, rows, n], voxelSize: [dx, dy, spacing], affine },
    data,
    acquisitionTime: start,
    ...(sliceTiming ? { sliceTiming } : {}),
  };
}
