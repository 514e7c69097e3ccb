/**
 * The `pixels` feature space: the image itself, area-averaged to size × size, grey or RGB.
 *
 * Two uses (issue 3): low-resolution stimuli (patch patterns, letters), where decoding pixels
 * directly works well (Miyawaki et al. 2008), and the instant first frame of a reconstruction,
 * since its inverse needs no optimisation — `pixelsToImage` upsamples decoded features to a picture.
 * Downsampling is two matrix products with area weights (area.ts), so it is exact for any input
 * size, not only multiples of `size`, and differentiable like every other space.
 */
import type * as TF from '@tensorflow/tfjs';
import { BoldstreamError } from '../../errors.js';
import { areaMatrix } from './area.js';
import { featureLayer, type FeatureSpace } from './types.js';

export type PixelColor = 'gray' | 'rgb';

export interface PixelsOptions {
  /** Side of the feature grid; default 32. */
  readonly size?: number;
  /** 'gray' (luma, one channel) or 'rgb'; default 'gray'. */
  readonly color?: PixelColor;
  /** Side at which training images are loaded before averaging; default `size` × 4, so area-averaging sees detail. */
  readonly inputSize?: number;
}

export const PIXELS_LAYER = 'pixels';

// ITU-R BT.601 luma, the grey of PIL's 'L' mode and of most image tools.
const LUMA = [0.299, 0.587, 0.114] as const;

export function createPixelsSpace(tf: typeof TF, options: PixelsOptions = {}): FeatureSpace {
  const size = options.size ?? 32;
  const color = options.color ?? 'gray';
  const inputSize = options.inputSize ?? size * 4;
  if (!(Number.isInteger(size) && size >= 1)) throw new RangeError(`pixels size must be a positive integer, not ${size}`);
  const channels = color === 'gray' ? 1 : 3;
  const layer = featureLayer(PIXELS_LAYER, [size, size, channels]);
  // Area matrices per input side, made once and kept: reconstruction runs forward thousands of times.
  const matrices = new Map<number, TF.Tensor2D>();
  const matrixFor = (side: number): TF.Tensor2D => {
    let m = matrices.get(side);
    if (!m) {
      m = tf.keep(tf.tensor2d(areaMatrix(side, size), [size, side]));
      matrices.set(side, m);
    }
    return m;
  };

  const forward = (image: TF.Tensor4D, layers?: readonly string[]): Record<string, TF.Tensor> => {
    for (const name of layers ?? []) if (name !== PIXELS_LAYER) throw new BoldstreamError('FEATURE_LAYER_UNKNOWN', `the pixels space has one layer, "${PIXELS_LAYER}", not "${name}"`);
    const [n, height, width] = image.shape;
    const rows = matrixFor(height);
    const cols = matrixFor(width);
    const out = tf.tidy(() => {
      const x = color === 'gray' ? tf.sum(tf.mul(image, tf.tensor1d([...LUMA])), -1, true) : image;
      // [n,H,W,C] → [H, n·W·C] → rows averaged → [size, n, W, C] → [W, n·size·C] → columns averaged.
      const byRow = tf.reshape(tf.transpose(x, [1, 0, 2, 3]), [height, n * width * channels]);
      const rowsDone = tf.reshape(tf.matMul(rows, byRow), [size, n, width, channels]);
      const byCol = tf.reshape(tf.transpose(rowsDone, [2, 1, 0, 3]), [width, n * size * channels]);
      const colsDone = tf.reshape(tf.matMul(cols, byCol), [size, n, size, channels]);
      return tf.transpose(colsDone, [1, 2, 0, 3]);
    });
    return { [PIXELS_LAYER]: out };
  };

  return {
    name: `pixels-${size}-${color}`,
    inputSize,
    layers: [layer],
    forward,
    dispose: () => {
      for (const m of matrices.values()) m.dispose();
      matrices.clear();
    },
  };
}

export interface PixelsToImageOptions {
  readonly size: number;
  readonly color: PixelColor;
  /** Side of the picture returned; default `size`. */
  readonly outSize?: number;
  /**
   * 'bilinear' (default) gives a smooth first frame; 'box' repeats each feature over the pixels it
   * came from, so averaging the picture again gives the features back exactly when `outSize` is a
   * multiple of `size`.
   */
  readonly interpolation?: 'bilinear' | 'box';
}

/** Inverts the pixels space: features [size, size, channels] → RGB [outSize, outSize, 3] in [0, 1]. */
export function pixelsToImage(features: Float32Array, options: PixelsToImageOptions): Float32Array {
  const { size, color } = options;
  const channels = color === 'gray' ? 1 : 3;
  const outSize = options.outSize ?? size;
  if (features.length !== size * size * channels) throw new RangeError(`pixels features hold ${features.length} values, not ${size}×${size}×${channels}`);
  const sample = options.interpolation === 'box' ? boxSampler(size, outSize) : bilinearSampler(size, outSize);
  const image = new Float32Array(outSize * outSize * 3);
  for (let y = 0; y < outSize; y++) {
    const ys = sample(y);
    for (let x = 0; x < outSize; x++) {
      const xs = sample(x);
      for (let c = 0; c < 3; c++) {
        const ch = channels === 1 ? 0 : c;
        let v = 0;
        for (const [yi, yw] of ys) for (const [xi, xw] of xs) v += yw * xw * features[(yi * size + xi) * channels + ch]!;
        // Decoded features stray outside the displayable range; a picture cannot.
        image[(y * outSize + x) * 3 + c] = Math.min(1, Math.max(0, v));
      }
    }
  }
  return image;
}

type Sampler = (outIndex: number) => readonly (readonly [number, number])[];

function boxSampler(size: number, outSize: number): Sampler {
  return (o) => [[Math.min(size - 1, Math.floor(((o + 0.5) * size) / outSize)), 1]];
}

/** Pixel-centre aligned (half-pixel) bilinear weights, clamped at the borders. */
function bilinearSampler(size: number, outSize: number): Sampler {
  return (o) => {
    const pos = Math.min(size - 1, Math.max(0, ((o + 0.5) * size) / outSize - 0.5));
    const lo = Math.floor(pos);
    const hi = Math.min(size - 1, lo + 1);
    const t = pos - lo;
    return t === 0 || hi === lo ? [[lo, 1]] : [[lo, 1 - t], [hi, t]];
  };
}
