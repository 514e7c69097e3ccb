/**
 * NIfTI-1 and NIfTI-2 reading and writing. Readers resolve gzip, byte order, datatype, scaling,
 * orientation and TR once (invariant 4); see read.ts for the path of one file.
 */
export { openNiftiFrames, readNifti, readNiftiFile, readNiftiHeader, readNiftiHeaderFile, type NiftiFrames, type NiftiHeaderInfo } from './read.js';
export { streamNiftiFrames, type NiftiFrameStream } from './stream.js';
export { writeNifti, writeNiftiFile } from './write.js';
export type { AffineSource, NiftiExtensionSummary, NiftiHeaderSummary, NiftiImage, NiftiWritable, NiftiWriteOptions } from './types.js';
