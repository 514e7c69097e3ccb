/**
 * ROI signal: the mean z-score inside each mask, the neurofeedback value of the TR. Voxels without
 * data this TR (NaN in the volume, or moved out of the field of view) are left out of the mean rather
 * than counted as 0; an ROI with no voxel left has no value this TR, and the record says so.
 */
import type { OperatorFunction } from 'rxjs';
import { warning } from '../errors.js';
import type { PipelineItem } from './context.js';
import type { ReferenceHolder } from './set-reference.js';
import { stage } from './stage.js';

export function roiSignal(holder: ReferenceHolder): OperatorFunction<PipelineItem, PipelineItem> {
  return stage('roi', (ctx) => {
    const reference = holder.current!;
    const z = ctx.z!;
    const samples = ctx.voxels!;
    const roi: Record<string, number> = {};
    for (const { name, positions } of reference.rois) {
      let sum = 0;
      let n = 0;
      for (const p of positions) {
        if (!Number.isFinite(samples[p]!)) continue;
        sum += z[p]!;
        n++;
      }
      if (n > 0) roi[name] = sum / n;
      else ctx.warnings.push(warning('ROI_NO_DATA', name));
    }
    ctx.roi = roi;
  });
}
