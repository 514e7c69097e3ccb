/**
 * The shipped pretrained CNN: MobileNetV2 (Sandler et al. 2018) as bundled in nsfwjs 4.3 — Keras
 * MobileNetV2 with ImageNet weights, its blocks 11–16 fine-tuned with a 5-class head
 * (GantMan/nsfw_model). Its intermediate layers serve as generic image features: the frozen early
 * blocks are ImageNet features outright, the late ones still mostly are.
 *
 * Preprocessing is what nsfwjs applies and what the classifier was fine-tuned with: RGB / 255,
 * i.e. the [0, 1] image unchanged, at 224 × 224 (not Keras's usual [-1, 1]; the training code
 * rescaled by 1/255). The weights are 8-bit quantised in the bundle (2.6 MB).
 *
 * Layers offered, early to late, one per resolution of the network (stride 2, 4, 8, 16, 32): the
 * ReLU6 output of the expansion that opens a block, where channels are widest (the taps that
 * segmentation models take from MobileNetV2), and `out_relu`, the last convolution before the head.
 */
import type * as TF from '@tensorflow/tfjs';
import { BoldstreamError } from '../../errors.js';
import { createLayersSpace } from './layers-space.js';
import { nsfwjsArtifacts, type NsfwjsModelName } from './nsfwjs-bundle.js';
import type { Preprocessing } from './preprocess.js';
import type { FeatureSpace } from './types.js';

export type BundledNetworkName = 'mobilenet_v2' | 'inception_v3';

interface Preset {
  readonly bundle: NsfwjsModelName;
  readonly inputSize: number;
  readonly preprocessing: Preprocessing;
  readonly layers: readonly string[];
}

export const BUNDLED_NETWORKS: Readonly<Record<BundledNetworkName, Preset>> = {
  mobilenet_v2: {
    bundle: 'mobilenet_v2',
    inputSize: 224,
    preprocessing: 'unit',
    // Shapes at 224 px: 112²×96, 56²×144, 28²×192, 14²×576, 7²×1280.
    layers: ['block_1_expand_relu', 'block_3_expand_relu', 'block_6_expand_relu', 'block_13_expand_relu', 'out_relu'],
  },
  inception_v3: {
    bundle: 'inception_v3',
    inputSize: 299,
    preprocessing: 'unit',
    // Shapes at 299 px: 35²×256, 35²×288, 17²×768, 17²×768, 8²×2048.
    layers: ['mixed0', 'mixed2', 'mixed4', 'mixed7', 'mixed10'],
  },
};

export interface BundledNetworkOptions {
  /** Layers to offer instead of the preset's (any layer name of the Keras model, e.g. 'dense_3' for the class probabilities). */
  readonly layers?: readonly string[];
  /** Run at another square size; the convolutional layers accept any size, the classifier head only the preset's. */
  readonly inputSize?: number;
}

/** Loads a network bundled in nsfwjs, offline; MobileNetV2 is the default feature network. */
export async function loadBundledNetwork(tf: typeof TF, name: BundledNetworkName = 'mobilenet_v2', options: BundledNetworkOptions = {}): Promise<FeatureSpace> {
  const preset = BUNDLED_NETWORKS[name];
  let model: TF.LayersModel;
  try {
    model = await tf.loadLayersModel(tf.io.fromMemory(nsfwjsArtifacts(preset.bundle)));
  } catch (thrown) {
    if (thrown instanceof BoldstreamError) throw thrown;
    throw new BoldstreamError('FEATURE_NETWORK_INVALID', `nsfwjs ${preset.bundle}: ${thrown instanceof Error ? thrown.message : String(thrown)}`, { cause: thrown });
  }
  try {
    return createLayersSpace(tf, model, {
      name,
      layers: options.layers ?? preset.layers,
      inputSize: options.inputSize ?? preset.inputSize,
      preprocessing: preset.preprocessing,
    });
  } catch (thrown) {
    model.dispose();
    throw thrown;
  }
}
