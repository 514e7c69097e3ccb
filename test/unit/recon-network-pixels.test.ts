/**
 * The pixels feature space and the area resampling behind it and behind loadImage: averages are
 * exact area averages, the space round-trips through pixelsToImage, its gradient is the transposed
 * averaging, and PNG stimuli load as centred squares with transparency over the screen grey.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { BoldstreamError } from '../../src/errors.js';
import { areaFootprints, createPixelsSpace, loadImage, pixelsToImage, resizeArea } from '../../src/recon/network/index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** A deterministic test picture: smooth gradients plus a checkerboard, RGB in [0, 1]. */
function picture(side: number): Float32Array {
  const data = new Float32Array(side * side * 3);
  for (let y = 0; y < side; y++)
    for (let x = 0; x < side; x++) {
      const i = (y * side + x) * 3;
      data[i] = x / (side - 1);
      data[i + 1] = y / (side - 1);
      data[i + 2] = (x + y) % 2;
    }
  return data;
}

describe('area resampling', () => {
  it('gives each output pixel weights that sum to 1 and cover the input once', () => {
    for (const [from, to] of [[224, 32], [100, 32], [7, 3], [3, 7], [5, 5]] as const) {
      const fps = areaFootprints(from, to);
      for (const f of fps) expect(f.weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
      const coverage = new Float64Array(from);
      fps.forEach((f) => f.weights.forEach((w, k) => (coverage[f.start + k]! += (w * from) / to)));
      for (const c of coverage) expect(c).toBeCloseTo(1, 5);
    }
  });

  it('averages whole blocks when the factor is an integer, and keeps a constant image constant', () => {
    const data = Float32Array.from({ length: 4 * 4 }, (_, i) => i);
    expect(Array.from(resizeArea(data, 4, 4, 1, 2, 2))).toEqual([2.5, 4.5, 10.5, 12.5]);
    const flat = resizeArea(new Float32Array(10 * 6 * 3).fill(0.25), 10, 6, 3, 3, 4);
    for (const v of flat) expect(v).toBeCloseTo(0.25, 6);
  });
});

describe('pixels feature space', () => {
  it('offers one layer of size² × channels, and averages any input size exactly', () => {
    const space = createPixelsSpace(tf, { size: 8, color: 'rgb' });
    expect(space.layers).toEqual([{ name: 'pixels', shape: [8, 8, 3], units: 192 }]);
    expect(space.name).toBe('pixels-8-rgb');
    // 20 px is not a multiple of 8: partial pixels are weighted by the part covered.
    const img = picture(20);
    const got = tf.tidy(() => space.forward(tf.tensor4d(img, [1, 20, 20, 3]))['pixels']!.dataSync());
    const want = resizeArea(img, 20, 20, 3, 8, 8);
    for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i]!, 5);
    space.dispose();
  });

  it('in grey, is BT.601 luma of the averaged colours, and keeps the batch axis', () => {
    const space = createPixelsSpace(tf, { size: 4 });
    const a = picture(16);
    const b = a.map((v) => 1 - v);
    const both = new Float32Array([...a, ...b]);
    const out = tf.tidy(() => space.forward(tf.tensor4d(both, [2, 16, 16, 3]))['pixels']!);
    expect(out.shape).toEqual([2, 4, 4, 1]);
    const values = out.dataSync();
    const small = resizeArea(b, 16, 16, 3, 4, 4);
    for (let p = 0; p < 16; p++) expect(values[16 + p]).toBeCloseTo(0.299 * small[3 * p]! + 0.587 * small[3 * p + 1]! + 0.114 * small[3 * p + 2]!, 5);
    out.dispose();
    space.dispose();
  });

  it('round-trips: image → features → picture → features gives the features back (box upsampling)', () => {
    const space = createPixelsSpace(tf, { size: 8, color: 'rgb' });
    const img = picture(32);
    const features = tf.tidy(() => space.forward(tf.tensor4d(img, [1, 32, 32, 3]))['pixels']!.dataSync() as Float32Array);
    const back = pixelsToImage(features, { size: 8, color: 'rgb', outSize: 32, interpolation: 'box' });
    // The picture is the downsampled image, shown at full size.
    expect(Array.from(resizeArea(back, 32, 32, 3, 8, 8)).map((v) => +v.toFixed(5))).toEqual(Array.from(features).map((v) => +v.toFixed(5)));
    const again = tf.tidy(() => space.forward(tf.tensor4d(back, [1, 32, 32, 3]))['pixels']!.dataSync());
    for (let i = 0; i < features.length; i++) expect(again[i]).toBeCloseTo(features[i]!, 5);
    space.dispose();
  });

  it('bilinear pictures keep constants constant, clamp to [0, 1] and stay close to the features', () => {
    const flat = pixelsToImage(new Float32Array(16).fill(0.3), { size: 4, color: 'gray', outSize: 13 });
    for (const v of flat) expect(v).toBeCloseTo(0.3, 6);
    const wild = pixelsToImage(Float32Array.from([-1, 2, 0.5, 0.5]), { size: 2, color: 'gray', outSize: 6 });
    expect(Math.min(...wild)).toBe(0);
    expect(Math.max(...wild)).toBe(1);
    const space = createPixelsSpace(tf, { size: 8, color: 'rgb' });
    const features = tf.tidy(() => space.forward(tf.tensor4d(picture(64), [1, 64, 64, 3]))['pixels']!.dataSync() as Float32Array);
    const smooth = pixelsToImage(features, { size: 8, color: 'rgb', outSize: 64 });
    const again = tf.tidy(() => space.forward(tf.tensor4d(smooth, [1, 64, 64, 3]))['pixels']!.dataSync());
    const err = Math.max(...Array.from(again, (v, i) => Math.abs(v - features[i]!)));
    expect(err).toBeLessThan(0.2);
    space.dispose();
  });

  it('has the transposed averaging as its gradient', () => {
    const space = createPixelsSpace(tf, { size: 3, color: 'gray' });
    const weights = tf.randomUniform([1, 3, 3, 1], -1, 1, 'float32', 7);
    const img = tf.tensor4d(picture(10), [1, 10, 10, 3]);
    const grad = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(space.forward(x as tf.Tensor4D)['pixels']!, weights)))(img);
    // The space is linear: the loss changes by exactly grad · δ for any δ.
    const delta = tf.randomUniform([1, 10, 10, 3], -1, 1, 'float32', 8);
    const loss = (x: tf.Tensor) => tf.sum(tf.mul(space.forward(x as tf.Tensor4D)['pixels']!, weights)).dataSync()[0]!;
    const change = tf.tidy(() => loss(tf.add(img, delta)) - loss(img));
    expect(tf.sum(tf.mul(grad, delta)).dataSync()[0]).toBeCloseTo(change, 4);
    tf.dispose([weights, img, grad, delta]);
    space.dispose();
  });

  it('rejects a layer it does not have', () => {
    const space = createPixelsSpace(tf, { size: 4 });
    expect(() => tf.tidy(() => space.forward(tf.zeros([1, 4, 4, 3]), ['conv1']))).toThrow(/one layer/);
    space.dispose();
  });
});

