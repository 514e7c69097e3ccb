/**
 * Stimuli of the simulated subject (src/synth/stimuli/): the same seed gives the same PNG bytes, the
 * training set holds random patch patterns and 1/f-like textures, the test set shapes and letters,
 * at any size, in RGB or grey. The power spectrum of the textures is measured in numpy.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { decodePng, encodePng } from '../../src/synth/png.js';
import { GLYPH_LETTERS, glyphInk } from '../../src/synth/stimuli/glyphs.js';
import { luminance, resized, type Picture } from '../../src/synth/stimuli/picture.js';
import { testStimuli, trainingStimuli, TEST_LETTERS } from '../../src/synth/stimuli/sets.js';
import { referencePython } from '../helpers/paths.js';

const look = { seed: 7, size: 64, colour: 'rgb' as const };
const pngBytes = (pictures: readonly { picture: Picture }[]): Buffer[] => pictures.map((s) => encodePng(s.picture));
const distinct = (p: Picture): number => new Set(Array.from({ length: p.size * p.size }, (_, i) => `${p.data[3 * i]},${p.data[3 * i + 1]},${p.data[3 * i + 2]}`)).size;
/** A pixel in PNG levels (0–255). */
const pixel = (p: Picture, x: number, y: number): number[] => [0, 1, 2].map((c) => Math.round(255 * p.data[3 * (y * p.size + x) + c]!));

describe('stimuli are deterministic', () => {
  it('the same seed gives the same PNG bytes; another seed other images', () => {
    const a = pngBytes([...trainingStimuli(look, 6), ...testStimuli(look)]);
    const b = pngBytes([...trainingStimuli(look, 6), ...testStimuli(look)]);
    expect(a.every((bytes, i) => bytes.equals(b[i]!))).toBe(true);
    const other = pngBytes(trainingStimuli({ ...look, seed: 8 }, 6));
    expect(other.filter((bytes, i) => bytes.equals(a[i]!))).toHaveLength(0);
  });

  it('training image i does not depend on how many are drawn', () => {
    const few = pngBytes(trainingStimuli(look, 3));
    const many = pngBytes(trainingStimuli(look, 9));
    expect(few.every((bytes, i) => bytes.equals(many[i]!))).toBe(true);
  });

  it('a PNG reads back as the picture the encoding model saw', () => {
    for (const s of [...trainingStimuli(look, 2), ...testStimuli(look).slice(0, 2)]) expect(decodePng(encodePng(s.picture)).data).toEqual(s.picture.data);
  });
});

