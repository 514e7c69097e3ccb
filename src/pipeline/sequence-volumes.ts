/**
 * Source items → TRs in order: the one place that decides order, duplicates, gaps and dummy scans.
 *
 * Identity comes from the header (series, index, instance), never from file names or arrival order
 * (invariant 2). A volume is emitted as soon as every earlier TR is settled. An earlier TR that has not
 * come is declared missing (a VOLUME_MISSING record, K14) once `window` newer volumes have arrived or
 * once a newer volume has waited `waitMs`, so a lost volume delays closed-loop feedback by at most
 * `waitMs`, while files that arrive a little out of order (K13) are still put back in order. TR indices
 * are never renumbered (invariant 3): dummy scans are dropped by index and gaps keep their slot.
 */
import { asyncScheduler, Observable, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import { BoldstreamError, type Warning, warning } from '../errors.js';
import type { SourceItem } from '../ingest/sources/source.js';
import type { PipelineItem } from './context.js';

export interface SequenceOptions {
  /** Newer volumes that may arrive before a missing TR is declared missing. */
  readonly window: number;
  /** Longest a newer volume waits for a missing earlier one, ms. */
  readonly waitMs: number;
  /** Most TRs a volume may jump past the next expected one; beyond, it is dropped (default 1000). */
  readonly maxGap?: number;
  /** Volumes at the start of the run to discard (K24). */
  readonly dummyScans: number;
  /** Called once per dropped or ignored thing, for the log. */
  readonly onNotice?: (warning: Warning) => void;
}

type Slot = {
  readonly item: SourceItem & { kind: 'volume' | 'problem' };
  /** Scheduler time of arrival (drives waiting; virtual in marble tests). */
  readonly arrivedAt: number;
  /** performance.now() at arrival (drives latency figures). */
  readonly startedAt: number;
  readonly instance?: string;
};

export function sequenceVolumes(options: SequenceOptions, scheduler: SchedulerLike = asyncScheduler): OperatorFunction<SourceItem, PipelineItem> {
  return (source) =>
    new Observable<PipelineItem>((subscriber) => {
      const pending = new Map<number, Slot>();
      const settled = new Set<number>();
      const missing = new Set<number>();
      /** TRs whose file is still being written (the source read their header): named if given up. */
      const arriving = new Map<number, string>();
      const instances = new Map<number, string | undefined>();
      let notices: Warning[] = [];
      let next: number | null = null;
      let series: string | null = null;
      let timer: Subscription | null = null;

      const notice = (w: Warning): void => {
        notices.push(w);
        options.onNotice?.(w);
      };
      const takeNotices = (): Warning[] => {
        const out = notices;
        notices = [];
        return out;
      };

      const emitSlot = (tr: number, slot: Slot): void => {
        settled.add(tr);
        const { item } = slot;
        if (item.kind === 'volume') {
          const ctx = {
            tr,
            volume: item.volume,
            runTime: 0,
            startedAt: slot.startedAt,
            warnings: [...takeNotices(), ...item.volume.warnings],
            latencyMs: {},
            nonfiniteVoxels: 0,
          };
          subscriber.next({ kind: 'tr', ctx });
        } else {
          subscriber.next({ kind: 'failed', record: { tr, error: item.error.toJSON(), receivedAt: Date.now(), warnings: takeNotices() } });
        }
      };

      const emitGap = (tr: number): void => {
        missing.add(tr);
        // Closed-loop feedback cannot wait out a slow write; the record says it was given up, and why.
        const file = arriving.get(tr);
        const error = file === undefined ? new BoldstreamError('VOLUME_MISSING', `TR ${tr}`) : new BoldstreamError('VOLUME_INCOMPLETE', `TR ${tr}: ${file} was still being written when later volumes had come`);
        subscriber.next({ kind: 'failed', record: { tr, error: error.toJSON(), warnings: takeNotices() } });
      };

      /** Emits every TR that is settled, declaring gaps when the rules say the wait is over. */
      const drain = (force: boolean): void => {
        if (next === null) return;
        for (;;) {
          const slot = pending.get(next);
          if (slot) {
            pending.delete(next);
            emitSlot(next, slot);
            next++;
            continue;
          }
          if (pending.size === 0) break;
          const newest = Math.max(...pending.keys());
          const oldestWait = Math.min(...[...pending.values()].map((s) => s.arrivedAt));
          const waited = scheduler.now() - oldestWait;
          if (force || newest - next >= options.window || waited >= options.waitMs) {
            emitGap(next);
            next++;
            continue;
          }
          armTimer(options.waitMs - waited);
          break;
        }
      };

      const armTimer = (delayMs: number): void => {
        timer?.unsubscribe();
        timer = scheduler.schedule(() => {
          timer = null;
          drain(false);
        }, Math.max(0, delayMs));
      };

      const accept = (tr: number, slot: Slot): void => {
        if (tr < options.dummyScans) {
          notice(warning('VOLUME_DUMMY', `TR ${tr}`));
          return;
        }
        if (next === null) {
          // A run seen from its start may still have its first volumes out of order; a run joined
          // later (server started mid-run) starts where we joined rather than reporting old gaps.
          next = tr <= options.dummyScans + options.window ? options.dummyScans : tr;
          if (next > options.dummyScans) notice(warning('RUN_JOINED_LATE', `first volume seen is TR ${tr}`));
        }
        if (settled.has(tr) || pending.has(tr)) {
          const same = instances.get(tr) === slot.instance;
          notice(warning('VOLUME_DUPLICATE', `TR ${tr}${same ? '' : ' (another image with the same index; the first one is kept)'}`));
          return;
        }
        // Each skipped TR becomes a record: a jump no scanner makes is a wrong index, not a thousand losses.
        const maxGap = options.maxGap ?? 1000;
        if (tr - next > maxGap) {
          notice(warning('VOLUME_TR_OUT_OF_RANGE', `TR ${tr} is ${tr - next} TRs past the next expected (TR ${next}), more than pipeline.maxGapVolumes (${maxGap}); dropped`));
          return;
        }
        if (missing.has(tr) || tr < next) {
          // A file that never completed is reported as what it is, not as a volume that came late.
          if (slot.item.kind === 'problem') notice({ code: slot.item.error.code, message: `TR ${tr} (already given up): ${slot.item.error.message}` });
          else notice(warning('VOLUME_TOO_LATE', `TR ${tr}`));
          return;
        }
        instances.set(tr, slot.instance);
        pending.set(tr, slot);
        drain(false);
      };

      const subscription = source.subscribe({
        next: (item) => {
          const arrivedAt = scheduler.now();
          const startedAt = performance.now();
          if (item.kind === 'notice') return notice(item.warning);
          if (item.kind === 'expected') {
            if (!settled.has(item.tr) && !missing.has(item.tr)) arriving.set(item.tr, item.file);
            return;
          }
          if (item.kind === 'problem') {
            if (item.tr === null) return notice({ code: item.error.code, message: item.error.message });
            return accept(item.tr, { item, arrivedAt, startedAt });
          }
          const { identity } = item.volume;
          if (series === null) series = identity.series;
          if (identity.series !== series) return notice(warning('VOLUME_IGNORED', `another series (TR ${identity.index})`));
          accept(identity.index, { item, arrivedAt, startedAt, ...(identity.instance ? { instance: identity.instance } : {}) });
        },
        error: (err: unknown) => {
          drain(true);
          subscriber.error(err);
        },
        complete: () => {
          timer?.unsubscribe();
          drain(true);
          subscriber.complete();
        },
      });
      return () => {
        timer?.unsubscribe();
        subscription.unsubscribe();
      };
    });
}
