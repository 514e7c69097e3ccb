/**
 * Training stimuli, kind 2: natural-like textures. Natural images have an amplitude spectrum falling
 * as 1/f (Field 1987, JOSA A 4:2379); a sum of sinusoids whose frequencies are drawn log-uniformly has
 * exactly that on average (density 1/f² per unit area of the frequency plane), so each texture is such
 * a sum with a slope tilted per image, often with a dominant orientation, and half of them blended
 * with one or two windowed gratings. Frequencies are in cycles per image (1 to 16), so a texture is
 * the same picture at every size. Colour comes from two fainter textures along isoluminant
 * directions, so the luminance of an RGB texture is its grey version.
 *
 * Each wave is separable in x and y (cos(a + b) = cos a cos b − sin a sin b), which keeps a 224-pixel
 * texture of 60 waves at a few million multiply-adds.
 */
import type { Random } from '../random.js';
import { BACKGROUND, type Picture } from './picture.js';

/** Directions in RGB with zero Rec. 601 luma (red–green, blue–yellow). */
const RED_GREEN = [1, -0.509, 0] as const;
const BLUE_YELLOW = [-0.1287, -0.1287, 1] as const;
/**
 * Cycles per image, whatever its size: a texture is the same picture at 64, 112 or 224 pixels, and
 * nothing finer than the smallest receptive fields can resolve is spent on it.
 */
const TOP_FREQUENCY = 16;

interface Wave {
  readonly fx: number;
  readonly fy: number;
  readonly phase: number;
  readonly amplitude: number;
  /** Gaussian window (centre and width in pixels), or none. */
  readonly window?: { readonly x: number; readonly y: number; readonly sigma: number };
}

function addWave(field: Float64Array, size: number, w: Wave): void {
  const cx = new Float64Array(size), sx = new Float64Array(size), cy = new Float64Array(size), sy = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    const a = (2 * Math.PI * w.fx * i) / size + w.phase;
    const b = (2 * Math.PI * w.fy * i) / size;
    const ex = w.window ? Math.exp(-((i - w.window.x) ** 2) / (2 * w.window.sigma ** 2)) : 1;
    const ey = w.window ? Math.exp(-((i - w.window.y) ** 2) / (2 * w.window.sigma ** 2)) : 1;
    cx[i] = Math.cos(a) * ex;
    sx[i] = Math.sin(a) * ex;
    cy[i] = Math.cos(b) * ey;
    sy[i] = Math.sin(b) * ey;
  }
  for (let y = 0; y < size; y++) {
    const c = w.amplitude * cy[y]!, s = w.amplitude * sy[y]!;
    for (let x = 0; x < size; x++) field[y * size + x]! += cx[x]! * c - sx[x]! * s;
  }
}

/** 1/f-like noise with unit standard deviation; `orientation` concentrates the waves around one angle. */
function pinkNoise(size: number, random: Random, waves: number, orientation: { angle: number; spread: number } | null): Float64Array {
  const field = new Float64Array(size * size);
  const slope = random.uniform(-0.2, 0.4);
  for (let n = 0; n < waves; n++) {
    const f = Math.exp(random.uniform(0, Math.log(TOP_FREQUENCY)));
    const angle = orientation ? orientation.angle + orientation.spread * random.gaussian() : random.uniform(0, Math.PI);
    addWave(field, size, { fx: f * Math.cos(angle), fy: f * Math.sin(angle), phase: random.uniform(0, 2 * Math.PI), amplitude: f ** -slope });
  }
  return standardised(field);
}

function standardised(field: Float64Array): Float64Array {
  let mean = 0;
  for (const v of field) mean += v / field.length;
  let ss = 0;
  for (const v of field) ss += (v - mean) ** 2;
  const sd = Math.sqrt(ss / field.length) || 1;
  return field.map((v) => (v - mean) / sd);
}

export function drawTexture(size: number, random: Random): Picture {
  const oriented = random.next() < 0.5 ? { angle: random.uniform(0, Math.PI), spread: random.uniform(0.15, 0.5) } : null;
  const lum = pinkNoise(size, random, 64, oriented);
  if (random.next() < 0.5) {
    const gratings = 1 + Math.floor(random.next() * 2);
    for (let g = 0; g < gratings; g++) {
      const f = random.uniform(2, 8);
      const angle = random.uniform(0, Math.PI);
      const window = { x: random.uniform(0.2, 0.8) * size, y: random.uniform(0.2, 0.8) * size, sigma: random.uniform(0.15, 0.35) * size };
      addWave(lum, size, { fx: f * Math.cos(angle), fy: f * Math.sin(angle), phase: random.uniform(0, 2 * Math.PI), amplitude: random.uniform(1.5, 3), window });
    }
  }
  const light = standardised(lum);
  const contrast = random.uniform(0.12, 0.25);
  const mean = BACKGROUND + random.uniform(-0.1, 0.1);
  const rg = pinkNoise(size, random, 24, null);
  const by = pinkNoise(size, random, 24, null);
  const chroma = random.uniform(0, 0.12);
  const data = new Float32Array(size * size * 3);
  for (let p = 0; p < size * size; p++) {
    const l = mean + contrast * light[p]!;
    for (let c = 0; c < 3; c++) data[3 * p + c] = l + chroma * (RED_GREEN[c]! * rg[p]! + BLUE_YELLOW[c]! * by[p]!);
  }
  return { size, data };
}