describe('loadImage', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'boldstream-img-'));
  function writePng(name: string, width: number, height: number, pixel: (x: number, y: number) => [number, number, number, number]): string {
    const png = new PNG({ width, height });
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) {
        const px = pixel(x, y);
        for (let c = 0; c < 4; c++) png.data[4 * (y * width + x) + c] = px[c]!;
      }
    const file = path.join(dir, name);
    writeFileSync(file, PNG.sync.write(png));
    return file;
  }

  it('crops a wide picture to its centred square and area-averages it to the size asked', async () => {
    // 12 × 6: red left quarter, blue right quarter, green centre square.
    const file = writePng('wide.png', 12, 6, (x) => (x < 3 ? [255, 0, 0, 255] : x >= 9 ? [0, 0, 255, 255] : [0, 255, 0, 255]));
    const img = await loadImage(file, 3);
    expect(img.length).toBe(27);
    for (let p = 0; p < 9; p++) expect([img[3 * p], img[3 * p + 1], img[3 * p + 2]]).toEqual([0, 1, 0]);
  });

  it('shows transparent pixels on the screen background', async () => {
    const file = writePng('alpha.png', 2, 2, () => [255, 255, 255, 0]);
    expect(Array.from(await loadImage(file, 2))).toEqual(new Array(12).fill(0.5));
    expect(Array.from(await loadImage(file, 1, { background: 0 }))).toEqual([0, 0, 0]);
  });

  it('reports a missing file and a file that is not a PNG with their codes', async () => {
    await expect(loadImage(path.join(dir, 'nope.png'), 8)).rejects.toMatchObject({ code: 'INPUT_NOT_FOUND' });
    const bad = path.join(dir, 'bad.png');
    writeFileSync(bad, 'not a png');
    const error = await loadImage(bad, 8).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BoldstreamError);
    expect((error as BoldstreamError).code).toBe('STIMULUS_IMAGE_INVALID');
  });
});
