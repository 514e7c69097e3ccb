/**
 * The frames of an enhanced MR file, each with what its functional groups say about it (PS3.3 C.7.6.16):
 * the frame's own item in the Per-frame Functional Groups, else the Shared Functional Groups.
 *
 *   PlanePositionSequence      ImagePositionPatient          where the frame lies
 *   PlaneOrientationSequence   ImageOrientationPatient
 *   PixelMeasuresSequence      PixelSpacing, SliceThickness
 *   FrameContentSequence       TemporalPositionIndex, StackID, InStackPositionNumber, FrameAcquisitionDateTime
 *   MREchoSequence             EffectiveEchoTime             which echo (K10)
 *   PixelValueTransformation   RescaleSlope / Intercept      per-frame scaling (K16, scaling.ts)
 */
import { BoldstreamError } from '../../errors.js';
import type { DicomHeader } from './header.js';
import { parseDateTimeOfDay } from './identity.js';
import { decodeFrame, type PixelFormat } from './pixels.js';
import { frameScaling } from './scaling.js';
import type { PlacedImage } from './stack.js';
import type { PixelCodec, Vendor } from './syntax.js';
import { TAG } from './tags.js';

export interface EnhancedFrame {
  readonly image: PlacedImage;
  /** 1-based TemporalPositionIndex, when the frame has one. */
  readonly temporalIndex: number | null;
  readonly inStackPosition: number | null;
  readonly echoTimeMs: number | null;
  /** 0-based frame number in the file. */
  readonly frame: number;
}

export function readFrames(header: DicomHeader, format: PixelFormat, codec: PixelCodec | null, vendor: Vendor): EnhancedFrame[] {
  const shared = header.items(TAG.SharedFunctionalGroups)[0];
  const perFrame = header.items(TAG.PerFrameFunctionalGroups);
  if (perFrame.length !== format.frames) {
    throw new BoldstreamError('DICOM_MALFORMED', `${format.frames} frames but ${perFrame.length} items in the Per-frame Functional Groups Sequence (5200,9230)`);
  }
  const topEcho = header.number(TAG.EchoTime) ?? null;
  return perFrame.map((own, frame) => {
    const macro = (sequence: string): DicomHeader | undefined => own.items(sequence)[0] ?? shared?.items(sequence)[0];
    const plane = macro(TAG.PlanePositionSequence);
    const orientation = macro(TAG.PlaneOrientationSequence);
    const measures = macro(TAG.PixelMeasuresSequence);
    const content = own.items(TAG.FrameContentSequence)[0];
    const echo = macro(TAG.MREchoSequence);
    if (!plane || !orientation || !measures) {
      throw new BoldstreamError('DICOM_MISSING_GEOMETRY', `frame ${frame + 1} has no plane position, plane orientation or pixel measures in its functional groups`);
    }
    const image: PlacedImage = {
      orientation: orientation.numbers(TAG.ImageOrientationPatient),
      position: plane.numbers(TAG.ImagePositionPatient),
      pixelSpacing: measures.numbers(TAG.PixelSpacing),
      sliceThickness: measures.number(TAG.SliceThickness) ?? null,
      rows: format.rows,
      columns: format.columns,
      data: decodeFrame(header, format, frame, codec, frameScaling(vendor, header, own, shared)),
      acquisitionTime: parseDateTimeOfDay(content?.text(TAG.FrameAcquisitionDateTime)),
    };
    return {
      image,
      temporalIndex: content?.binary(TAG.TemporalPositionIndex, 'UL') ?? null,
      inStackPosition: content?.binary(TAG.InStackPositionNumber, 'UL') ?? null,
      echoTimeMs: echo?.binary(TAG.EffectiveEchoTime, 'FD') ?? topEcho,
      frame,
    };
  });
}
