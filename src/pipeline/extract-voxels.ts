/**
 * Realignment and masking in one step: only the voxels some consumer needs (ROIs, decoder, brain
 * mask) are sampled from the moving volume at their reference positions, so a 64x64x27 volume costs
 * tens of thousands of interpolations instead of a full reslice.
 */
import type { OperatorFunction } from 'rxjs';
import type { PipelineItem } from './context.js';
import type { ReferenceHolder } from './set-reference.js';
import { stage } from './stage.js';

export function extractVoxels(holder: ReferenceHolder): OperatorFunction<PipelineItem, PipelineItem> {
  return stage('realign', (ctx) => {
    const reference = holder.current!;
    ctx.voxels = reference.corrector.realign(ctx.volume.data, ctx.motion!, reference.voxels);
  });
}
