/**
 * The voxel-to-world affine of a Siemens mosaic, the one dcm2niix writes for the same series (K06), so
 * that masks and references made from dcm2niix output line up with live volumes.
 *
 * DICOM gives, in LPS mm: the direction of a row (i) and of a column (j) of the image, the pixel spacing,
 * and ImagePositionPatient, the centre of the first transmitted pixel. For a mosaic that pixel is the
 * corner of the whole mosaic, as if it were one huge slice centred on the real ones; the first slice's
 * corner lies (Columns - tileColumns)/2 pixels along i and (Rows - tileRows)/2 along j from it.
 * The tiles are stacked along the CSA SliceNormalVector, which is +-(i x j): its sign decides the third
 * column (Siemens sagittal mosaics run against i x j). dcm2niix then writes each slice bottom row first
 * (see unpackMosaic), and NIfTI is RAS: x and y change sign.
 */
import { BoldstreamError } from '../../errors.js';
import { fromRows, type Mat4 } from '../../geometry/mat4.js';
import type { MosaicLayout } from './mosaic.js';

type Vec3 = [number, number, number];

export interface PlaneGeometry {
  /** ImageOrientationPatient: row direction (i) then column direction (j), LPS. */
  readonly orientation: readonly number[];
  /** ImagePositionPatient of the mosaic's first pixel, LPS mm. */
  readonly position: readonly number[];
  /** PixelSpacing: between rows (j), then between columns (i), mm. */
  readonly pixelSpacing: readonly number[];
  /** Centre-to-centre distance of adjacent slices, mm. */
  readonly sliceSpacing: number;
  /** CSA SliceNormalVector, LPS, unit length. */
  readonly sliceNormal: Vec3;
}

const missing = (detail: string) => new BoldstreamError('DICOM_MISSING_GEOMETRY', detail);
const dot = (a: Vec3, b: Vec3) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const cross = (a: Vec3, b: Vec3): Vec3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const scale = (a: Vec3, s: number): Vec3 => [a[0] * s, a[1] * s, a[2] * s];
const add = (a: Vec3, b: Vec3): Vec3 => [a[0] + b[0], a[1] + b[1], a[2] + b[2]];

function unit(v: Vec3, what: string): Vec3 {
  const n = Math.hypot(...v);
  if (!(Math.abs(n - 1) < 0.01)) throw missing(`${what} is not a unit vector`);
  return scale(v, 1 / n);
}

export function mosaicAffine(plane: PlaneGeometry, layout: MosaicLayout): { affine: Mat4; voxelSize: [number, number, number] } {
  const { orientation: o, position: p, pixelSpacing: ps } = plane;
  if (o.length < 6 || o.slice(0, 6).some((v) => !Number.isFinite(v))) throw missing('ImageOrientationPatient (0020,0037) needs 6 numbers');
  if (p.length < 3 || p.slice(0, 3).some((v) => !Number.isFinite(v))) throw missing('ImagePositionPatient (0020,0032) needs 3 numbers');
  if (ps.length < 2 || !(ps[0]! > 0) || !(ps[1]! > 0)) throw missing('PixelSpacing (0028,0030) needs 2 positive numbers');
  if (!(plane.sliceSpacing > 0) || !Number.isFinite(plane.sliceSpacing)) throw missing('no positive slice spacing');
  const row = unit([o[0]!, o[1]!, o[2]!], 'the row direction');
  const col = unit([o[3]!, o[4]!, o[5]!], 'the column direction');
  if (Math.abs(dot(row, col)) > 0.01) throw missing('row and column directions are not perpendicular');
  const dx = ps[1]!;
  const dy = ps[0]!;
  const normal = unit(cross(row, col), 'the plane normal');
  const along = dot(normal, plane.sliceNormal);
  // A slice normal far from +-(i x j) means the CSA header and the image plane describe different slices.
  if (Math.abs(along) < 0.5) throw missing('CSA SliceNormalVector is not perpendicular to the image plane');
  const k = scale(normal, Math.sign(along) * plane.sliceSpacing);

  const toFirstSlice = add(scale(row, (dx * (layout.columns - layout.tileColumns)) / 2), scale(col, (dy * (layout.rows - layout.tileRows)) / 2));
  const corner = add([p[0]!, p[1]!, p[2]!], toFirstSlice);
  // Bottom row first: voxel j=0 is the tile's last row, and j runs against the column direction.
  const origin = add(corner, scale(col, dy * (layout.tileRows - 1)));
  const i = scale(row, dx);
  const j = scale(col, -dy);
  const lpsToRas = [-1, -1, 1];
  const affine = fromRows(
    [0, 1, 2].map((r) => [lpsToRas[r]! * i[r]!, lpsToRas[r]! * j[r]!, lpsToRas[r]! * k[r]!, lpsToRas[r]! * origin[r]!]).concat([[0, 0, 0, 1]]),
  );
  return { affine, voxelSize: [dx, dy, plane.sliceSpacing] };
}
