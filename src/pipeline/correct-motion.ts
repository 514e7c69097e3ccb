/**
 * Motion correction: rigid 6-DOF registration of each volume to the reference, warm-started from the
 * previous TR's estimate (heads move smoothly; no look-ahead), and framewise displacement
 * (Power et al. 2012) from the previous TR that had an estimate.
 */
import type { OperatorFunction } from 'rxjs';
import { framewiseDisplacement, type MotionEstimate } from '../preprocess/motion/index.js';
import type { PipelineItem } from './context.js';
import type { ReferenceHolder } from './set-reference.js';
import { stage } from './stage.js';

export function correctMotion(holder: ReferenceHolder, headRadiusMm: number): OperatorFunction<PipelineItem, PipelineItem> {
  let previous: MotionEstimate | undefined;
  return stage('motion', (ctx) => {
    const reference = holder.current!;
    const estimate = reference.corrector.estimate(ctx.volume.data, previous);
    ctx.motion = estimate;
    ctx.framewiseDisplacement = framewiseDisplacement(previous?.params ?? null, estimate.params, headRadiusMm);
    ctx.warnings.push(...estimate.warnings);
    previous = estimate;
  });
}
