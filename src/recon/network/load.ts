/**
 * Any tfjs model on disk as a feature space: `model.json` plus its weight shards, a layers model
 * (Keras) or a graph model (TensorFlow), read by model-files.ts without network access.
 * docs/feature-networks.md shows how to convert a network (e.g. VGG19) and which layers to name.
 */
import path from 'node:path';
import type * as TF from '@tensorflow/tfjs';
import { BoldstreamError } from '../../errors.js';
import { createGraphSpace, graphNodeNames } from './graph-space.js';
import { createLayersSpace } from './layers-space.js';
import { fileModelHandler, readModelJson } from './model-files.js';
import type { Preprocessing } from './preprocess.js';
import type { FeatureSpace } from './types.js';

export interface LoadFeatureSpaceOptions {
  /** Path of model.json; the weight shards are found beside it. */
  readonly modelJson: string;
  /** Layer names (layers model) or node names (graph model) to offer, early to late. */
  readonly layers: readonly string[];
  /** Side of the square input, px; default: the model's own. */
  readonly inputSize?: number;
  /** The input scaling the network was trained with (preprocess.ts). */
  readonly preprocessing: Preprocessing;
  /** Name for records and bundles; default: the model folder's name. */
  readonly name?: string;
}

/** A graph model says so in model.json (`format`), or has a GraphDef (`node`) for topology. */
export function isGraphModel(json: TF.io.ModelJSON): boolean {
  return json.format === 'graph-model' || Array.isArray((json.modelTopology as { node?: unknown }).node);
}

export async function loadFeatureSpace(tf: typeof TF, options: LoadFeatureSpaceOptions): Promise<FeatureSpace> {
  const json = await readModelJson(options.modelJson);
  const name = options.name ?? path.basename(path.dirname(path.resolve(options.modelJson)));
  const spaceOptions = { ...options, name };
  const handler = fileModelHandler(tf, options.modelJson);
  if (isGraphModel(json)) {
    const model = await loadOrThrow(() => tf.loadGraphModel(handler), options.modelJson);
    return disposeOnError(model, () => createGraphSpace(tf, model, graphNodeNames(json.modelTopology), spaceOptions));
  }
  const model = await loadOrThrow(() => tf.loadLayersModel(handler), options.modelJson);
  return disposeOnError(model, () => createLayersSpace(tf, model, spaceOptions));
}

async function loadOrThrow<T>(load: () => Promise<T>, file: string): Promise<T> {
  try {
    return await load();
  } catch (thrown) {
    // Our own errors (a missing shard) already name the file; tfjs's (an unknown layer class) do not.
    if (thrown instanceof BoldstreamError) throw thrown;
    throw new BoldstreamError('FEATURE_NETWORK_INVALID', `${file}: ${thrown instanceof Error ? thrown.message : String(thrown)}`, { cause: thrown });
  }
}

function disposeOnError<T extends { dispose(): void }>(model: T, create: () => FeatureSpace): FeatureSpace {
  try {
    return create();
  } catch (thrown) {
    model.dispose();
    throw thrown;
  }
}
