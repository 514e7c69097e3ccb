/**
 * Nuisance signals of a simulated run, at the levels of the real one.
 *
 * Noise, per voxel v and volume t, scaled to the real run's detrended standard deviation s_v:
 *   n_v(t) = k s_v ( √0.8 a_v(t) + √0.2 Σ_c p_cv g_c(t) )
 *   a_v: AR(1), φ = 0.3, unit variance, independent per voxel (thermal noise plus the short temporal
 *        correlation of fMRI noise at TRs of 1–2 s);
 *   g_c: three AR(1) series, φ = 0.6, unit variance, shared through smooth spatial maps p_cv with
 *        Σ_c p_cv² = 1 (slow physiological fluctuations that are correlated across neighbouring voxels);
 *   k:   the --noise-scale option.
 * Both parts have unit variance, so the sum has variance (k s_v)² and the run has the real tSNR. The
 * shared series are kept only moderately slow (φ = 0.6): slower ones would put much of their variance
 * where detrending removes it, and the detrended run would then be quieter than the real one.
 *
 * Drift, multiplicative: d(t) = lin·(2t/(T−1) − 1) + Σ_{q=1..3} b_q cos(π q (t + ½)/T), with lin up to
 * ±1 % and b_q ~ N(0, (0.4/q) %), its amplitude varying by ±50 % from the bottom slice to the top (a
 * receive-coil gain that drifts unevenly). Detrending with a line and three cosines removes it exactly.
 */
import type { VoxelGrid } from '../../volume.js';
import type { Random } from '../random.js';
import { fillNormals } from './normals.js';

const VOXEL_AR = 0.3;
const SHARED_AR = 0.6;
const SHARED_SHARE = 0.2;
const COMPONENTS = 3;

/** Smooth random maps, normalised so that each voxel's weights have unit sum of squares. */
export function sharedMaps(grid: VoxelGrid, random: Random): Float32Array[] {
  const [nx, ny, nz] = grid.dims;
  const maps = Array.from({ length: COMPONENTS }, () => new Float32Array(nx * ny * nz));
  // Each map is a sum of four long-wavelength 3D waves (half to two cycles across the field of view),
  // each a product of one cosine per axis, tabulated per axis.
  const axis = (n: number): Float64Array => {
    const f = random.uniform(0.5, 2), phase = random.uniform(0, 2 * Math.PI);
    return Float64Array.from({ length: n }, (_, i) => Math.cos((2 * Math.PI * f * i) / n + phase));
  };
  for (const map of maps) {
    for (let w = 0; w < 4; w++) {
      const [cx, cy, cz] = [axis(nx), axis(ny), axis(nz)];
      for (let k = 0, v = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++, v++) map[v]! += cx[i]! * cy[j]! * cz[k]!;
    }
  }
  const [m0, m1, m2] = maps as [Float32Array, Float32Array, Float32Array];
  for (let v = 0; v < m0.length; v++) {
    const norm = Math.sqrt(m0[v]! ** 2 + m1[v]! ** 2 + m2[v]! ** 2) || 1;
    m0[v]! /= norm;
    m1[v]! /= norm;
    m2[v]! /= norm;
  }
  return maps;
}

/** The noise of one run, volume by volume; the state is the AR memory of every voxel. */
export class RunNoise {
  private readonly voxelState: Float32Array;
  private readonly draws: Float32Array;
  private readonly sharedState = new Float64Array(COMPONENTS);
  private started = false;

  constructor(
    private readonly sd: Float32Array,
    private readonly maps: readonly Float32Array[],
    private readonly scale: number,
    private readonly random: Random,
  ) {
    this.voxelState = new Float32Array(sd.length);
    this.draws = new Float32Array(sd.length);
  }

  /** Adds the next volume's noise to `volume` in place. */
  addTo(volume: Float32Array): void {
    const r = this.random;
    // A stationary start: the first draw has the process's full variance, not the innovations'.
    const a = this.started ? VOXEL_AR : 0, innovation = this.started ? Math.sqrt(1 - VOXEL_AR ** 2) : 1;
    const b = this.started ? SHARED_AR : 0, sharedInnovation = this.started ? Math.sqrt(1 - SHARED_AR ** 2) : 1;
    this.started = true;
    for (let c = 0; c < COMPONENTS; c++) this.sharedState[c] = b * this.sharedState[c]! + sharedInnovation * r.gaussian();
    const g0 = this.sharedState[0]!, g1 = this.sharedState[1]!, g2 = this.sharedState[2]!;
    const [m0, m1, m2] = this.maps as [Float32Array, Float32Array, Float32Array];
    const own = Math.sqrt(1 - SHARED_SHARE), shared = Math.sqrt(SHARED_SHARE);
    const draws = fillNormals(r, this.draws);
    for (let v = 0; v < volume.length; v++) {
      const state = a * this.voxelState[v]! + innovation * draws[v]!;
      this.voxelState[v] = state;
      volume[v]! += this.scale * this.sd[v]! * (own * state + shared * (m0[v]! * g0 + m1[v]! * g1 + m2[v]! * g2));
    }
  }
}

/** Drift of every volume (fraction of the signal), before its per-slice gain. */
export function driftCurve(random: Random, volumes: number): Float64Array {
  const slope = random.uniform(-0.01, 0.01);
  const cosines = [1, 2, 3].map((q) => (0.004 / q) * random.gaussian());
  return Float64Array.from({ length: volumes }, (_, t) => {
    let d = volumes > 1 ? slope * ((2 * t) / (volumes - 1) - 1) : 0;
    cosines.forEach((b, q) => (d += b * Math.cos((Math.PI * (q + 1) * (t + 0.5)) / volumes)));
    return d;
  });
}

/** Per-slice gain of the drift: 0.5 at the bottom slice to 1.5 at the top. */
export function driftGain(nz: number): Float64Array {
  return Float64Array.from({ length: nz }, (_, k) => (nz > 1 ? 0.5 + k / (nz - 1) : 1));
}
