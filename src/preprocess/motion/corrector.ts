/**
 * Per-volume rigid-body motion correction against a fixed reference volume, with no look-ahead.
 *
 *   reference ─► pyramid ─► registration voxels, steepest-descent images, Hessians   (once, here)
 *   volume    ─► pyramid ─► Gauss-Newton, coarse → fine, warm-started ─► H ─► params, matrix, warnings
 *
 * Conventions of `params` and `matrix` are in rigid.ts. The volume must be on the reference's grid
 * (the pipeline checks that, K28); only its voxel values are passed in.
 */
import { BoldstreamError, warning, type Warning } from '../../errors.js';
import { invert, type Mat4 } from '../../geometry/mat4.js';
import type { VoxelGrid } from '../../volume.js';
import { fullBasis, inPlaneBasis, type MotionBasis } from './basis.js';
import { registerLevel, type LevelResult } from './gauss-newton.js';
import { resolveMotionOptions, type MotionOptions } from './options.js';
import { addCoarseLevels, buildPyramid, planLevels, smoothForRegistration, type LevelGrid, type PyramidScratch } from './pyramid.js';
import { maskAtLevel, registrationMask } from './registration-mask.js';
import { fovCentre, headMotionToParams, invertRigid, isZeroParams, paramsToMatrix, type RigidParams, type Vec3 } from './rigid.js';
import { buildTemplate, type Template } from './template.js';
import { realignVoxels } from './realign.js';

export interface MotionEstimate {
  params: RigidParams;
  /** This volume → reference, world mm, row-major (rigid.ts). */
  matrix: Mat4;
  /** Gauss-Newton iterations at full resolution. */
  iterations: number;
  converged: boolean;
  /** Pearson correlation of the aligned volume with the reference over the registration voxels. */
  similarity: number;
  warnings: Warning[];
}

/** A coarse level with fewer voxels than this per degree of freedom is too thin to steer the finer ones. */
const MIN_VOXELS_PER_DOF = 20;
/**
 * Voxels this close to a face of the field of view are left out at full resolution (one at coarser
 * levels): motion carries tissue the reference never saw into them, and the smoothing and the
 * interpolation each reach one voxel further. With one layer left out the slice-direction estimate on
 * the synthetic fixture came out 4 % too large, with two 2.6 %.
 */
const FINE_BORDER = 2;
/**
 * Share of full-resolution voxels kept on a full-size grid, those with the steepest reference gradient:
 * flat voxels add almost nothing to Σ sdᵀe but cost as much to sample. Halving changed no synthetic
 * error by more than 0.01 mm and halves the time per iteration. Small grids (a thin slab) keep all.
 */
const FINE_SHARE = 0.5;
const FINE_SHARE_FROM_VOXELS = 20_000;
/** Full-resolution steps the warm-started fast path may take before the pyramid is built after all. */
const FAST_PATH_ITERATIONS = 6;
/** How much worse than the last volume the fast path's fit may be (correlation) and still be kept. */
const FAST_PATH_SIMILARITY_SLACK = 0.002;

export class MotionCorrector {
  readonly grid: VoxelGrid;
  /** World mm centre of the rotations (rigid.ts). */
  readonly centre: Vec3;
  readonly options: Readonly<MotionOptions>;
  /** True when the volume is too thin for 6 DOF and only in-plane motion is estimated. */
  readonly limitedDof: boolean;
  private readonly plan: LevelGrid[];
  private readonly templates: Template[];
  private readonly basis: MotionBasis;
  private readonly inverseAffine: Mat4;
  private readonly scratch: PyramidScratch;

  constructor(reference: { grid: VoxelGrid; data: Float32Array }, options?: Partial<MotionOptions>, brainMask?: Uint8Array) {
    const { grid, data } = reference;
    const [n0, n1, n2] = grid.dims;
    if (data.length !== n0 * n1 * n2) throw new BoldstreamError('VOLUME_GRID_MISMATCH', `reference has ${data.length} voxels, its grid ${n0 * n1 * n2}`);
    this.grid = grid;
    this.options = Object.freeze(resolveMotionOptions(options));
    this.centre = fovCentre(grid);
    this.inverseAffine = invert(grid.affine);
    this.limitedDof = n2 < this.options.minSlicesFor6Dof;
    this.basis = this.limitedDof ? inPlaneBasis(grid.affine) : fullBasis();
    const plan = planLevels(grid.dims, grid.voxelSize, grid.affine, this.options.levels);
    const images = buildPyramid(data, plan, countNonFinite(data) === 0);
    const mask = registrationMask(data, grid.dims, this.options.maskFraction, brainMask);
    const masks = buildPyramid(Float32Array.from(mask), plan, true, true).map((m, l) => (l === 0 ? mask : maskAtLevel(m)));
    const share = data.length >= FINE_SHARE_FROM_VOXELS ? FINE_SHARE : 1;
    const templates = plan.map((level, l) =>
      buildTemplate(images[l]!, masks[l]!, level, this.basis, this.centre, l === 0 ? FINE_BORDER : 1, l === 0 ? share : 1),
    );
    // Keep full resolution always; drop coarse levels too small to be trusted (thin or tiny volumes).
    const keep = templates.map((t, l) => l === 0 || t.count >= MIN_VOXELS_PER_DOF * this.basis.dof);
    this.plan = plan.filter((_, l) => keep[l]);
    this.scratch = { a: new Float32Array(data.length), b: new Float32Array(data.length) };
    this.templates = templates.filter((_, l) => keep[l]);
  }

