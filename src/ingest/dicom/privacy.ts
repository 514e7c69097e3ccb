/**
 * Attributes that identify a person, a visit or a site, after the DICOM basic de-identification profile
 * (PS3.15 Annex E) as far as MR research exports carry them.
 *
 * Hard rule: the values of these attributes never leave the DICOM reader: not in volumes, summaries,
 * warnings or error messages. Their presence may be reported (as "[redacted]") so that an operator can see
 * that a file still carries them. Dates are listed because a scan date plus a birth date narrow a person
 * down; UIDs because scanners build them from serial numbers and timestamps (the reader hashes them).
 * Other code (logs, recordings, tests) uses this list to check that nothing slipped through.
 */
export interface IdentifyingTag {
  /** DICOM keyword, as used in the summary's presence flags. */
  readonly keyword: string;
  /** Group and element as 8 hex digits, e.g. '00100010'. */
  readonly tag: string;
}

const t = (keyword: string, tag: string): IdentifyingTag => ({ keyword, tag });

export const IDENTIFYING_TAGS: readonly IdentifyingTag[] = Object.freeze([
  // The person
  t('PatientName', '00100010'),
  t('PatientID', '00100020'),
  t('IssuerOfPatientID', '00100021'),
  t('PatientBirthDate', '00100030'),
  t('PatientBirthTime', '00100032'),
  t('PatientSex', '00100040'),
  t('OtherPatientIDs', '00101000'),
  t('OtherPatientNames', '00101001'),
  t('OtherPatientIDsSequence', '00101002'),
  t('PatientBirthName', '00101005'),
  t('PatientAge', '00101010'),
  t('PatientSize', '00101020'),
  t('PatientWeight', '00101030'),
  t('PatientAddress', '00101040'),
  t('PatientMotherBirthName', '00101060'),
  t('MilitaryRank', '00101080'),
  t('MedicalRecordLocator', '00101090'),
  t('PatientTelephoneNumbers', '00102154'),
  t('EthnicGroup', '00102160'),
  t('Occupation', '00102180'),
  t('AdditionalPatientHistory', '001021b0'),
  t('PatientReligiousPreference', '001021f0'),
  t('PatientComments', '00104000'),
  // The visit and the people around it
  t('InstanceCreationDate', '00080012'),
  t('StudyDate', '00080020'),
  t('SeriesDate', '00080021'),
  t('AcquisitionDate', '00080022'),
  t('ContentDate', '00080023'),
  t('AcquisitionDateTime', '0008002a'),
  // Inside enhanced MR functional groups; the reader keeps only the time of day (identity.ts).
  t('FrameAcquisitionDateTime', '00189074'),
  t('FrameReferenceDateTime', '00189151'),
  t('AccessionNumber', '00080050'),
  t('ReferringPhysicianName', '00080090'),
  t('ReferringPhysicianAddress', '00080092'),
  t('ReferringPhysicianTelephoneNumbers', '00080094'),
  t('StudyDescription', '00081030'),
  t('PhysiciansOfRecord', '00081048'),
  t('PerformingPhysicianName', '00081050'),
  t('NameOfPhysiciansReadingStudy', '00081060'),
  t('OperatorsName', '00081070'),
  t('AdmittingDiagnosesDescription', '00081080'),
  t('StudyID', '00200010'),
  t('ImageComments', '00204000'),
  t('RequestingPhysician', '00321032'),
  t('RequestedProcedureDescription', '00321060'),
  t('PerformedProcedureStepStartDate', '00400244'),
  t('PerformedProcedureStepID', '00400253'),
  t('PerformedProcedureStepDescription', '00400254'),
  t('RequestAttributesSequence', '00400275'),
  // The site and the device
  t('InstitutionName', '00080080'),
  t('InstitutionAddress', '00080081'),
  t('StationName', '00081010'),
  t('InstitutionalDepartmentName', '00081040'),
  t('DeviceSerialNumber', '00181000'),
  // UIDs (hashed into identities, never shown)
  t('MediaStorageSOPInstanceUID', '00020003'),
  t('SOPInstanceUID', '00080018'),
  t('StudyInstanceUID', '0020000d'),
  t('SeriesInstanceUID', '0020000e'),
  t('FrameOfReferenceUID', '00200052'),
]);

export const REDACTED = '[redacted]' as const;

/** Presence flags for the identifying attributes found among `presentKeys` (dicom-parser element keys). */
export function redactedPresence(presentKeys: ReadonlySet<string>): Record<string, typeof REDACTED> {
  const flags: Record<string, typeof REDACTED> = {};
  for (const { keyword, tag } of IDENTIFYING_TAGS) if (presentKeys.has(`x${tag}`)) flags[keyword] = REDACTED;
  return flags;
}
