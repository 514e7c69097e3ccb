/**
 * The DICOM attributes the reader uses, as dicom-parser names them ('x' + group + element, lower-case hex).
 * One table so that a tag number is written once and read by name everywhere else.
 */
export const TAG = {
  MediaStorageSOPClassUID: 'x00020002',
  TransferSyntaxUID: 'x00020010',
  ImageType: 'x00080008',
  SOPClassUID: 'x00080016',
  SOPInstanceUID: 'x00080018',
  AcquisitionTime: 'x00080032',
  ContentTime: 'x00080033',
  Modality: 'x00080060',
  Manufacturer: 'x00080070',
  SeriesDescription: 'x0008103e',
  ManufacturerModelName: 'x00081090',
  SliceThickness: 'x00180050',
  RepetitionTime: 'x00180080',
  EchoTime: 'x00180081',
  SpacingBetweenSlices: 'x00180088',
  EchoNumbers: 'x00180086',
  SoftwareVersions: 'x00181020',
  ProtocolName: 'x00181030',
  AcquisitionMatrix: 'x00181310',
  FlipAngle: 'x00181314',
  TriggerTime: 'x00181060',
  SeriesInstanceUID: 'x0020000e',
  SeriesNumber: 'x00200011',
  AcquisitionNumber: 'x00200012',
  InstanceNumber: 'x00200013',
  ImagePositionPatient: 'x00200032',
  ImageOrientationPatient: 'x00200037',
  TemporalPositionIdentifier: 'x00200100',
  NumberOfTemporalPositions: 'x00200105',
  ImagesInAcquisition: 'x00201002',
  SamplesPerPixel: 'x00280002',
  PhotometricInterpretation: 'x00280004',
  NumberOfFrames: 'x00280008',
  Rows: 'x00280010',
  Columns: 'x00280011',
  PixelSpacing: 'x00280030',
  BitsAllocated: 'x00280100',
  BitsStored: 'x00280101',
  HighBit: 'x00280102',
  PixelRepresentation: 'x00280103',
  RescaleIntercept: 'x00281052',
  RescaleSlope: 'x00281053',
  PixelData: 'x7fe00010',

  // Enhanced (multi-frame) MR: functional groups (PS3.3 C.7.6.16) and the macros inside them.
  SharedFunctionalGroups: 'x52009229',
  PerFrameFunctionalGroups: 'x52009230',
  PlanePositionSequence: 'x00209113',
  PlaneOrientationSequence: 'x00209116',
  PixelMeasuresSequence: 'x00289110',
  FrameContentSequence: 'x00209111',
  FrameAcquisitionDateTime: 'x00189074',
  TemporalPositionIndex: 'x00209128',
  StackID: 'x00209056',
  InStackPositionNumber: 'x00209057',
  PixelValueTransformationSequence: 'x00289145',
  MREchoSequence: 'x00189114',
  EffectiveEchoTime: 'x00189082',
  MRImageFrameTypeSequence: 'x00189226',
  FrameType: 'x00089007',
  MRTimingAndRelatedParametersSequence: 'x00189112',
} as const;

/**
 * Sequences the enhanced reader walks. In implicit VR a sequence of defined length looks like any other
 * value, so the parser is told which tags hold items.
 */
export const SEQUENCE_TAGS: ReadonlySet<string> = new Set([
  TAG.SharedFunctionalGroups,
  TAG.PerFrameFunctionalGroups,
  TAG.PlanePositionSequence,
  TAG.PlaneOrientationSequence,
  TAG.PixelMeasuresSequence,
  TAG.FrameContentSequence,
  TAG.PixelValueTransformationSequence,
  TAG.MREchoSequence,
  TAG.MRImageFrameTypeSequence,
  TAG.MRTimingAndRelatedParametersSequence,
  'x2005140f', // Philips per-frame private sequence (holds the private scale slope)
]);

/** dicom-parser's key for a tag given as numbers. */
export function tagKey(group: number, element: number): string {
  return `x${group.toString(16).padStart(4, '0')}${element.toString(16).padStart(4, '0')}`;
}

/** "(0020,0013)" for messages: a tag number says where the problem is without showing any value. */
export function tagLabel(key: string): string {
  return `(${key.slice(1, 5)},${key.slice(5, 9)})`.toUpperCase();
}
