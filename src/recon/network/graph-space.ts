/**
 * A feature space over a tfjs graph model (a TensorFlow SavedModel or frozen graph converted with
 * tensorflowjs_converter): its layers are graph node names, read with `execute(inputs, names)`.
 *
 * The converter fuses Conv2D + BatchNorm + activation into one `_FusedConv2D` node, so node names
 * are those of the last fused op (e.g. `.../expand/Relu6`, `.../project/BatchNorm/FusedBatchNormV3`).
 * Gradients flow through `execute` as through any tf op; fused nodes with a linear activation
 * compute the filter gradient as well (tfjs's fused-op gradient), so a graph model's pixel gradient
 * costs more than a layers model's run by layers-graph.ts.
 */
import type * as TF from '@tensorflow/tfjs';
import { BoldstreamError } from '../../errors.js';
import { preprocessor } from './preprocess.js';
import type { NetworkSpaceOptions } from './layers-space.js';
import { checkedLayerNames, layersAt } from './space-shapes.js';
import type { FeatureSpace } from './types.js';

/** Node names the graph holds, from its topology (GraphDef JSON). */
export function graphNodeNames(topology: unknown): Set<string> {
  const nodes = (topology as { node?: unknown } | null)?.node;
  return new Set(Array.isArray(nodes) ? nodes.map((n: { name?: unknown }) => String(n.name)) : []);
}

/** `name` or `name:k` (output k of a multi-output node) → the node name. */
const nodeOf = (name: string): string => name.replace(/:\d+$/, '');

export function createGraphSpace(tf: typeof TF, model: TF.GraphModel, nodeNames: ReadonlySet<string>, options: NetworkSpaceOptions): FeatureSpace {
  const input = model.inputs[0];
  if (model.inputs.length !== 1 || !input) throw new BoldstreamError('FEATURE_NETWORK_INVALID', `${options.name} takes ${model.inputs.length} inputs, not one image`);
  const known = new Set(options.layers.filter((n) => nodeNames.has(nodeOf(n))));
  const names = checkedLayerNames(options.name, options.layers, known);
  const [, h, w] = input.shape ?? [];
  const declared = typeof h === 'number' && h > 0 && h === w ? h : null;
  const inputSize = options.inputSize ?? declared;
  if (inputSize === null) throw new BoldstreamError('FEATURE_NETWORK_INVALID', `${options.name} accepts any input size; give inputSize`);
  const pre = preprocessor(tf, options.preprocessing);

  const run = (image: TF.Tensor4D, wanted: readonly string[]): Record<string, TF.Tensor> =>
    tf.tidy(() => {
      const out = model.execute({ [input.name]: pre(image) }, [...wanted]);
      const list = Array.isArray(out) ? out : [out];
      return Object.fromEntries(wanted.map((n, i) => [n, list[i]!]));
    });

  const layers = layersAt(tf, options.name, names, inputSize, (image) => run(image, names));
  const offered = new Set(names);
  return {
    name: options.name,
    inputSize,
    layers,
    forward: (image, wanted) => run(image, checkedLayerNames(options.name, wanted ?? names, offered)),
    dispose: () => model.dispose(),
  };
}
