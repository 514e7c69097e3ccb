/**
 * Solves the small symmetric positive-definite systems of Gauss-Newton (6x6, or 3x3 in-plane) by
 * Cholesky. Returns null when the matrix is not positive definite: a reference without contrast in
 * some direction (a blank volume, a single line of voxels) cannot pin that motion down, and the
 * caller must say so rather than divide by almost zero.
 */
export function solveSpd(a: Float64Array, b: Float64Array, n: number): Float64Array | null {
  const l = new Float64Array(n * n);
  let maxDiag = 0;
  for (let i = 0; i < n; i++) maxDiag = Math.max(maxDiag, a[i * n + i]!);
  if (!(maxDiag > 0)) return null;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j]!;
      for (let k = 0; k < j; k++) s -= l[i * n + k]! * l[j * n + k]!;
      if (i === j) {
        // Relative to the largest diagonal: rotations (rad) and translations (mm) differ by ~r² ≈ 10⁴,
        // far inside double precision, so 1e-12 only trips on a truly flat direction.
        if (!(s > 1e-12 * maxDiag)) return null;
        l[i * n + i] = Math.sqrt(s);
      } else {
        l[i * n + j] = s / l[j * n + j]!;
      }
    }
  }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= l[i * n + k]! * y[k]!;
    y[i] = s / l[i * n + i]!;
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let k = i + 1; k < n; k++) s -= l[k * n + i]! * x[k]!;
    x[i] = s / l[i * n + i]!;
  }
  return x;
}
