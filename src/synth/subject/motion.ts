/**
 * Known head motion for a simulated run, in the product's own convention (preprocess/motion/rigid.ts:
 * the head's motion H from the first volume, R = Rx·Ry·Rz about the middle of the field of view), so a
 * run's `_motion.tsv` compares directly with the `motion` of its records.
 *
 * The path: a slow, damped random drift (a cooperative participant settling, ~0.1 mm framewise
 * displacement per TR) and one or two sudden moves that stay (a swallow, a shift in posture) of
 * 0.3–1 mm and 0.2–0.6°. The first volume is the reference pose: motion zero.
 */
import type { Mat4 } from '../../geometry/mat4.js';
import { framewiseDisplacement } from '../../preprocess/motion/fd.js';
import { fovCentre, paramsToMatrix, ZERO_PARAMS, type RigidParams } from '../../preprocess/motion/rigid.js';
import type { VoxelGrid } from '../../volume.js';
import type { Random } from '../random.js';

const DEGREE = Math.PI / 180;

function unitVector(random: Random): [number, number, number] {
  const v = [random.gaussian(), random.gaussian(), random.gaussian()];
  const n = Math.hypot(...v) || 1;
  return [v[0]! / n, v[1]! / n, v[2]! / n];
}

/** One pose per volume; `scale` 0 gives a still head from the same draws (a motion-free twin). */
export function motionPath(random: Random, volumes: number, scale: number): RigidParams[] {
  const jumps = new Map<number, { trans: number[]; rot: number[] }>();
  const count = random.next() < 0.5 ? 1 : 2;
  for (let n = 0; n < count; n++) {
    const at = Math.max(1, Math.floor(volumes * random.uniform(0.2, 0.9)));
    const shift = random.uniform(0.3, 1), turn = random.uniform(0.2, 0.6) * DEGREE;
    const trans = unitVector(random).map((c) => c * shift);
    const rot = unitVector(random).map((c) => c * turn);
    jumps.set(at, { trans, rot });
  }
  const trans = [0, 0, 0], rot = [0, 0, 0];
  const poses: RigidParams[] = [];
  for (let t = 0; t < volumes; t++) {
    if (t > 0) {
      for (let a = 0; a < 3; a++) {
        trans[a] = 0.98 * trans[a]! + 0.03 * random.gaussian();
        rot[a] = 0.98 * rot[a]! + 0.0004 * random.gaussian();
      }
      const jump = jumps.get(t);
      for (let a = 0; jump && a < 3; a++) {
        trans[a]! += jump.trans[a]!;
        rot[a]! += jump.rot[a]!;
      }
    }
    poses.push(
      scale === 0
        ? { ...ZERO_PARAMS }
        : { trans_x: scale * trans[0]!, trans_y: scale * trans[1]!, trans_z: scale * trans[2]!, rot_x: scale * rot[0]!, rot_y: scale * rot[1]!, rot_z: scale * rot[2]! },
    );
  }
  return poses;
}

/** The record's matrix of a pose: a position in the moved volume → the same tissue in the first. */
export function poseMatrix(pose: RigidParams, grid: VoxelGrid): Mat4 {
  return paramsToMatrix(pose, fovCentre(grid));
}

export function displacements(poses: readonly RigidParams[]): number[] {
  return poses.map((p, t) => framewiseDisplacement(t > 0 ? poses[t - 1]! : null, p));
}
