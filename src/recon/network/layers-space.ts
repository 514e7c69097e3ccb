/**
 * A feature space over a tfjs layers model (Keras-converted): named layers, the network's own
 * preprocessing inside `forward`, shapes at `inputSize`.
 */
import type * as TF from '@tensorflow/tfjs';
import { BoldstreamError } from '../../errors.js';
import { planLayersGraph, UnplannableModel, type LayersGraph } from './layers-graph.js';
import { preprocessor, type Preprocessing } from './preprocess.js';
import { checkedLayerNames, layersAt } from './space-shapes.js';
import type { FeatureSpace } from './types.js';

export interface NetworkSpaceOptions {
  readonly name: string;
  /** Layer names to offer, early to late. */
  readonly layers: readonly string[];
  /** Side of the square input, px; default: the model's own input size. */
  readonly inputSize?: number;
  /** What the network was trained on (preprocess.ts); there is no safe default. */
  readonly preprocessing: Preprocessing;
}

/** The fixed square input side a model declares, or null when it takes any size. */
function declaredSize(model: TF.LayersModel): number | null {
  const shape = model.inputs[0]?.shape;
  const [, h, w] = shape ?? [];
  return typeof h === 'number' && h === w ? h : null;
}

export function createLayersSpace(tf: typeof TF, model: TF.LayersModel, options: NetworkSpaceOptions): FeatureSpace {
  if (model.inputs.length !== 1) throw new BoldstreamError('FEATURE_NETWORK_INVALID', `${options.name} takes ${model.inputs.length} inputs, not one image`);
  const known = new Set(model.layers.map((l) => l.name));
  const names = checkedLayerNames(options.name, options.layers, known);
  const inputSize = options.inputSize ?? declaredSize(model);
  if (inputSize === null) throw new BoldstreamError('FEATURE_NETWORK_INVALID', `${options.name} accepts any input size; give inputSize`);
  const pre = preprocessor(tf, options.preprocessing);

  let graph: LayersGraph | null = null;
  try {
    graph = planLayersGraph(tf, model);
  } catch (thrown) {
    if (!(thrown instanceof UnplannableModel)) throw thrown;
  }
  // Fallback for what the plan cannot run (shared layers, nested models): tfjs's own apply, whose
  // gradient is correct but computes the convolution filters' gradients too.
  const subModels = new Map<string, TF.LayersModel>();
  const viaApply = (x: TF.Tensor4D, wanted: readonly string[]): Record<string, TF.Tensor> => {
    const key = wanted.join('\n');
    let sub = subModels.get(key);
    if (!sub) {
      sub = tf.model({ inputs: model.inputs, outputs: wanted.map((n) => model.getLayer(n).output as TF.SymbolicTensor) });
      subModels.set(key, sub);
    }
    const out = sub.apply(x) as TF.Tensor | TF.Tensor[];
    const list = Array.isArray(out) ? out : [out];
    return Object.fromEntries(wanted.map((n, i) => [n, list[i]!]));
  };

  const run = (image: TF.Tensor4D, wanted: readonly string[]): Record<string, TF.Tensor> =>
    tf.tidy(() => {
      const x = pre(image);
      return graph ? graph.run(x, wanted) : viaApply(x, wanted);
    });

  const declared = (name: string): readonly number[] | null => {
    if (inputSize !== declaredSize(model)) return null;
    let shape: TF.Shape | TF.Shape[];
    try {
      shape = model.getLayer(name).outputShape;
    } catch {
      return null; // a shared layer has one shape per use
    }
    const [, ...rest] = (Array.isArray(shape[0]) ? shape[0] : shape) as (number | null)[];
    return rest.every((d): d is number => typeof d === 'number') ? rest : null;
  };
  const layers = layersAt(tf, options.name, names, inputSize, (image) => run(image, names), declared);
  const offered = new Set(names);
  return {
    name: options.name,
    inputSize,
    layers,
    forward: (image, wanted) => run(image, checkedLayerNames(options.name, wanted ?? names, offered)),
    dispose: () => {
      graph?.dispose();
      model.dispose();
    },
  };
}
