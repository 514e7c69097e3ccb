/**
 * The helper every per-TR operator is built on (as RxJS builds its operators on one helper).
 *
 * A stage runs a synchronous step on each live TR context, times it into `latencyMs[name]`, and
 * turns anything the step throws into an error record for that TR, so that one bad volume never
 * ends the stream (docs/architecture.md, rule 9). Failed items pass through untouched.
 */
import { map, type OperatorFunction } from 'rxjs';
import { asBoldstreamError } from '../errors.js';
import type { PipelineItem, TrContext } from './context.js';

export type StageStep = (ctx: TrContext) => void;

export function stage(name: string, step: StageStep): OperatorFunction<PipelineItem, PipelineItem> {
  return map((item: PipelineItem): PipelineItem => {
    if (item.kind !== 'tr') return item;
    const { ctx } = item;
    const started = performance.now();
    try {
      step(ctx);
    } catch (thrown) {
      const error = asBoldstreamError(thrown);
      return {
        kind: 'failed',
        record: {
          tr: ctx.tr,
          error: error.toJSON(),
          receivedAt: ctx.volume.receivedAt,
          ...(ctx.volume.acquisitionTime !== null ? { acquisitionTime: ctx.volume.acquisitionTime } : {}),
          warnings: ctx.warnings,
        },
      };
    } finally {
      ctx.latencyMs[name] = round3(performance.now() - started);
    }
    return item;
  });
}

export function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
