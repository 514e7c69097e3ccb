/**
 * Siemens mosaic: one 2D image that tiles all slices of a volume, left to right, top to bottom, on a
 * square grid of ceil(sqrt(n)) tiles, unused tiles left blank.
 *
 * The slice count is never guessed from the picture (K05): the CSA header's NumberOfImagesInMosaic, else
 * private tag (0019,xx0A), else DICOM_MOSAIC_NO_SLICE_COUNT. When both exist and disagree (K09) the count
 * whose grid divides Rows and Columns into whole tiles (and, if still tied, matches the acquisition
 * matrix) wins, with a warning.
 */
import { BoldstreamError, type Warning, warning } from '../../errors.js';

export interface MosaicLayout {
  readonly slices: number;
  /** Tiles per row and per column of the mosaic. */
  readonly grid: number;
  readonly tileRows: number;
  readonly tileColumns: number;
  readonly rows: number;
  readonly columns: number;
}

export interface SliceCountSources {
  readonly csa: number | undefined;
  readonly privateTag: number | undefined;
}

const gridOf = (n: number) => Math.ceil(Math.sqrt(n));
const fits = (n: number, rows: number, columns: number) => n > 1 && rows % gridOf(n) === 0 && columns % gridOf(n) === 0;

export function resolveSliceCount(sources: SliceCountSources, rows: number, columns: number, acquired: number | undefined, warnings: Warning[]): number {
  const { csa, privateTag } = sources;
  if (csa !== undefined && privateTag !== undefined && csa !== privateTag) {
    // Rank: tiles the image at all (2), and then tiles of the acquired matrix size (1).
    const rank = (n: number) => (fits(n, rows, columns) ? 2 + (rows / gridOf(n) === acquired ? 1 : 0) : 0);
    const chosen = rank(privateTag) > rank(csa) ? privateTag : csa;
    warnings.push(warning('DICOM_HEADER_DISAGREE', `mosaic slice count is ${csa} in the CSA header and ${privateTag} in (0019,100A); ${chosen} is used`));
    return chosen;
  }
  const count = csa ?? privateTag;
  if (count === undefined) throw new BoldstreamError('DICOM_MOSAIC_NO_SLICE_COUNT', 'image type says MOSAIC but neither source gives NumberOfImagesInMosaic');
  return count;
}

/** The tiling, or a clear error when the stated count cannot tile this image (never a best guess). */
export function mosaicLayout(slices: number, rows: number, columns: number): MosaicLayout {
  if (slices === 1) throw new BoldstreamError('DICOM_NOT_MOSAIC', 'image type says MOSAIC but it holds 1 slice');
  const grid = gridOf(slices);
  if (!(slices > 1) || !Number.isInteger(slices) || rows % grid !== 0 || columns % grid !== 0) {
    throw new BoldstreamError('DICOM_MOSAIC_INCONSISTENT', `${slices} slices need a ${grid}x${grid} grid, which does not divide ${rows}x${columns} pixels`);
  }
  return { slices, grid, tileRows: rows / grid, tileColumns: columns / grid, rows, columns };
}

/**
 * AcquisitionMatrix (0018,1310) cross-check: reconstruction may interpolate up from the acquired matrix,
 * never down, so tiles smaller than the acquired matrix mean the count or the tags are wrong.
 */
export function checkAcquisitionMatrix(layout: MosaicLayout, acquired: number | undefined, warnings: Warning[]): void {
  if (acquired === undefined || acquired <= 0) return;
  if (layout.tileRows < acquired && layout.tileColumns < acquired) {
    warnings.push(warning('DICOM_HEADER_DISAGREE', `tiles of ${layout.tileColumns}x${layout.tileRows} are smaller than the acquisition matrix ${acquired}`));
  }
}

/**
 * Tiles into a volume, i fastest, with the rows of every slice reversed: dcm2niix writes Siemens images
 * bottom row first, and the volume must equal its NIfTI voxel for voxel (the affine in geometry.ts
 * accounts for the flip).
 */
export function unpackMosaic(mosaic: Float32Array, layout: MosaicLayout): Float32Array {
  const { grid, tileRows, tileColumns, columns, slices } = layout;
  const out = new Float32Array(tileColumns * tileRows * slices);
  let o = 0;
  for (let k = 0; k < slices; k++) {
    const top = Math.floor(k / grid) * tileRows;
    const left = (k % grid) * tileColumns;
    for (let j = 0; j < tileRows; j++) {
      const start = (top + tileRows - 1 - j) * columns + left;
      out.set(mosaic.subarray(start, start + tileColumns), o);
      o += tileColumns;
    }
  }
  return out;
}
