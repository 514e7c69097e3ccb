/**
 * Tuning of the motion estimator. The first three mirror `pipeline.motion` in src/config.ts, so the
 * validated config section can be passed straight in; the rest are estimator internals with defaults
 * chosen on the real runs in the shared data (see the tests for the numbers behind them).
 */
import { BoldstreamError } from '../../errors.js';

export interface MotionOptions {
  /** Gauss-Newton iterations per pyramid level; running out at full resolution gives MOTION_NOT_CONVERGED. */
  maxIterations: number;
  /** Converged when an update moves no registration voxel by more than this many mm. */
  toleranceMm: number;
  /** Sphere radius that turns rotations into displacement for FD (Power et al. 2012); kept here for the caller of framewiseDisplacement. */
  headRadiusMm: number;
  /** Pyramid levels including full resolution; each coarser level halves the finest axes (≈ 2x voxel size). */
  levels: number;
  /** A volume with fewer slices than this gets in-plane motion only (MOTION_LIMITED_DOF). */
  minSlicesFor6Dof: number;
  /** Without a brain mask, voxels above this fraction of the reference's 98th percentile drive registration. */
  maskFraction: number;
  /**
   * Correlation with the reference after alignment (over the registration voxels, the steep-gradient
   * half of the brain) below which REFERENCE_POOR_FIT is raised. The still rtcloud run fits at ≥ 0.998,
   * synthetic 10° turns at 0.997, the TrioTim volume with slices torn by a head turn at 0.65.
   */
  minSimilarity: number;
}

export const defaultMotionOptions: Readonly<MotionOptions> = Object.freeze({
  maxIterations: 30,
  toleranceMm: 0.002,
  headRadiusMm: 50,
  levels: 3,
  minSlicesFor6Dof: 4,
  maskFraction: 0.2,
  minSimilarity: 0.7,
});

export function resolveMotionOptions(options: Partial<MotionOptions> = {}): MotionOptions {
  const merged = { ...defaultMotionOptions };
  for (const [key, value] of Object.entries(options) as [keyof MotionOptions, number | undefined][]) {
    if (value !== undefined) merged[key] = value;
  }
  if (!(merged.maxIterations >= 1) || !(merged.toleranceMm > 0) || !(merged.headRadiusMm > 0) || !(merged.levels >= 1)) {
    throw new BoldstreamError('CONFIG_INVALID', `motion options out of range: ${JSON.stringify(merged)}`);
  }
  return merged;
}
