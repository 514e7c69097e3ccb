/**
 * ROI signal: the mean z-score inside each mask, the neurofeedback value of the TR.
 */
import type { OperatorFunction } from 'rxjs';
import type { PipelineItem } from './context.js';
import type { ReferenceHolder } from './set-reference.js';
import { stage } from './stage.js';

export function roiSignal(holder: ReferenceHolder): OperatorFunction<PipelineItem, PipelineItem> {
  return stage('roi', (ctx) => {
    const reference = holder.current!;
    const z = ctx.z!;
    const roi: Record<string, number> = {};
    for (const { name, positions } of reference.rois) {
      let sum = 0;
      for (const p of positions) sum += z[p]!;
      roi[name] = positions.length > 0 ? sum / positions.length : 0;
    }
    ctx.roi = roi;
  });
}
