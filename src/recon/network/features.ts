/**
 * Features of many stimulus images, for training decoders (issue 3, part 3): one Float32Array per
 * layer, row-major [images, units], optionally only some units of each layer (Kamitani-lab decoders
 * use a random subset of a layer's units).
 *
 * Images go through the network in batches, each inside tf.tidy; only the selected units leave
 * the backend, so memory stays at one batch of activations whatever the number of images.
 */
import type * as TF from '@tensorflow/tfjs';
import { BoldstreamError } from '../../errors.js';
import { resizeArea } from './area.js';
import { loadImage, squareSide } from './image.js';
import type { FeatureSpace } from './types.js';

/** An image: RGB interleaved [side, side, 3] in [0, 1] (any side: resampled to inputSize), or a PNG path. */
export type ImageInput = Float32Array | string;

export interface FeaturesOfImagesOptions {
  /** Layers to compute; default: all the space offers. */
  readonly layers?: readonly string[];
  /** Per layer, the unit indices (into the flattened [H·W·C] activation) to keep; default: all. */
  readonly unitIndices?: Readonly<Record<string, ArrayLike<number>>>;
  /** Images per forward pass; default 8. */
  readonly batchSize?: number;
}

async function pixelsOf(image: ImageInput, size: number): Promise<Float32Array> {
  if (typeof image === 'string') return loadImage(image, size);
  const side = squareSide(image.length);
  if (side === null) throw new RangeError(`an image of ${image.length} values is not square RGB`);
  return side === size ? image : resizeArea(image, side, side, 3, size, size);
}

export async function featuresOfImages(
  tf: typeof TF,
  space: FeatureSpace,
  images: readonly ImageInput[],
  options: FeaturesOfImagesOptions = {},
): Promise<Record<string, Float32Array>> {
  const layers = options.layers ?? space.layers.map((l) => l.name);
  const batchSize = Math.max(1, Math.floor(options.batchSize ?? 8));
  const size = space.inputSize;
  const plan = layers.map((name) => {
    const layer = space.layers.find((l) => l.name === name);
    if (!layer) throw new BoldstreamError('FEATURE_LAYER_UNKNOWN', `${space.name} has no layer "${name}"`);
    const picked = options.unitIndices?.[name];
    if (picked) for (let i = 0; i < picked.length; i++) if (!(picked[i]! >= 0 && picked[i]! < layer.units)) throw new RangeError(`unit ${picked[i]} is outside ${name} (${layer.units} units)`);
    const units = picked ? picked.length : layer.units;
    return { name, total: layer.units, units, picked: picked ? Int32Array.from(Array.from(picked)) : null, out: new Float32Array(images.length * units) };
  });
  // Gather indices live on the backend once, not once per batch.
  const indices = plan.map((p) => (p.picked ? tf.keep(tf.tensor1d(p.picked, 'int32')) : null));
  try {
    for (let start = 0; start < images.length; start += batchSize) {
      const batch = images.slice(start, start + batchSize);
      const pixels = await Promise.all(batch.map((img) => pixelsOf(img, size)));
      const flat = new Float32Array(batch.length * size * size * 3);
      pixels.forEach((p, i) => flat.set(p, i * p.length));
      const selected = tf.tidy(() => {
        const features = space.forward(tf.tensor4d(flat, [batch.length, size, size, 3]), layers);
        return plan.map((p, k) => {
          const rows = tf.reshape(features[p.name]!, [batch.length, p.total]);
          return indices[k] ? tf.gather(rows, indices[k]!, 1) : rows;
        });
      });
      try {
        const values = await Promise.all(selected.map((t) => t.data<'float32'>()));
        plan.forEach((p, k) => p.out.set(values[k]!, start * p.units));
      } finally {
        for (const t of selected) t.dispose();
      }
    }
  } finally {
    for (const t of indices) t?.dispose();
  }
  return Object.fromEntries(plan.map((p) => [p.name, p.out]));
}
