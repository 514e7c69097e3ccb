/**
 * Trial accumulation: while an event's HRF-shifted window is open, the TR's scores join the trial's
 * evidence and the refined decision goes into the record (decode/trial.ts has the rule).
 */
import type { OperatorFunction } from 'rxjs';
import type { LoadedModel } from '../session/loaded-model.js';
import type { PipelineItem } from './context.js';
import { stage } from './stage.js';
import type { TrialSchedule } from './trial-schedule.js';

const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;

export type { TrialSchedule };

export function accumulateTrial(schedule: TrialSchedule, model: LoadedModel | null): OperatorFunction<PipelineItem, PipelineItem> {
  return stage('trial', (ctx) => {
    schedule.tick(ctx.runTime, ctx.volume.receivedAt);
    if (!model || !ctx.decoded) return;
    const state = schedule.accumulatorFor(model).update(ctx.runTime, ctx.decoded.scores);
    if (!state) return;
    const scores: Record<string, number> = {};
    for (const [label, value] of Object.entries(state.scores)) scores[label] = round6(value);
    ctx.trial = { ...state, scores };
  });
}
