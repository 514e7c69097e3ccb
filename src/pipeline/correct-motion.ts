/**
 * Motion correction: rigid 6-DOF registration of each volume to the reference, warm-started from the
 * previous TR's estimate (heads move smoothly; no look-ahead), and framewise displacement
 * (Power et al. 2012) from the previous TR that had an estimate.
 */
import type { OperatorFunction } from 'rxjs';
import { warning } from '../errors.js';
import { identity4 } from '../geometry/mat4.js';
import { framewiseDisplacement, type MotionEstimate, ZERO_PARAMS } from '../preprocess/motion/index.js';
import type { PipelineItem } from './context.js';
import type { ReferenceHolder } from './set-reference.js';
import { stage } from './stage.js';

export function correctMotion(holder: ReferenceHolder, headRadiusMm: number): OperatorFunction<PipelineItem, PipelineItem> {
  let previous: MotionEstimate | undefined;
  return stage('motion', (ctx) => {
    const reference = holder.current!;
    // The reference is at zero by definition; registering it to itself would only earn it the
    // "exactly zero is suspicious" flag that is meant for other volumes (K25).
    const estimate: MotionEstimate =
      ctx.tr === reference.tr
        ? { params: { ...ZERO_PARAMS }, matrix: identity4(), iterations: 0, converged: true, similarity: 1, warnings: [] }
        : reference.corrector.estimate(ctx.volume.data, previous);
    ctx.motion = estimate;
    ctx.framewiseDisplacement = framewiseDisplacement(previous?.params ?? null, estimate.params, headRadiusMm);
    // A thin volume's limited registration is a property of the run: said once, on the reference TR.
    if (ctx.tr === reference.tr && reference.corrector.limitedDof) ctx.warnings.push(warning('MOTION_LIMITED_DOF', `${reference.grid.dims[2]} slices`));
    // Non-finite voxels were already reported by the reference stage.
    ctx.warnings.push(...estimate.warnings.filter((w) => w.code !== 'MOTION_LIMITED_DOF' && w.code !== 'VOLUME_NONFINITE'));
    previous = estimate;
  });
}
