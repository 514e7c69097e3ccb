import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { RunningNormaliser } from '../../src/preprocess/temporal.js';
import { referencePython } from '../helpers/paths.js';

/** numpy reference: at each step, fit a line to everything seen so far and z-score the newest residual. */
function numpyRunningZ(series: number[][], times: number[], detrend: boolean, warmup: number): number[][] {
  const script = `
import json, sys, numpy as np
d = json.load(sys.stdin)
Y = np.array(d['series'], dtype=np.float64); T = np.array(d['times'], dtype=np.float64)
out = []
for k in range(Y.shape[0]):
    row = []
    for v in range(Y.shape[1]):
        y = Y[:k+1, v]; t = T[:k+1]
        if k + 1 < d['warmup']: row.append(0.0); continue
        if d['detrend'] and len(y) >= 3:
            b, a = np.polyfit(t, y, 1); r = y - (a + b * t); dof = len(y) - 2
        else:
            r = y - y.mean(); dof = len(y) - 1
        s = np.sqrt((r ** 2).sum() / dof) if dof > 0 else 0.0
        row.append(float(r[-1] / s) if s > 1e-9 * (abs(y[-1]) + 1) else 0.0)
    out.append(row)
print(json.dumps(out))
`;
  const input = JSON.stringify({ series, times, detrend, warmup });
  return JSON.parse(execFileSync(referencePython, ['-c', script], { input }).toString()) as number[][];
}

describe('running detrend and z-score', () => {
  // A drifting voxel at fMRI intensities, a noisy one, a constant one, and an oscillating one.
  const steps = 40;
  const times = Array.from({ length: steps }, (_, k) => k + (k > 20 ? 2 : 0)); // a two-TR gap after TR 20
  const series = times.map((t, k) => [1000 + 0.8 * t + 5 * Math.sin(k * 1.7), 800 + 20 * Math.cos(k * 2.3) * Math.sin(k), 512, 1200 + (k % 2 ? 3 : -3)]);

  for (const detrend of [true, false]) {
    it(`matches numpy's refit-everything answer (detrend=${detrend})`, () => {
      const normaliser = new RunningNormaliser(4, { detrend, warmupVolumes: 3 });
      const expected = numpyRunningZ(series, times, detrend, 3);
      series.forEach((values, k) => {
        const { z, warmingUp } = normaliser.push(Float32Array.from(values), times[k]!);
        expect(warmingUp).toBe(k + 1 < 3);
        for (let v = 0; v < 4; v++) expect(z[v]).toBeCloseTo(expected[k]![v]!, 3);
      });
    });
  }

  it('K23 a constant voxel gives 0, never NaN, and so does a voxel seen fewer than three times', () => {
    const normaliser = new RunningNormaliser(1, { detrend: true, warmupVolumes: 2 });
    for (let k = 0; k < 10; k++) {
      const { z } = normaliser.push(Float32Array.of(4095), k);
      expect(z[0]).toBe(0);
    }
  });

  it('K22 a non-finite sample is skipped for its voxel and counted', () => {
    const normaliser = new RunningNormaliser(2, { detrend: false, warmupVolumes: 2 });
    normaliser.push(Float32Array.of(1, 10), 0);
    normaliser.push(Float32Array.of(2, 11), 1);
    const step = normaliser.push(Float32Array.of(Number.NaN, 12), 2);
    expect(step.nonfinite).toBe(1);
    expect(step.z[0]).toBe(0);
    expect(Number.isFinite(step.z[1])).toBe(true);
    // the NaN did not enter the sums: the next z of voxel 0 is that of the series 1, 2, 3
    const next = normaliser.push(Float32Array.of(3, 13), 3);
    const r = 3 - 2;
    const sd = Math.sqrt(((1 - 2) ** 2 + 0 + 1) / 2);
    expect(next.z[0]).toBeCloseTo(r / sd, 5);
  });
});
