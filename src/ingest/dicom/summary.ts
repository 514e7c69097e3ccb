/**
 * The header summary that `boldstream inspect` prints: enough to check a protocol (vendor, sequence timing,
 * matrix, voxel size, orientation, encoding) and nothing that identifies a person or a visit. Identifying
 * attributes appear only as presence flags with the value "[redacted]" (privacy.ts).
 */
import type { Mat4 } from '../../geometry/mat4.js';
import type { DicomHeader } from './header.js';
import type { MosaicLayout } from './mosaic.js';
import { REDACTED, redactedPresence } from './privacy.js';
import { printableUid, sopClassName, transferSyntaxName } from './syntax.js';
import { TAG } from './tags.js';

export interface DicomSummary {
  readonly manufacturer: string | null;
  readonly model: string | null;
  readonly software: string | null;
  readonly seriesDescription: string | null;
  readonly protocolName: string | null;
  readonly repetitionTimeMs: number | null;
  readonly echoTimeMs: number | null;
  readonly flipAngleDeg: number | null;
  /** Voxels along i and j of one slice. */
  readonly matrix: readonly [number, number];
  /** Columns and rows of the stored image (the whole mosaic, or one frame or slice). */
  readonly storedMatrix: readonly [number, number];
  readonly slices: number;
  readonly voxelSizeMm: readonly [number, number, number];
  readonly orientation: {
    /** Direction each voxel axis points to, nibabel style ("LAS": i towards Left, j Anterior, k Superior). */
    readonly axisCodes: string;
    /** Nearest anatomical plane of the slices and the angle (degrees) to it. */
    readonly slicePlane: 'sagittal' | 'coronal' | 'transversal';
    readonly obliqueDeg: number;
  };
  readonly transferSyntax: { readonly uid: string; readonly name: string };
  readonly sopClass: { readonly uid: string; readonly name: string };
  /** Identifying attributes the file carries, keyword -> "[redacted]". */
  readonly identifying: Readonly<Record<string, typeof REDACTED>>;
}

function axisCodes(affine: Mat4): string {
  const labels: readonly [string, string][] = [['R', 'L'], ['A', 'P'], ['S', 'I']];
  let codes = '';
  for (let c = 0; c < 3; c++) {
    const col = [affine[c]!, affine[4 + c]!, affine[8 + c]!];
    const axis = col.reduce((best, v, r) => (Math.abs(v) > Math.abs(col[best]!) ? r : best), 0);
    codes += labels[axis]![col[axis]! >= 0 ? 0 : 1];
  }
  return codes;
}

function slicePlane(affine: Mat4): DicomSummary['orientation'] {
  const n = [affine[2]!, affine[6]!, affine[10]!];
  const len = Math.hypot(n[0]!, n[1]!, n[2]!);
  const axis = n.reduce((best, v, r) => (Math.abs(v) > Math.abs(n[best]!) ? r : best), 0);
  const cos = Math.min(1, Math.abs(n[axis]!) / len);
  const planes = ['sagittal', 'coronal', 'transversal'] as const;
  return { axisCodes: axisCodes(affine), slicePlane: planes[axis]!, obliqueDeg: Math.round((Math.acos(cos) * 180) / Math.PI * 10) / 10 };
}

/** A mosaic's layout, or a plain stack of slices (tiles the size of the stored image). */
export type SummaryShape = Pick<MosaicLayout, 'tileColumns' | 'tileRows' | 'columns' | 'rows' | 'slices'>;

export function summarise(header: DicomHeader, layout: SummaryShape, affine: Mat4, voxelSize: readonly [number, number, number]): DicomSummary {
  const text = (key: string) => header.text(key) ?? null;
  const num = (key: string) => header.number(key) ?? null;
  const sop = header.text(TAG.SOPClassUID) ?? header.text(TAG.MediaStorageSOPClassUID);
  return {
    manufacturer: text(TAG.Manufacturer),
    model: text(TAG.ManufacturerModelName),
    software: text(TAG.SoftwareVersions),
    seriesDescription: text(TAG.SeriesDescription),
    protocolName: text(TAG.ProtocolName),
    repetitionTimeMs: num(TAG.RepetitionTime),
    echoTimeMs: num(TAG.EchoTime),
    flipAngleDeg: num(TAG.FlipAngle),
    matrix: [layout.tileColumns, layout.tileRows],
    storedMatrix: [layout.columns, layout.rows],
    slices: layout.slices,
    voxelSizeMm: voxelSize,
    orientation: slicePlane(affine),
    transferSyntax: { uid: header.transferSyntax, name: transferSyntaxName(header.transferSyntax) },
    sopClass: { uid: printableUid(sop), name: sopClassName(sop) },
    identifying: redactedPresence(new Set(header.keys())),
  };
}
