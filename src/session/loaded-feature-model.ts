/**
 * A feature bundle made ready for a session (docs/feature-decoding.md): the decoders, the voxels
 * they read as an index list the pipeline merges with the masks and the classifier's, and the
 * feature space the reconstruction worker must build to invert their estimates.
 */
import path from 'node:path';
import { type FeatureBundle, readFeatureBundle } from '../decode/features/bundle.js';
import { FeatureDecoder } from '../decode/features/decoder.js';
import type { Mat4 } from '../geometry/mat4.js';
import type { SpaceSpec } from '../recon/worker/protocol.js';

export interface LoadedFeatureModel {
  readonly name: string;
  readonly bundle: FeatureBundle;
  readonly decoder: FeatureDecoder;
  readonly grid: { readonly dims: readonly [number, number, number]; readonly affine: Mat4 };
  /** The decoders' voxels, in the order FeatureDecoder.decode reads them. */
  readonly voxelIndices: Uint32Array;
}

export function loadedFeatureModel(name: string, bundle: FeatureBundle): LoadedFeatureModel {
  return { name, bundle, decoder: new FeatureDecoder(bundle), grid: bundle.grid, voxelIndices: Uint32Array.from(bundle.voxelIndices) };
}

export async function loadFeatureModelDir(dir: string, name = path.basename(path.resolve(dir))): Promise<LoadedFeatureModel> {
  return loadedFeatureModel(name, await readFeatureBundle(dir));
}

/**
 * The space the worker inverts: the one the decoders were trained on, at the same input size,
 * because their unit indices point into activations at that size. A bundle without a network is
 * inverted through its pixels space alone; with one, the network's layers are matched and the
 * estimate's pixels layer through a pixels space of its own (recon/invert/targets.ts).
 */
export function spaceSpecOfBundle(bundle: FeatureBundle): SpaceSpec {
  const { network, pixels } = bundle.space;
  const layers = bundle.layers.filter((l) => l.space === 'network').map((l) => l.name);
  if (!network) return { kind: 'pixels', size: pixels.size, color: pixels.color };
  if (network.source === 'bundled') return { kind: 'bundled', name: network.name, layers, inputSize: network.inputSize };
  return { kind: 'model', modelJson: network.modelJson, layers, preprocessing: network.preprocessing, inputSize: network.inputSize, name: bundle.space.name };
}
