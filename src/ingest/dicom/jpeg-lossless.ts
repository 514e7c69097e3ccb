/**
 * JPEG Lossless (process 14, 1.2.840.10008.1.2.4.57 and .70) through the optional npm package
 * jpeg-lossless-decoder-js (pure JavaScript, no WebAssembly, nothing fetched at run time).
 *
 * The package is an optional dependency of boldstream (npm installs it unless told to omit optional
 * packages): it is looked up when the first such file arrives, and when it is missing the file is
 * refused as DICOM_UNSUPPORTED_TRANSFER_SYNTAX naming the package, never read wrongly. `createRequire` keeps the lookup synchronous (the reader is synchronous) and works
 * for the package's CommonJS build.
 */
import { createRequire } from 'node:module';
import { BoldstreamError } from '../../errors.js';

const PACKAGE = 'jpeg-lossless-decoder-js';

/** What the package offers that we use (it ships no type declarations). */
interface LosslessDecoder {
  decompress(buffer: ArrayBuffer, offset?: number, length?: number): ArrayBuffer;
}
type DecoderModule = { Decoder: new () => LosslessDecoder };

let loaded: DecoderModule | null | undefined;

function loadPackage(): DecoderModule | null {
  if (loaded !== undefined) return loaded;
  try {
    const candidate = createRequire(import.meta.url)(PACKAGE) as Partial<DecoderModule>;
    loaded = typeof candidate.Decoder === 'function' ? (candidate as DecoderModule) : null;
  } catch {
    loaded = null;
  }
  return loaded;
}

/** True when the decoder package can be loaded here (tests use it to say which branch they check). */
export function jpegLosslessAvailable(): boolean {
  return loadPackage() !== null;
}

/** Cells of one frame, little endian (the package writes samples in the platform's order). */
export function decodeJpegLossless(frame: Uint8Array, syntaxUid: string): Uint8Array {
  const module = loadPackage();
  if (!module) throw new BoldstreamError('DICOM_UNSUPPORTED_TRANSFER_SYNTAX', `${syntaxUid} (JPEG Lossless) needs the npm package ${PACKAGE}, which is not installed`);
  const copy = frame.slice(); // the decoder reads a whole ArrayBuffer
  try {
    return new Uint8Array(new module.Decoder().decompress(copy.buffer));
  } catch (thrown) {
    const detail = thrown instanceof Error ? thrown.message.replace(/[^\w .,:'()-]/g, '').slice(0, 120) : 'decoder error';
    throw new BoldstreamError('DICOM_MALFORMED', `JPEG Lossless frame cannot be decoded (${detail})`);
  }
}
