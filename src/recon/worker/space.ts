/** The feature space a worker inverts, built from its spec inside the worker (where tfjs lives). */
import type * as TF from '@tensorflow/tfjs';
import { loadBundledNetwork } from '../network/bundled.js';
import { loadFeatureSpace } from '../network/load.js';
import { createPixelsSpace } from '../network/pixels.js';
import type { FeatureSpace } from '../network/types.js';
import type { SpaceSpec, SpaceSummary } from './protocol.js';

export async function loadSpace(tf: typeof TF, spec: SpaceSpec): Promise<FeatureSpace> {
  switch (spec.kind) {
    case 'pixels':
      return createPixelsSpace(tf, { size: spec.size, color: spec.color });
    case 'bundled':
      return loadBundledNetwork(tf, spec.name, { ...(spec.layers ? { layers: spec.layers } : {}), ...(spec.inputSize ? { inputSize: spec.inputSize } : {}) });
    case 'model':
      return loadFeatureSpace(tf, {
        modelJson: spec.modelJson,
        layers: spec.layers,
        preprocessing: spec.preprocessing,
        ...(spec.inputSize ? { inputSize: spec.inputSize } : {}),
        ...(spec.name ? { name: spec.name } : {}),
      });
  }
}

export function summarise(space: FeatureSpace): SpaceSummary {
  return { name: space.name, inputSize: space.inputSize, layers: space.layers.map((l) => ({ name: l.name, units: l.units })) };
}
