/** Layer-name checks and layer shapes shared by the network-backed feature spaces. */
import type * as TF from '@tensorflow/tfjs';
import { BoldstreamError } from '../../errors.js';
import { featureLayer, type FeatureLayer } from './types.js';

/** The names, each checked against `known`; an unknown one is FEATURE_LAYER_UNKNOWN with a hint. */
export function checkedLayerNames(space: string, names: readonly string[], known: ReadonlySet<string>): readonly string[] {
  if (names.length === 0) throw new BoldstreamError('FEATURE_LAYER_UNKNOWN', `${space}: no layer requested`);
  for (const name of names) {
    if (!known.has(name)) {
      const some = [...known].slice(-8).join(', ');
      throw new BoldstreamError('FEATURE_LAYER_UNKNOWN', `${space} has no layer "${name}" (its layers include ${some})`);
    }
  }
  return names;
}

/**
 * Layer shapes at `inputSize`. `declared` gives them without running anything when the model file
 * states them for this very size; otherwise (another size, or a graph model, which declares none)
 * one blank image goes through the network, which also fails early, at load, on a network that
 * cannot run at this size.
 */
export function layersAt(
  tf: typeof TF,
  space: string,
  names: readonly string[],
  inputSize: number,
  forward: (image: TF.Tensor4D) => Record<string, TF.Tensor>,
  declared: (name: string) => readonly number[] | null = () => null,
): FeatureLayer[] {
  const known = names.map(declared);
  if (known.every((shape) => shape !== null)) return names.map((n, i) => featureLayer(n, known[i]!));
  const shapes = tf.tidy(() => {
    let out: Record<string, TF.Tensor>;
    try {
      out = forward(tf.zeros([1, inputSize, inputSize, 3]));
    } catch (thrown) {
      const detail = thrown instanceof Error ? thrown.message : String(thrown);
      throw new BoldstreamError('FEATURE_NETWORK_INVALID', `${space} does not run on a ${inputSize} px image: ${detail}`, { cause: thrown });
    }
    return names.map((n) => out[n]!.shape.slice(1));
  });
  return names.map((n, i) => featureLayer(n, shapes[i]!));
}
