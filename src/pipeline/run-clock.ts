/**
 * Run clock: seconds since the start of the run for each TR, which is what event onsets (BIDS
 * events.tsv, live markers) are measured against.
 *
 * The scanner clock wins when the header has one (K26: acquisition times are kept as they are, the
 * run start is anchored on the first volume seen, and a run that crosses midnight is unwrapped);
 * otherwise TR index × repetition time.
 */
import type { OperatorFunction } from 'rxjs';
import { warning } from '../errors.js';
import type { PipelineItem } from './context.js';
import { stage } from './stage.js';

const DAY_S = 86_400;

export interface RunClock {
  /** Scanner time (s) of TR 0, inferred from the first volume seen; null until then or without times. */
  start: number | null;
  repetitionTime: number | null;
}

export function runClock(clock: RunClock): OperatorFunction<PipelineItem, PipelineItem> {
  return stage('clock', (ctx) => {
    const { volume } = ctx;
    if (clock.repetitionTime === null && volume.repetitionTime) clock.repetitionTime = volume.repetitionTime;
    const tr = clock.repetitionTime;
    const acquired = volume.acquisitionTime;
    if (acquired !== null && tr !== null) {
      if (clock.start === null) clock.start = acquired - ctx.tr * tr;
      let t = acquired - clock.start;
      if (t < -DAY_S / 2) t += DAY_S;
      ctx.runTime = t;
      // A scanner time far from the TR grid means the header clock and the index disagree (K26).
      if (Math.abs(t - ctx.tr * tr) > Math.max(1, tr)) ctx.warnings.push(warning('CLOCK_DISAGREES', `TR ${ctx.tr}: scanner time ${t.toFixed(2)} s vs ${(ctx.tr * tr).toFixed(2)} s from index × TR`));
    } else {
      ctx.runTime = tr !== null ? ctx.tr * tr : ctx.tr;
      if (tr === null && ctx.tr === 0) ctx.warnings.push(warning('HEADER_TR_MISSING', 'run time counts TRs, not seconds'));
    }
  });
}
