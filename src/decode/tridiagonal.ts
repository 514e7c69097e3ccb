/**
 * Householder reduction of a symmetric matrix to tridiagonal form, A = Q T Qᵀ (EISPACK tred2, in the
 * form JAMA published), and solves with T + λI.
 *
 * This is what makes ridge cross-validation cheap: (A + λI)⁻¹ = Q (T + λI)⁻¹ Qᵀ, so one O(n³)
 * reduction per fold serves every regularisation strength, each then costing an O(n) tridiagonal
 * solve per class plus a matrix product. A full eigen-decomposition would do the same, but the QL
 * sweeps that accumulate its eigenvectors cost more than the reduction itself, and we never need them.
 */

export interface Tridiagonal {
  readonly n: number;
  /** T's diagonal. */
  readonly diag: Float64Array;
  /** T's off-diagonal: off[i] couples rows i-1 and i (off[0] is 0). */
  readonly off: Float64Array;
  /** Row m (length n) is column m of the orthogonal Q; row-major n x n. */
  readonly q: Float64Array;
}

/** `a` is n x n row-major and symmetric (only read, never modified). */
export function tridiagonalize(a: Float64Array, n: number): Tridiagonal {
  if (a.length !== n * n) throw new RangeError(`tridiagonalize: ${a.length} values are not ${n} x ${n}`);
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i]!)) throw new RangeError('tridiagonalize: non-finite entry');
  const q = Float64Array.from(a);
  const diag = new Float64Array(n);
  const off = new Float64Array(n);
  if (n > 0) tred2(q, diag, off, n);
  return { n, diag, off, q };
}

/**
 * Solves (T + λI) X = B in place for the k columns of B (n x k row-major). For a Gram matrix T is
 * positive semi-definite, so T + λI with λ > 0 is positive definite and LDLᵀ without pivoting is stable.
 */
export function solveShifted(t: Tridiagonal, lambda: number, b: Float64Array, k: number): void {
  const n = t.n;
  const { diag, off } = t;
  const dd = new Float64Array(n);
  const l = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    l[i] = i === 0 ? 0 : off[i]! / dd[i - 1]!;
    dd[i] = diag[i]! + lambda - l[i]! * off[i]!;
    if (!(dd[i]! > 0)) throw new RangeError(`solveShifted: T + ${lambda}I is not positive definite`);
  }
  for (let c = 0; c < k; c++) {
    for (let i = 1; i < n; i++) b[i * k + c]! -= l[i]! * b[(i - 1) * k + c]!;
    b[(n - 1) * k + c]! /= dd[n - 1]!;
    for (let i = n - 2; i >= 0; i--) b[i * k + c] = b[i * k + c]! / dd[i]! - l[i + 1]! * b[(i + 1) * k + c]!;
  }
}

/**
 * tred2. JAMA indexes V[row][col]; here w holds Vᵀ (w[c*n + r] is V[r][c]) so that every inner loop
 * walks memory contiguously, several times faster for 500-voxel masks. The input is symmetric, so
 * it is its own transpose. On return w holds Q by rows, d T's diagonal and e its off-diagonal.
 */
function tred2(w: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
  for (let j = 0; j < n; j++) d[j] = w[j * n + n - 1]!;
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]!);
    if (scale === 0) {
      e[i] = d[i - 1]!;
      for (let j = 0; j < i; j++) {
        d[j] = w[j * n + i - 1]!;
        w[j * n + i] = 0;
        w[i * n + j] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k]! /= scale;
        h += d[k]! * d[k]!;
      }
      let f = d[i - 1]!;
      let g = f > 0 ? -Math.sqrt(h) : Math.sqrt(h);
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        w[i * n + j] = f;
        const col = j * n;
        g = e[j]! + w[col + j]! * f;
        for (let k = j + 1; k <= i - 1; k++) {
          g += w[col + k]! * d[k]!;
          e[k]! += w[col + k]! * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j]! /= h;
        f += e[j]! * d[j]!;
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j]! -= hh * d[j]!;
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        g = e[j]!;
        const col = j * n;
        for (let k = j; k <= i - 1; k++) w[col + k]! -= f * e[k]! + g * d[k]!;
        d[j] = w[col + i - 1]!;
        w[col + i] = 0;
      }
    }
    d[i] = h;
  }
  accumulate(w, d, n);
  for (let j = 0; j < n; j++) {
    d[j] = w[j * n + n - 1]!;
    w[j * n + n - 1] = 0;
  }
  w[n * n - 1] = 1;
  e[0] = 0;
}

/** Second half of tred2: turn the stored Householder vectors into the orthogonal matrix (w = Qᵀ). */
function accumulate(w: Float64Array, d: Float64Array, n: number): void {
  for (let i = 0; i < n - 1; i++) {
    w[i * n + n - 1] = w[i * n + i]!;
    w[i * n + i] = 1;
    const h = d[i + 1]!;
    const next = (i + 1) * n;
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = w[next + k]! / h;
      for (let j = 0; j <= i; j++) {
        const col = j * n;
        let g = 0;
        for (let k = 0; k <= i; k++) g += w[next + k]! * w[col + k]!;
        for (let k = 0; k <= i; k++) w[col + k]! -= g * d[k]!;
      }
    }
    for (let k = 0; k <= i; k++) w[next + k] = 0;
  }
}
