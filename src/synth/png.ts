/**
 * PNG files of stimulus pictures (pngjs): 8-bit RGB, or 8-bit grey when every pixel is grey. pngjs
 * deflates with fixed settings, so the same picture always gives the same bytes.
 */
import { PNG } from 'pngjs';
import type { Picture } from './stimuli/picture.js';

const GREY = 0;
const RGB = 2;

function isGrey(picture: Picture): boolean {
  const d = picture.data;
  for (let p = 0; p < d.length; p += 3) if (d[p] !== d[p + 1] || d[p] !== d[p + 2]) return false;
  return true;
}

export function encodePng(picture: Picture): Buffer {
  const { size, data } = picture;
  const png = new PNG({ width: size, height: size });
  for (let p = 0; p < size * size; p++) {
    for (let c = 0; c < 3; c++) png.data[4 * p + c] = Math.round(Math.min(1, Math.max(0, data[3 * p + c]!)) * 255);
    png.data[4 * p + 3] = 255;
  }
  return PNG.sync.write(png, { colorType: isGrey(picture) ? GREY : RGB, inputColorType: 6, inputHasAlpha: true });
}

/** Pixels of a PNG as a picture (RGB in [0, 1]): what training reads back. */
export function decodePng(bytes: Buffer): Picture {
  const png = PNG.sync.read(bytes);
  if (png.width !== png.height) throw new RangeError(`stimulus PNG is ${png.width}x${png.height}, not square`);
  const n = png.width * png.height;
  const data = new Float32Array(n * 3);
  for (let p = 0; p < n; p++) for (let c = 0; c < 3; c++) data[3 * p + c] = png.data[4 * p + c]! / 255;
  return { size: png.width, data };
}
