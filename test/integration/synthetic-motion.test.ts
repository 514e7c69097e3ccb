/**
 * Motion correction against a known truth: a synthetic run (src/synth/session.ts) moves the head by
 * x_scan = R·x_tissue + t, R = Rx·Ry·Rz about the world origin (the grid centre), and writes the
 * parameters it used to `_motion.tsv`. Replayed, each record's `motion.matrix` (a position in this
 * volume → the same tissue's position in the reference volume, TR 0) must agree with the matrix built
 * here from the TSV, independently of src/preprocess/motion: the mean displacement error over brain
 * voxels is a fraction of a millimetre on 4 mm voxels.
 */
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrRecord } from '../../src/generated/boldstream.js';
import { isErrorRecord, type SessionRecord } from '../../src/session/types.js';
import { makeSyntheticSession } from '../../src/synth/session.js';
import { readNifti } from '../helpers/dicom-fixtures.js';
import { checkRecords, readRecords, runCli, tempDir } from '../helpers/live-server.js';

type Vec3 = [number, number, number];
/** A rigid transform p ↦ R·p + t with R row-major 3x3. */
interface Rigid {
  readonly R: number[];
  readonly t: Vec3;
}

function rotationXYZ(a: number, b: number, c: number): number[] {
  const Rx = [1, 0, 0, 0, Math.cos(a), -Math.sin(a), 0, Math.sin(a), Math.cos(a)];
  const Ry = [Math.cos(b), 0, Math.sin(b), 0, 1, 0, -Math.sin(b), 0, Math.cos(b)];
  const Rz = [Math.cos(c), -Math.sin(c), 0, Math.sin(c), Math.cos(c), 0, 0, 0, 1];
  return multiply(multiply(Rx, Ry), Rz);
}

function multiply(A: number[], B: number[]): number[] {
  const out = new Array<number>(9).fill(0);
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) for (let k = 0; k < 3; k++) out[r * 3 + c]! += A[r * 3 + k]! * B[k * 3 + c]!;
  return out;
}

const apply = ({ R, t }: Rigid, p: Vec3): Vec3 => [0, 1, 2].map((r) => R[r * 3]! * p[0] + R[r * 3 + 1]! * p[1] + R[r * 3 + 2]! * p[2] + t[r]!) as Vec3;

/** Inverse of p ↦ R·p + t: q ↦ Rᵀ(q − t). */
function invert({ R, t }: Rigid): Rigid {
  const Rt = [R[0]!, R[3]!, R[6]!, R[1]!, R[4]!, R[7]!, R[2]!, R[5]!, R[8]!];
  const ti = apply({ R: Rt, t: [0, 0, 0] }, t).map((v) => -v) as Vec3;
  return { R: Rt, t: ti };
}

const compose = (A: Rigid, B: Rigid): Rigid => ({ R: multiply(A.R, B.R), t: apply(A, B.t) });

describe('motion estimates on a synthetic run with known head motion', () => {
  let scratch: string;
  let records: SessionRecord[];
  /** Tissue → scanner position of each volume, from _motion.tsv. */
  let poses: Rigid[];
  /** World positions (mm) of brain voxel centres. */
  let brain: Vec3[];

  beforeAll(async () => {
    scratch = await tempDir('synthetic-motion');
    const session = await makeSyntheticSession(scratch, { runs: 1 });
    const bold = session.runs[0]!;
    const tsv = (await readFile(bold.replace('_bold.nii.gz', '_motion.tsv'), 'utf8')).trim().split('\n');
    expect(tsv[0]!.split('\t')).toEqual(['trans_x', 'trans_y', 'trans_z', 'rot_x', 'rot_y', 'rot_z']);
    poses = tsv.slice(1).map((line) => {
      const [tx, ty, tz, rx, ry, rz] = line.split('\t').map(Number) as [number, number, number, number, number, number];
      return { R: rotationXYZ(rx, ry, rz), t: [tx, ty, tz] };
    });
    // The grid and the first volume as nibabel reads them; brain = clearly above scalp and air intensity.
    const image = readNifti(bold);
    const [nx, ny, nz] = image.shape as [number, number, number];
    const A = image.affine;
    brain = [];
    for (let k = 0, v = 0; k < nz; k++)
      for (let j = 0; j < ny; j++)
        for (let i = 0; i < nx; i++, v++)
          if (image.data[v]! > 600) brain.push([0, 1, 2].map((r) => A[r]![0]! * i + A[r]![1]! * j + A[r]![2]! * k + A[r]![3]!) as Vec3);
    const out = path.join(scratch, 'records.jsonl');
    const replay = await runCli(['replay', bold, '--out', out]);
    expect(replay.code).toBe(0);
    records = await readRecords(out);
    checkRecords(out, poses.length);
  }, 120_000);

  afterAll(async () => {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('gives every volume a motion matrix whose mean displacement error over brain voxels is at most 0.15 mm', () => {
    expect(records).toHaveLength(poses.length);
    expect(records.filter(isErrorRecord)).toEqual([]);
    expect(brain.length).toBeGreaterThan(10_000);
    const reference = poses[0]!;
    const perVolume: { error: number; truth: number; reversed: number }[] = [];
    for (const record of records as TrRecord[]) {
      const m = record.motion!.matrix;
      const estimated: Rigid = { R: [m[0]!, m[1]!, m[2]!, m[4]!, m[5]!, m[6]!, m[8]!, m[9]!, m[10]!], t: [m[3]!, m[7]!, m[11]!] };
      // This volume's scanner position → tissue → the reference volume's scanner position.
      const truth = compose(reference, invert(poses[record.tr]!));
      // The same matrix read the other way round (reference → this volume), to show the test tells the two apart.
      const opposite = invert(estimated);
      let error = 0;
      let moved = 0;
      let reversed = 0;
      for (const p of brain) {
        const [e, q, o] = [apply(estimated, p), apply(truth, p), apply(opposite, p)];
        error += Math.hypot(e[0] - q[0], e[1] - q[1], e[2] - q[2]);
        moved += Math.hypot(q[0] - p[0], q[1] - p[1], q[2] - p[2]);
        reversed += Math.hypot(o[0] - q[0], o[1] - q[1], o[2] - q[2]);
      }
      perVolume.push({ error: error / brain.length, truth: moved / brain.length, reversed: reversed / brain.length });
    }
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    const meanError = mean(perVolume.map((v) => v.error));
    const worst = Math.max(...perVolume.map((v) => v.error));
    const meanMotion = mean(perVolume.map((v) => v.truth));
    const largest = Math.max(...perVolume.map((v) => v.truth));
    const meanReversed = mean(perVolume.map((v) => v.reversed));
    console.log(
      `synthetic run: ${records.length} volumes, ${brain.length} brain voxels; true displacement mean ${meanMotion.toFixed(3)} mm (max ${largest.toFixed(3)} mm); ` +
        `estimate error mean ${meanError.toFixed(4)} mm, worst volume ${worst.toFixed(4)} mm (read the other way round: ${meanReversed.toFixed(3)} mm)`,
    );
    // The run does move (a slow drift and one sudden jerk), so a zero estimate would fail this test.
    expect(largest).toBeGreaterThan(1);
    expect(meanError).toBeLessThanOrEqual(0.15);
    expect(worst).toBeLessThan(largest / 2);
    // The contract's direction (this volume → reference), not its inverse.
    expect(meanReversed).toBeGreaterThan(10 * meanError);
  });
});
