/**
 * Test stimuli: flat shapes and letters on the blank screen, as in the "artificial shapes" and
 * "alphabetical letters" test sets of Shen, Horikawa, Majima & Kamitani (2019, PLoS Comput Biol 15:
 * e1006633), whose decoders were trained on natural images only. Drawn by supersampling an exact
 * inside-test per pixel, so edges are anti-aliased the same way at every size.
 *
 * Coordinates: u from −1 (left edge) to 1 (right edge), v from −1 (top) to 1 (bottom).
 */
import { glyphInk, GLYPH_COLUMNS, GLYPH_ROWS } from './glyphs.js';
import { BACKGROUND, type Picture, type Rgb } from './picture.js';

export const SHAPE_KINDS = ['circle', 'square', 'triangle', 'cross', 'ring'] as const;
export type ShapeKind = (typeof SHAPE_KINDS)[number];

export interface ShapeSpec {
  readonly kind: ShapeKind;
  readonly cx: number;
  readonly cy: number;
  /** Half the shape's extent (the circumradius for the triangle), in u units. */
  readonly radius: number;
  readonly colour: Rgb;
}

export interface LetterSpec {
  readonly letter: string;
  readonly cx: number;
  readonly cy: number;
  /** Height of the 7-row glyph cell, in v units. */
  readonly height: number;
  readonly colour: Rgb;
}

type Inside = (u: number, v: number) => boolean;

const SQRT3_2 = Math.sqrt(3) / 2;

function shapeInside({ kind, cx, cy, radius: r }: ShapeSpec): Inside {
  switch (kind) {
    case 'circle':
      return (u, v) => (u - cx) ** 2 + (v - cy) ** 2 <= r * r;
    case 'square':
      // 0.85 r: a square of the same area as the circle would look larger than it; this keeps sizes alike.
      return (u, v) => Math.abs(u - cx) <= 0.85 * r && Math.abs(v - cy) <= 0.85 * r;
    case 'triangle':
      // Upright equilateral: apex above the centre, base below; inside all three edges.
      return (u, v) => {
        const x = u - cx, y = v - cy;
        return y <= r / 2 && SQRT3_2 * x - 0.5 * y <= r / 2 && -SQRT3_2 * x - 0.5 * y <= r / 2;
      };
    case 'cross': {
      const arm = 0.3 * r;
      return (u, v) => {
        const x = Math.abs(u - cx), y = Math.abs(v - cy);
        return (x <= r && y <= arm) || (y <= r && x <= arm);
      };
    }
    case 'ring':
      return (u, v) => {
        const d2 = (u - cx) ** 2 + (v - cy) ** 2;
        return d2 <= r * r && d2 >= (0.6 * r) ** 2;
      };
  }
}

function letterInside({ letter, cx, cy, height }: LetterSpec): Inside {
  const cell = height / GLYPH_ROWS;
  const left = cx - (GLYPH_COLUMNS * cell) / 2;
  const top = cy - height / 2;
  return (u, v) => glyphInk(letter, Math.floor((u - left) / cell), Math.floor((v - top) / cell));
}

/** Colour over the grey screen, blended by the share of each pixel's subsamples that fall inside. */
function paint(size: number, inside: Inside, colour: Rgb): Picture {
  const sub = size <= 64 ? 4 : size <= 128 ? 3 : 2;
  const data = new Float32Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let hits = 0;
      for (let sy = 0; sy < sub; sy++) {
        for (let sx = 0; sx < sub; sx++) {
          const u = ((x + (sx + 0.5) / sub) / size) * 2 - 1;
          const v = ((y + (sy + 0.5) / sub) / size) * 2 - 1;
          if (inside(u, v)) hits++;
        }
      }
      const a = hits / (sub * sub);
      const p = 3 * (y * size + x);
      for (let c = 0; c < 3; c++) data[p + c] = BACKGROUND + a * (colour[c]! - BACKGROUND);
    }
  }
  return { size, data };
}

export function drawShape(size: number, spec: ShapeSpec): Picture {
  return paint(size, shapeInside(spec), spec.colour);
}

export function drawLetter(size: number, spec: LetterSpec): Picture {
  return paint(size, letterInside(spec), spec.colour);
}
