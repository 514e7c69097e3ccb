/**
 * The last operator: a processed TR becomes the contract's record (docs/records.md), with its
 * total latency from arrival; failed TRs are already records. Numbers are rounded where more digits
 * would only be noise (µm, µrad), which also keeps JSON lines short.
 */
import { map, type OperatorFunction } from 'rxjs';
import type { TrRecord } from '../generated/boldstream.js';
import { toRows } from '../geometry/mat4.js';
import type { SessionRecord } from '../session/types.js';
import type { PipelineItem, TrContext } from './context.js';
import { round3 } from './stage.js';

const round = (x: number, digits: number): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

export function toRecord(): OperatorFunction<PipelineItem, SessionRecord> {
  return map((item) => (item.kind === 'failed' ? item.record : recordOf(item.ctx)));
}

export function recordOf(ctx: TrContext): TrRecord {
  const { volume, motion } = ctx;
  const record: TrRecord = {
    tr: ctx.tr,
    ...(volume.acquisitionTime !== null ? { acquisitionTime: round(volume.acquisitionTime, 4) } : {}),
    receivedAt: volume.receivedAt,
    roi: ctx.roi ?? {},
    latencyMs: { ...ctx.latencyMs },
    warnings: ctx.warnings,
  };
  if (motion) {
    const p = motion.params;
    record.motion = {
      trans_x: round(p.trans_x, 4),
      trans_y: round(p.trans_y, 4),
      trans_z: round(p.trans_z, 4),
      rot_x: round(p.rot_x, 6),
      rot_y: round(p.rot_y, 6),
      rot_z: round(p.rot_z, 6),
      // Full precision: clients compose this matrix, and rounding would make it slightly non-rigid.
      matrix: toRows(motion.matrix).flat(),
    };
    record.framewise_displacement = round(ctx.framewiseDisplacement ?? 0, 4);
    record.quality = {
      similarity: round(motion.similarity, 4),
      iterations: motion.iterations,
      converged: motion.converged,
      nonfiniteVoxels: ctx.nonfiniteVoxels,
      warmingUp: ctx.warmingUp ?? false,
    };
  }
  if (ctx.decoded) record.decoded = ctx.decoded;
  if (ctx.trial) record.trial = ctx.trial;
  record.latencyMs.total = round3(performance.now() - ctx.startedAt);
  return record;
}
