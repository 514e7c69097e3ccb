/**
 * The two stimulus sets of a simulated subject, as in Shen et al. (2019): decoders are trained on one
 * kind of image and tested on another, so a reconstruction that works has learned the mapping from
 * brain to image, not a catalogue of the training pictures.
 *
 *   train: random patch patterns and natural-like textures, alternating (patch, texture, patch, ...),
 *          each image drawn from its own seeded stream: image i is the same whatever the count.
 *   test:  five shapes in two placements and colours, and ten letters: twenty images.
 *
 * Every picture is quantised to the 8-bit levels of its PNG (and turned grey in grey mode) here, once.
 */
import { drawPatches } from './patches.js';
import { quantised, toGrey, type ColourMode, type Picture, type Rgb } from './picture.js';
import { drawLetter, drawShape, SHAPE_KINDS } from './shapes.js';
import { stream } from './streams.js';
import { drawTexture } from './textures.js';

export type StimulusKind = 'patch' | 'texture' | 'shape' | 'letter';

export interface Stimulus {
  /** Path under the dataset's `stimuli/` folder, as events.tsv `stim_file` names it. */
  readonly file: string;
  readonly set: 'train' | 'test';
  readonly kind: StimulusKind;
  readonly picture: Picture;
}

export interface StimulusOptions {
  readonly seed: number;
  /** Width and height in pixels. */
  readonly size: number;
  readonly colour: ColourMode;
}

export const TEST_LETTERS = ['A', 'C', 'E', 'H', 'L', 'N', 'O', 'T', 'U', 'X'] as const;

/** Inks far from the grey screen in luminance too, so that grey mode keeps every shape visible. */
const PALETTE: readonly Rgb[] = [
  [1, 1, 1],
  [0, 0, 0],
  [0.9, 0.1, 0.1],
  [0.15, 0.3, 0.95],
  [0.95, 0.85, 0.1],
  [0.05, 0.45, 0.15],
];

const OFFSETS = [[-0.4, -0.4], [0.4, -0.4], [-0.4, 0.4], [0.4, 0.4], [0, -0.45], [0, 0.45], [-0.45, 0], [0.45, 0]] as const;

function finish(picture: Picture, options: StimulusOptions): Picture {
  return quantised(options.colour === 'grey' ? toGrey(picture) : picture);
}

export function trainingStimuli(options: StimulusOptions, count: number): Stimulus[] {
  return Array.from({ length: count }, (_, i) => {
    const kind: StimulusKind = i % 2 === 0 ? 'patch' : 'texture';
    const random = stream(options.seed, 'stimulus', kind, i);
    const picture = kind === 'patch' ? drawPatches(options.size, random) : drawTexture(options.size, random);
    return { file: `train/${kind}-${String(i + 1).padStart(4, '0')}.png`, set: 'train', kind, picture: finish(picture, options) };
  });
}

export function testStimuli(options: StimulusOptions): Stimulus[] {
  const random = stream(options.seed, 'stimulus', 'test');
  const out: Stimulus[] = [];
  const offsets = random.shuffle([...OFFSETS]);
  SHAPE_KINDS.forEach((kind, s) => {
    const colours = random.shuffle([...PALETTE]);
    const placements = [
      { cx: 0, cy: 0, radius: 0.55 },
      { cx: offsets[s % offsets.length]![0], cy: offsets[s % offsets.length]![1], radius: 0.38 },
    ];
    placements.forEach((place, variant) => {
      const picture = drawShape(options.size, { kind, ...place, colour: colours[variant]! });
      out.push({ file: `test/shape-${kind}-${variant + 1}.png`, set: 'test', kind: 'shape', picture: finish(picture, options) });
    });
  });
  TEST_LETTERS.forEach((letter, i) => {
    // Light and dark letters alternate, so both signs of contrast are tested.
    const picture = drawLetter(options.size, { letter, cx: 0, cy: 0, height: 1.4, colour: PALETTE[i % 2 === 0 ? 0 : 1]! });
    out.push({ file: `test/letter-${letter}.png`, set: 'test', kind: 'letter', picture: finish(picture, options) });
  });
  return out;
}
