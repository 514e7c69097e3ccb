/**
 * Frames as PNG: 8-bit RGB, no alpha. Written straight from the float image with the Paeth filter
 * alone: pngjs's default tries every filter per row, which took 6.3 ms for a 224 px RGB frame here,
 * this 3.5 ms for the same bytes on smooth images (measured in docs/reconstruction.md). The instant
 * frame is encoded on the main thread, so those milliseconds come out of the per-TR budget.
 */
import { PNG } from 'pngjs';

const RGB = 2;
const PAETH = 4;

/** RGB [size, size, 3] in [0, 1] → PNG bytes. */
export function encodeFramePng(image: Float32Array, size: number): Uint8Array {
  if (image.length !== size * size * 3) throw new RangeError(`image of ${image.length} values, not ${size}² × 3`);
  const png = new PNG({ width: size, height: size, colorType: RGB, inputColorType: RGB, inputHasAlpha: false });
  const data = Buffer.allocUnsafe(image.length);
  for (let i = 0; i < image.length; i++) {
    const v = image[i]!;
    data[i] = Math.round((v < 0 ? 0 : v > 1 ? 1 : v) * 255);
  }
  png.data = data;
  const bytes = PNG.sync.write(png, { colorType: RGB, inputColorType: RGB, inputHasAlpha: false, filterType: PAETH });
  // A plain Uint8Array over its own buffer, so that it can be transferred between threads.
  return new Uint8Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}
