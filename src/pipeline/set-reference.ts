/**
 * Reference and grid check: the first usable TR becomes the reference (docs/architecture.md: the first volume
 * after the dummy scans); every later volume must be on the same grid (K28), or it becomes an error
 * record while the session goes on with the old reference. Non-finite voxels are counted here (K22);
 * motion correction and the normaliser exclude them.
 */
import type { OperatorFunction } from 'rxjs';
import { BoldstreamError, warning } from '../errors.js';
import { sameGrid } from '../geometry/mat4.js';
import type { PipelineItem } from './context.js';
import { buildReference, type Reference, type RunInputs } from './run-state.js';
import { stage } from './stage.js';

export interface ReferenceHolder {
  current: Reference | null;
}

export function setReference(inputs: RunInputs, holder: ReferenceHolder): OperatorFunction<PipelineItem, PipelineItem> {
  return stage('reference', (ctx) => {
    const { volume } = ctx;
    let nonfinite = 0;
    for (let v = 0; v < volume.data.length; v++) if (!Number.isFinite(volume.data[v]!)) nonfinite++;
    ctx.nonfiniteVoxels = nonfinite;
    // A volume that is mostly NaN (a failed reconstruction, a dropped frame filled with NaN) would still
    // give numbers (0 z-scores, a stuck motion estimate) that a feedback display would show as real.
    if (nonfinite > volume.data.length / 2) throw new BoldstreamError('VOLUME_MOSTLY_NONFINITE', `${nonfinite} of ${volume.data.length} voxels`);
    if (nonfinite > 0) ctx.warnings.push(warning('VOLUME_NONFINITE', `${nonfinite} voxels`));
    const reference = holder.current;
    if (reference === null) {
      holder.current = buildReference(volume, ctx.tr, inputs);
      ctx.warnings.push(...holder.current.standingWarnings);
      return;
    }
    if (!sameGrid(volume.grid, reference.grid, 0.01)) {
      throw new BoldstreamError('VOLUME_GRID_MISMATCH', `TR ${ctx.tr} is ${volume.grid.dims.join('x')}, reference TR ${reference.tr} is ${reference.grid.dims.join('x')}`);
    }
    ctx.warnings.push(...reference.standingWarnings);
  });
}
