/**
 * Identity of a DICOM file from its header alone, while its pixel data is still short (K01/K08).
 *
 * The complete reader refuses such a file, as it must (invariant 1); but a file that never completes
 * should still become an error record for the TR it was meant to be, not a nameless problem. A DICOM
 * writer emits elements in tag order and never goes back, so once the bytes reach past InstanceNumber
 * (0020,0013) — a few kB into a Siemens file, long before the 160 kB of CSA header and the pixel data —
 * the series and index are final. The rule that turns header fields into an identity is the reader's
 * own (dicom/identity.ts), so both always agree.
 */
import dicomParser from 'dicom-parser';
import type { VolumeIdentity } from '../../volume.js';
import { isProbablyDicom } from '../dicom/index.js';
import { DicomHeader } from '../dicom/header.js';
import { readIdentity } from '../dicom/identity.js';
import { TAG } from '../dicom/tags.js';

export interface HeaderIdentity {
  readonly identity: VolumeIdentity;
  readonly seriesNumber: number | null;
}

const BIG_ENDIAN_EXPLICIT = '1.2.840.10008.1.2.2';

/**
 * Series and index of a (possibly unfinished) DICOM file, or null when the header does not tell yet.
 * Reads only up to InstanceNumber and only the identity fields; nothing about the person leaves here.
 */
export function dicomHeaderIdentity(bytes: Uint8Array): HeaderIdentity | null {
  if (!isProbablyDicom(bytes)) return null;
  try {
    // Stop at InstanceNumber: the elements after it may still be cut, and dicom-parser throws on those.
    const dataSet = dicomParser.parseDicom(bytes, { untilTag: TAG.InstanceNumber });
    // Its value must be all there; without it readIdentity would fall back to AcquisitionNumber, which
    // comes earlier in the file and gives the wrong index for some series (see dicom/identity.ts).
    const instance = dataSet.elements[TAG.InstanceNumber];
    if (!instance || instance.dataOffset + instance.length > bytes.length) return null;
    const syntax = dataSet.string(TAG.TransferSyntaxUID) ?? '';
    const header = new DicomHeader(dataSet, bytes, syntax, syntax !== BIG_ENDIAN_EXPLICIT);
    const ids = readIdentity(header);
    return { identity: ids.identity, seriesNumber: ids.seriesNumber };
  } catch {
    // Cut inside the header, or no series/instance fields: the file does not name its TR.
    return null;
  }
}
