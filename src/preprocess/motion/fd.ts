/**
 * Framewise displacement (Power et al. 2012, NeuroImage 59:2142, "Spurious but systematic correlations
 * in functional connectivity MRI networks arise from subject motion"):
 *
 *   FD_t = |Δtrans_x| + |Δtrans_y| + |Δtrans_z| + r·(|Δrot_x| + |Δrot_y| + |Δrot_z|)
 *
 * with Δ the backward difference to the previous volume, rotations in radians turned into arc length
 * on a sphere of radius r (50 mm, roughly the cortex's distance from the head's centre). The first
 * volume has no predecessor and gets 0, as fMRIPrep's `framewise_displacement` does (it writes n/a).
 */
import type { RigidParams } from './rigid.js';

export function framewiseDisplacement(previous: RigidParams | null, current: RigidParams, headRadiusMm = 50): number {
  if (previous === null) return 0;
  return (
    Math.abs(current.trans_x - previous.trans_x) +
    Math.abs(current.trans_y - previous.trans_y) +
    Math.abs(current.trans_z - previous.trans_z) +
    headRadiusMm *
      (Math.abs(current.rot_x - previous.rot_x) + Math.abs(current.rot_y - previous.rot_y) + Math.abs(current.rot_z - previous.rot_z))
  );
}
