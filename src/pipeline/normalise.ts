/**
 * Incremental detrend and z-score of the realigned voxels (preprocess/temporal.ts). Time is the TR
 * index, so a missing volume leaves a hole in the trend instead of squeezing it.
 */
import type { OperatorFunction } from 'rxjs';
import { warning } from '../errors.js';
import type { PipelineItem } from './context.js';
import type { ReferenceHolder } from './set-reference.js';
import { stage } from './stage.js';

export function normalise(holder: ReferenceHolder): OperatorFunction<PipelineItem, PipelineItem> {
  let fed: Float32Array | null = null;
  return stage('zscore', (ctx) => {
    const reference = holder.current!;
    const step = reference.normaliser.push(ctx.voxels!, ctx.tr);
    // Feature decoders whose psc lag differs from the classifier's keep their own sums (run-state.ts).
    const own = reference.features?.feed;
    if (own) {
      const values = ctx.voxels!;
      fed ??= new Float32Array(own.length);
      for (let i = 0; i < own.length; i++) fed[i] = values[own[i]!]!;
      reference.features!.normaliser.push(fed, ctx.tr);
    }
    ctx.z = step.z;
    ctx.warmingUp = step.warmingUp;
    if (step.warmingUp) ctx.warnings.push(warning('STATS_WARMING_UP', `${reference.normaliser.count} of ${reference.normaliser.options.warmupVolumes} volumes seen`));
  });
}
