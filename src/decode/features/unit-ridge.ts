/**
 * Ridge regression of one feature unit on its own selection of voxels (Horikawa & Kamitani 2017):
 * minimises ‖yc − Zs w‖² + λ‖w‖², where Zs holds the unit's K selected voxels of the standardised
 * training samples (columns of mean 0 over the training rows) and yc the unit's centred features.
 * The intercept, unpenalised, is then the training mean of the unit.
 *
 * The Gram matrix that is solved is the smaller of the two:
 *   dual   (K > n):  α = (Zs Zsᵀ + λI)⁻¹ yc,  w = Zsᵀ α      n × n: a few hundred trials
 *   primal (K ≤ n):  w = (Zsᵀ Zs + λI)⁻¹ Zsᵀ yc               K × K: long experiments
 * With the default 500 voxels and a few hundred training trials the dual one is 2–10× smaller.
 * When more than half the voxels are selected, the dual Gram is the Gram of all voxels (computed
 * once) minus that of the unselected ones, which is cheaper than summing over the selected.
 */
import { type Tridiagonal, solveShifted, tridiagonalize } from '../tridiagonal.js';

/** Standardised training samples: n rows × v voxels, row-major. */
export interface Design {
  readonly z: Float64Array;
  readonly n: number;
  readonly v: number;
}

/** The columns `sel` of the design, n × sel.length row-major (contiguous rows for the dot products). */
export function gatherColumns(d: Design, sel: ArrayLike<number>): Float64Array {
  const k = sel.length;
  const out = new Float64Array(d.n * k);
  for (let i = 0; i < d.n; i++) {
    const src = i * d.v;
    const dst = i * k;
    for (let j = 0; j < k; j++) out[dst + j] = d.z[src + sel[j]!]!;
  }
  return out;
}

/** Rows × rows of an n × k matrix: the n × n kernel, both triangles filled. */
export function rowGram(m: Float64Array, n: number, k: number): Float64Array {
  const g = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const a = i * k;
    for (let j = i; j < n; j++) {
      const b = j * k;
      let s0 = 0;
      let s1 = 0;
      let t = 0;
      // Two accumulators: the adds no longer wait on each other, which is most of a dot product's time.
      for (; t + 1 < k; t += 2) {
        s0 += m[a + t]! * m[b + t]!;
        s1 += m[a + t + 1]! * m[b + t + 1]!;
      }
      if (t < k) s0 += m[a + t]! * m[b + t]!;
      g[i * n + j] = s0 + s1;
      g[j * n + i] = s0 + s1;
    }
  }
  return g;
}

/** Columns × columns of an n × k matrix: the k × k Gram, both triangles filled. */
function columnGram(m: Float64Array, n: number, k: number): Float64Array {
  const g = new Float64Array(k * k);
  for (let i = 0; i < n; i++) {
    const row = i * k;
    for (let a = 0; a < k; a++) {
      const x = m[row + a]!;
      if (x === 0) continue;
      const at = a * k;
      for (let b = a; b < k; b++) g[at + b]! += x * m[row + b]!;
    }
  }
  for (let a = 0; a < k; a++) for (let b = 0; b < a; b++) g[a * k + b] = g[b * k + a]!;
  return g;
}

/** Everything about one unit's regression that does not depend on λ. */
export interface UnitSystem {
  readonly dual: boolean;
  /** Size of the Gram matrix (n when dual, K when primal). */
  readonly m: number;
  readonly gram: Float64Array;
  /** Right-hand side: yc (dual) or Zsᵀ yc (primal). */
  readonly rhs: Float64Array;
  /** The selected columns, n × K. */
  readonly zs: Float64Array;
  readonly n: number;
  readonly k: number;
}

/**
 * Builds the system for the voxels `sel` and centred targets `yc`. `fullKernel` (Z Zᵀ over every
 * voxel) lets the dual Gram be formed from the unselected voxels when they are fewer.
 */
