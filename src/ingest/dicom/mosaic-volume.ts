/**
 * A Siemens mosaic file → one volume (K05 slice count, K06 geometry, K16/K17 pixels, K12 identity).
 */
import { BoldstreamError, type Warning } from '../../errors.js';
import type { Volume } from '../../volume.js';
import { mosaicAffine } from './geometry.js';
import type { DicomHeader } from './header.js';
import { acquisitionTime, readIdentity } from './identity.js';
import type { DicomVolume } from './index.js';
import { checkAcquisitionMatrix, mosaicLayout, resolveSliceCount, unpackMosaic } from './mosaic.js';
import { decodePixels, pixelFormat } from './pixels.js';
import { derivedKind } from './rule.js';
import { csaMosaicCount, csaSliceNormal, csaSliceTiming, hasSiemensCsa, privateMosaicCount, readCsaImageHeader } from './siemens.js';
import { summarise } from './summary.js';
import { type PixelCodec, requireSiemens } from './syntax.js';
import { TAG } from './tags.js';
import { repetitionTime, sliceSpacing } from './timing.js';

/** The largest acquired matrix size in (0018,1310), the cross-check for the tile size. */
function acquiredMatrix(header: DicomHeader): number | undefined {
  const values = header.uint16s(TAG.AcquisitionMatrix).filter((v) => v > 0);
  return values.length > 0 ? Math.max(...values) : undefined;
}

export function readMosaic(header: DicomHeader, codec: PixelCodec | null): DicomVolume {
  requireSiemens(header.text(TAG.Manufacturer), hasSiemensCsa(header));
  const imageType = header.texts(TAG.ImageType);
  const format = pixelFormat(header);
  const csa = readCsaImageHeader(header);
  const warnings: Warning[] = [];

  const acquired = acquiredMatrix(header);
  const counts = { csa: csaMosaicCount(csa), privateTag: privateMosaicCount(header) };
  const layout = mosaicLayout(resolveSliceCount(counts, format.rows, format.columns, acquired, warnings), format.rows, format.columns);
  checkAcquisitionMatrix(layout, acquired, warnings);

  const sliceNormal = csaSliceNormal(csa);
  if (!sliceNormal) throw new BoldstreamError('DICOM_MISSING_GEOMETRY', 'no CSA SliceNormalVector: the order of the mosaic tiles in space is unknown');
  const plane = {
    orientation: header.numbers(TAG.ImageOrientationPatient),
    position: header.numbers(TAG.ImagePositionPatient),
    pixelSpacing: header.numbers(TAG.PixelSpacing),
    sliceSpacing: sliceSpacing(header),
    sliceNormal,
  };
  const { affine, voxelSize } = mosaicAffine(plane, layout);
  const data = unpackMosaic(decodePixels(header, format, codec), layout);
  const ids = readIdentity(header);
  const sliceTiming = csaSliceTiming(csa, layout.slices);

  const volume: Omit<Volume, 'receivedAt'> = {
    identity: ids.identity,
    grid: { dims: [layout.tileColumns, layout.tileRows, layout.slices], voxelSize, affine },
    data,
    acquisitionTime: acquisitionTime(header),
    repetitionTime: repetitionTime(header, warnings),
    ...(sliceTiming ? { sliceTiming } : {}),
    warnings,
  };
  return {
    volume,
    seriesNumber: ids.seriesNumber,
    seriesKey: ids.seriesKey,
    instanceNumber: ids.instanceNumber,
    acquisitionNumber: ids.acquisitionNumber,
    imageType,
    derived: derivedKind(imageType),
    summary: summarise(header, layout, affine, voxelSize),
  };
}
