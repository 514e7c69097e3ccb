/**
 * CNN features of images for evaluation: one layer of a bundled network (docs/feature-networks.md).
 *
 * Identification in a CNN's feature space asks whether a reconstruction has the stimulus's
 * structure as a visual network sees it, not its exact pixels: a reconstruction shifted by a few
 * pixels or drawn with the wrong contrast loses pixel correlation but keeps most of its mid-level
 * features (Shen et al. 2019 identify by pixel correlation and by human judgement; a feature space
 * stands in for the judge here). The default is a mid layer of MobileNetV2
 * (`block_6_expand_relu`, stride 8, still ImageNet weights): early enough to keep position and
 * shape, late enough to forgive small shifts and blur.
 */
import type * as TF from '@tensorflow/tfjs';
import { BoldstreamError } from '../errors.js';
import { BUNDLED_NETWORKS, featuresOfImages, loadBundledNetwork, type BundledNetworkName, type FeatureSpace } from '../recon/network/index.js';

export interface SpaceSpec {
  readonly network: BundledNetworkName;
  readonly layer: string;
  /** Side the network runs at; default the network's own (224 for MobileNetV2). */
  readonly inputSize?: number;
}

/** A mid layer of each bundled network: stride 8 for MobileNetV2, 17 × 17 for InceptionV3. */
export const DEFAULT_LAYERS: Readonly<Record<BundledNetworkName, string>> = { mobilenet_v2: 'block_6_expand_relu', inception_v3: 'mixed4' };

/** `mobilenet_v2`, `mobilenet_v2:LAYER`, `inception_v3[:LAYER]`, or `none` (null). */
export function parseSpace(text: string): SpaceSpec | null {
  if (text === 'none') return null;
  const [network, layer] = text.split(':', 2) as [string, string | undefined];
  if (!(network in BUNDLED_NETWORKS)) throw new BoldstreamError('CLI_USAGE', `--space is ${Object.keys(BUNDLED_NETWORKS).join(', ')} or none, with an optional :LAYER, not "${text}"`);
  const name = network as BundledNetworkName;
  return { network: name, layer: layer || DEFAULT_LAYERS[name] };
}

export interface FeatureExtractor {
  /** e.g. "mobilenet_v2 block_6_expand_relu at 224 px". */
  readonly label: string;
  readonly units: number;
  /** One row of the layer's units per image (RGB [side, side, 3] in [0, 1], any side). */
  features(images: readonly Float32Array[]): Promise<Float32Array[]>;
  dispose(): void;
}

export async function createFeatureExtractor(tf: typeof TF, spec: SpaceSpec): Promise<FeatureExtractor> {
  const space: FeatureSpace = await loadBundledNetwork(tf, spec.network, { layers: [spec.layer], ...(spec.inputSize ? { inputSize: spec.inputSize } : {}) });
  const layer = space.layers[0]!;
  return {
    label: `${spec.network} ${layer.name} at ${space.inputSize} px`,
    units: layer.units,
    async features(images) {
      if (images.length === 0) return [];
      const all = (await featuresOfImages(tf, space, images, { layers: [layer.name] }))[layer.name]!;
      return images.map((_, i) => all.subarray(i * layer.units, (i + 1) * layer.units));
    },
    dispose: () => space.dispose(),
  };
}