export function unitSystem(d: Design, sel: ArrayLike<number>, yc: Float64Array, fullKernel?: Float64Array): UnitSystem {
  const { n } = d;
  const k = sel.length;
  const zs = gatherColumns(d, sel);
  if (k > n) {
    let gram: Float64Array;
    if (fullKernel && d.v - k < k) {
      const chosen = new Uint8Array(d.v);
      for (let j = 0; j < k; j++) chosen[sel[j]!] = 1;
      const rest: number[] = [];
      for (let c = 0; c < d.v; c++) if (!chosen[c]) rest.push(c);
      const without = rowGram(gatherColumns(d, rest), n, rest.length);
      gram = Float64Array.from(fullKernel, (g, i) => g - without[i]!);
    } else gram = rowGram(zs, n, k);
    return { dual: true, m: n, gram, rhs: Float64Array.from(yc), zs, n, k };
  }
  const rhs = new Float64Array(k);
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) rhs[j]! += zs[i * k + j]! * yc[i]!;
  return { dual: false, m: k, gram: columnGram(zs, n, k), rhs, zs, n, k };
}

/** Primal weights (K) from the Gram-space solution: itself when primal, Zsᵀ α when dual. */
function weightsOf(s: UnitSystem, solution: Float64Array): Float64Array {
  if (!s.dual) return solution;
  const w = new Float64Array(s.k);
  for (let i = 0; i < s.n; i++) {
    const a = solution[i]!;
    const row = i * s.k;
    for (let j = 0; j < s.k; j++) w[j]! += a * s.zs[row + j]!;
  }
  return w;
}

/** Weights (K) at one strength, by Cholesky: the final fit, one λ per unit. */
export function solveUnit(s: UnitSystem, lambda: number): Float64Array {
  if (!(lambda > 0)) throw new RangeError(`ridge strength must be positive, got ${lambda}`);
  const m = s.m;
  const l = Float64Array.from(s.gram);
  for (let i = 0; i < m; i++) l[i * m + i]! += lambda;
  choleskyInPlace(l, m);
  const x = Float64Array.from(s.rhs);
  for (let i = 0; i < m; i++) {
    let v = x[i]!;
    for (let j = 0; j < i; j++) v -= l[i * m + j]! * x[j]!;
    x[i] = v / l[i * m + i]!;
  }
  for (let i = m - 1; i >= 0; i--) {
    let v = x[i]!;
    for (let j = i + 1; j < m; j++) v -= l[j * m + i]! * x[j]!;
    x[i] = v / l[i * m + i]!;
  }
  return weightsOf(s, x);
}

/** Lower Cholesky factor of a positive definite matrix, in its lower triangle (upper left as is). */
function choleskyInPlace(a: Float64Array, m: number): void {
  for (let j = 0; j < m; j++) {
    const rj = j * m;
    let d = a[rj + j]!;
    for (let t = 0; t < j; t++) d -= a[rj + t]! * a[rj + t]!;
    if (!(d > 0)) throw new RangeError('ridge system is not positive definite');
    const root = Math.sqrt(d);
    a[rj + j] = root;
    for (let i = j + 1; i < m; i++) {
      const ri = i * m;
      let v = a[ri + j]!;
      for (let t = 0; t < j; t++) v -= a[ri + t]! * a[rj + t]!;
      a[ri + j] = v / root;
    }
  }
}

/** A unit's regression for every strength at once: one O(m³) reduction, then O(m²) per λ. */
export interface UnitPath {
  readonly system: UnitSystem;
  readonly tri: Tridiagonal;
  /** Qᵀ rhs. */
  readonly projected: Float64Array;
}

export function unitPath(s: UnitSystem): UnitPath {
  const tri = tridiagonalize(s.gram, s.m);
  const projected = new Float64Array(s.m);
  for (let r = 0; r < s.m; r++) {
    let v = 0;
    for (let i = 0; i < s.m; i++) v += tri.q[r * s.m + i]! * s.rhs[i]!;
    projected[r] = v;
  }
  return { system: s, tri, projected };
}

/** Weights (K) at strength λ from a path: Q (T + λI)⁻¹ Qᵀ rhs, then back to voxel space. */
export function pathWeights(path: UnitPath, lambda: number): Float64Array {
  const m = path.system.m;
  const t = Float64Array.from(path.projected);
  solveShifted(path.tri, lambda, t, 1);
  const solution = new Float64Array(m);
  for (let r = 0; r < m; r++) {
    const c = t[r]!;
    const row = r * m;
    for (let i = 0; i < m; i++) solution[i]! += c * path.tri.q[row + i]!;
  }
  return weightsOf(path.system, solution);
}