  /** Head motion of `data` relative to the reference; `previous` (the last volume's estimate) warm-starts it. */
  estimate(data: Float32Array, previous?: MotionEstimate): MotionEstimate {
    const expected = this.grid.dims[0] * this.grid.dims[1] * this.grid.dims[2];
    if (data.length !== expected) throw new BoldstreamError('VOLUME_GRID_MISMATCH', `volume has ${data.length} voxels, the reference ${expected}`);
    const warnings: Warning[] = [];
    const nonFinite = countNonFinite(data);
    if (nonFinite > 0) warnings.push(warning('VOLUME_NONFINITE', `${nonFinite} voxels left out of motion estimation`));
    const finite = nonFinite === 0;
    const images = [smoothForRegistration(data, this.plan[0]!.dims, finite, this.scratch)];
    const { maxIterations, toleranceMm } = this.options;
    const warm = previous !== undefined && !isZeroParams(previous.params) ? invertRigid(previous.matrix) : null;
    let h: Mat4 = warm ?? identity();
    let fine: LevelResult | null = null;
    // Heads move little between TRs: from the last volume's pose, full resolution alone usually lands in
    // a few steps. Accepted only if it converges as well as the last volume fitted; a jerk, a corrupted
    // volume or a slow start takes the coarse-to-fine path below (which also tries a cold start).
    if (warm !== null && this.templates.length > 1) {
      const quick = registerLevel(this.templates[0]!, images[0]!, warm, this.basis, this.centre, FAST_PATH_ITERATIONS, toleranceMm);
      if (quick.converged && quick.failure === undefined && quick.similarity >= previous!.similarity - FAST_PATH_SIMILARITY_SLACK) {
        const estimate = this.finish(quick.h, quick, warnings);
        return estimate;
      }
    }
    addCoarseLevels(images, this.plan, finite);
    for (let l = this.templates.length - 1; l >= 0; l--) {
      const t = this.templates[l]!;
      // Coarse levels only need to land within the fine level's reach (a fraction of their voxel).
      const tol = l === 0 ? toleranceMm : Math.max(toleranceMm, 0.02 * Math.min(...t.level.voxelSize));
      let result = registerLevel(t, images[l]!, h, this.basis, this.centre, maxIterations, tol);
      if (l === this.templates.length - 1 && warm !== null) {
        // The last volume's motion is usually the best start, but after a corrupted volume it can be far off.
        const cold = registerLevel(t, images[l]!, identity(), this.basis, this.centre, maxIterations, tol);
        if (cold.failure === undefined && (result.failure !== undefined || cold.similarity > result.similarity)) result = cold;
      }
      if (result.failure === undefined || l === 0) h = result.h;
      if (l === 0) fine = result;
    }
    return this.finish(h, fine, warnings);
  }

  private finish(h: Mat4, fine: LevelResult | null, warnings: Warning[]): MotionEstimate {
    const params = headMotionToParams(h, this.centre);
    const estimate: MotionEstimate = {
      params,
      matrix: paramsToMatrix(params, this.centre),
      iterations: fine?.iterations ?? 0,
      converged: fine !== null && fine.converged,
      similarity: fine?.similarity ?? 0,
      warnings,
    };
    this.addWarnings(estimate, fine);
    return estimate;
  }

  /** Samples `data` (this volume) at reference-grid voxels `voxelIndices` after undoing motion (trilinear), into out. */
  realign(data: Float32Array, estimate: MotionEstimate, voxelIndices: Uint32Array, out?: Float32Array): Float32Array {
    return realignVoxels(data, this.grid, this.inverseAffine, estimate.matrix, voxelIndices, out);
  }

  private addWarnings(estimate: MotionEstimate, fine: LevelResult | null): void {
    const w = estimate.warnings;
    if (!estimate.converged) {
      const why = fine?.failure ?? `no convergence to ${this.options.toleranceMm} mm in ${this.options.maxIterations} iterations`;
      w.push(warning('MOTION_NOT_CONVERGED', why));
    }
    if (this.limitedDof) w.push(warning('MOTION_LIMITED_DOF', `${this.grid.dims[2]} slice(s); trans along the slab and rotation about its normal only`));
    if (!(estimate.similarity >= this.options.minSimilarity)) {
      w.push(warning('REFERENCE_POOR_FIT', `correlation with the reference ${estimate.similarity.toFixed(3)} < ${this.options.minSimilarity}`));
    }
    if (isZeroParams(estimate.params)) w.push(warning('MOTION_SUSPICIOUS_ZERO', 'all six parameters are exactly 0'));
  }
}

function identity(): Mat4 {
  return Float64Array.of(1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1);
}

function countNonFinite(data: Float32Array): number {
  let n = 0;
  for (let i = 0; i < data.length; i++) if (data[i]! - data[i]! !== 0) n++;
  return n;
}
