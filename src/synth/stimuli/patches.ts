/**
 * Training stimuli, kind 1: random patch patterns. After Miyawaki et al. (2008, Neuron 60:915), who
 * reconstructed images from visual cortex after training on random 10×10 binary patches only, and
 * after the colourful "artificial" training images of Shen et al. (2019). Each image is a grid of
 * k × k cells (k drawn per image, so several spatial scales are trained), a random share of them
 * filled; every fill is a random colour, or one colour per image at a random contrast.
 */
import type { Random } from '../random.js';
import { BACKGROUND, filled, type Picture, type Rgb } from './picture.js';

const GRIDS = [3, 4, 5, 6, 8, 10, 12, 16] as const;

function randomColour(random: Random, contrast: number): Rgb {
  const channel = (): number => BACKGROUND + contrast * (random.next() - 0.5);
  return [channel(), channel(), channel()];
}

export function drawPatches(size: number, random: Random): Picture {
  const picture = filled(size);
  const k = GRIDS[Math.floor(random.next() * GRIDS.length)]!;
  const share = random.uniform(0.3, 0.7);
  const contrast = random.uniform(0.4, 1);
  // Half the images have one ink (a light or dark luminance, or one hue), like a binary patch
  // stimulus; the others give every cell its own colour.
  const oneInk = random.next() < 0.5;
  const sign = random.next() < 0.5 ? -1 : 1;
  const ink: Rgb = random.next() < 0.5 ? [BACKGROUND + (sign * contrast) / 2, BACKGROUND + (sign * contrast) / 2, BACKGROUND + (sign * contrast) / 2] : randomColour(random, 2 * contrast);
  const edge = (c: number): number => Math.round((c * size) / k);
  for (let row = 0; row < k; row++) {
    for (let col = 0; col < k; col++) {
      if (random.next() >= share) continue;
      const colour = oneInk ? ink : randomColour(random, 2 * contrast);
      for (let y = edge(row); y < edge(row + 1); y++) {
        for (let x = edge(col); x < edge(col + 1); x++) picture.data.set(colour, 3 * (y * size + x));
      }
    }
  }
  return picture;
}