describe('stimuli are of the asked kinds', () => {
  it('training alternates patch patterns (few flat colours on a cell grid) and textures (many levels)', () => {
    const train = trainingStimuli(look, 10);
    expect(train.map((s) => s.kind)).toEqual(['patch', 'texture', 'patch', 'texture', 'patch', 'texture', 'patch', 'texture', 'patch', 'texture']);
    expect(train.every((s) => s.set === 'train' && s.file === `train/${s.kind}-${s.file.slice(-8, -4)}.png`)).toBe(true);
    for (const s of train.filter((t) => t.kind === 'patch')) {
      // At most 16 × 16 cells and the grey screen; the grey screen itself shows between cells.
      expect(distinct(s.picture)).toBeLessThanOrEqual(16 * 16 + 1);
      expect(distinct(s.picture)).toBeGreaterThanOrEqual(2);
    }
    for (const s of train.filter((t) => t.kind === 'texture')) expect(distinct(s.picture)).toBeGreaterThan(500);
  });

  it('textures have a natural-image (1/f) amplitude spectrum: power slopes around −2', async () => {
    const folder = await mkdtemp(path.join(tmpdir(), 'boldstream-stimuli-'));
    const textures = trainingStimuli({ ...look, size: 112 }, 16).filter((s) => s.kind === 'texture');
    const files = await Promise.all(textures.map(async (s, i) => { const f = path.join(folder, `${i}.png`); await writeFile(f, encodePng(s.picture)); return f; }));
    const script = `
import sys, json, numpy as np
from PIL import Image
slopes = []
for f in sys.argv[1:]:
    a = np.asarray(Image.open(f).convert('L'), dtype=float); a -= a.mean()
    p = np.abs(np.fft.fftshift(np.fft.fft2(a))) ** 2
    n = a.shape[0]; y, x = np.indices(p.shape) - n // 2; r = np.hypot(x, y).astype(int)
    radial = np.bincount(r.ravel(), p.ravel()) / np.bincount(r.ravel())
    f = np.arange(2, 16)  # cycles per image where the textures are defined
    slopes.append(float(np.polyfit(np.log(f), np.log(radial[f]), 1)[0]))
print(json.dumps(slopes))`;
    const slopes = JSON.parse(execFileSync(referencePython, ['-c', script, ...files], { encoding: 'utf8' })) as number[];
    await rm(folder, { recursive: true, force: true });
    expect(slopes).toHaveLength(8);
    // Natural images give about −2; single textures spread (tilted slopes, gratings), the set centres on −2.
    for (const s of slopes) {
      expect(s).toBeGreaterThan(-4);
      expect(s).toBeLessThan(-1);
    }
    const sorted = [...slopes].sort((a, b) => a - b);
    expect((sorted[3]! + sorted[4]!) / 2).toBeGreaterThan(-2.8);
    expect((sorted[3]! + sorted[4]!) / 2).toBeLessThan(-1.7);
  });

  it('the test set is five shapes in two placements and ten letters on the grey screen', () => {
    const test = testStimuli(look);
    expect(test.filter((s) => s.kind === 'shape').map((s) => s.file)).toEqual(
      ['circle', 'square', 'triangle', 'cross', 'ring'].flatMap((k) => [`test/shape-${k}-1.png`, `test/shape-${k}-2.png`]),
    );
    expect(test.filter((s) => s.kind === 'letter').map((s) => s.file)).toEqual(TEST_LETTERS.map((l) => `test/letter-${l}.png`));
    for (const s of test) {
      expect(pixel(s.picture, 0, 0)).toEqual([128, 128, 128]); // the screen shows in the corner
      expect(distinct(s.picture)).toBeGreaterThanOrEqual(2);
    }
    // The centred circle covers the centre and not the corner; the ring's centre is empty.
    const circle = test.find((s) => s.file === 'test/shape-circle-1.png')!.picture;
    const ring = test.find((s) => s.file === 'test/shape-ring-1.png')!.picture;
    expect(pixel(circle, 32, 32)).not.toEqual(pixel(circle, 0, 0));
    expect(pixel(ring, 32, 32)).toEqual(pixel(ring, 0, 0));
  });

  it('letters are drawn from the 5×7 glyph table', () => {
    expect(GLYPH_LETTERS).toHaveLength(26);
    expect([0, 1, 2, 3, 4, 5, 6].map((r) => glyphInk('L', 0, r))).toEqual([true, true, true, true, true, true, true]);
    expect([0, 1, 2, 3, 4].map((c) => glyphInk('L', c, 6))).toEqual([true, true, true, true, true]);
    expect(glyphInk('L', 4, 0)).toBe(false);
    const L = testStimuli(look).find((s) => s.file === 'test/letter-L.png')!.picture;
    const lum = luminance(L);
    // Glyph cell: 1.4 of the image's height 2, so 7 rows of 6.4 px from y = 9.6; columns from x = 16.
    expect(lum[12 * 64 + 18]).toBeCloseTo(1, 3); // ink in the stem (L is light: light and dark letters alternate)
    expect(lum[12 * 64 + 40]).toBeCloseTo(128 / 255, 3); // screen right of the stem
  });

  it('comes in other sizes (the same picture, sharper) and in grey', () => {
    for (const size of [112, 224]) {
      const [patch, texture] = trainingStimuli({ ...look, size }, 2);
      const png = PNG.sync.read(encodePng(texture!.picture));
      expect([png.width, png.height]).toEqual([size, size]);
      // Downsampled to 64 px, each is the 64-px image within rounding and edge blending.
      for (const [big, small] of [[patch!, trainingStimuli(look, 1)[0]!], [texture!, trainingStimuli(look, 2)[1]!]] as const) {
        const a = resized(big.picture, 64).data, b = small.picture.data;
        let diff = 0;
        for (let i = 0; i < a.length; i++) diff += Math.abs(a[i]! - b[i]!) / a.length;
        expect(diff).toBeLessThan(0.03);
      }
    }
    const grey = [...trainingStimuli({ ...look, colour: 'grey' }, 4), ...testStimuli({ ...look, colour: 'grey' })];
    for (const s of grey) expect(PNG.sync.read(encodePng(s.picture)).colorType).toBe(0);
    expect(PNG.sync.read(encodePng(testStimuli(look)[0]!.picture)).colorType).toBe(2);
  });
});
