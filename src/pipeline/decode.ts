/**
 * Decoding: the model's features (its voxels, transformed as in training, in its order) → class
 * scores per TR. Scores are computed from the first TR; while the normaliser warms up they rest on
 * few samples, which the record says (quality.warmingUp).
 */
import type { OperatorFunction } from 'rxjs';
import type { LoadedModel } from '../session/loaded-model.js';
import type { PipelineItem } from './context.js';
import type { ReferenceHolder } from './set-reference.js';
import { stage } from './stage.js';

const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;

export function decode(holder: ReferenceHolder, model: LoadedModel | null): OperatorFunction<PipelineItem, PipelineItem> {
  let features: Float32Array | null = null;
  return stage('decode', (ctx) => {
    const reference = holder.current;
    const positions = reference?.modelPositions;
    if (!model || !reference || !positions) return;
    // The bundle says how its training features were made; the same transform of the same sums here.
    features = reference.normaliser.transform(model.bundle.features, positions, features ?? undefined);
    const result = model.decoder.scores(features);
    const scores: Record<string, number> = {};
    for (const [label, value] of Object.entries(result.scores)) scores[label] = round6(value);
    ctx.decoded = { label: result.label, scores };
  });
}
