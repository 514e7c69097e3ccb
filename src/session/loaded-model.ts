/**
 * A model bundle made ready for a session: the decoder, and the voxels it reads as a sorted-index
 * view the pipeline can merge with the ROI masks.
 */
import type { Mat4 } from '../geometry/mat4.js';
import { type ModelBundle, readBundle } from '../decode/bundle.js';
import { LinearDecoder } from '../decode/decoder.js';
import path from 'node:path';

export interface LoadedModel {
  readonly name: string;
  readonly bundle: ModelBundle;
  readonly decoder: LinearDecoder;
  readonly grid: { readonly dims: readonly [number, number, number]; readonly affine: Mat4 };
  /** The model's feature voxels, in the model's feature order. */
  readonly voxelIndices: Uint32Array;
}

export function loadedModel(name: string, bundle: ModelBundle): LoadedModel {
  return { name, bundle, decoder: new LinearDecoder(bundle), grid: bundle.grid, voxelIndices: Uint32Array.from(bundle.voxelIndices) };
}

export async function loadModelDir(dir: string): Promise<LoadedModel> {
  return loadedModel(path.basename(path.resolve(dir)), await readBundle(dir));
}
