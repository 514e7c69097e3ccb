/**
 * The arrival clock of a live source (watched folder, network push), measured against the scanner's
 * run clock, never mixed with it (K20, K26, K27):
 *
 *   offset(TR)  = receivedAt − runTime        server seconds at which the run clock stood at 0, as this TR saw it
 *   lag(TR)     = offset(TR) − min(offset)    how much later than the best-served TR this one came
 *   skew        = min(receivedAt − acquisitionTime), both as seconds since their own midnights
 *   pace        = median of the arrival intervals between consecutive TRs (bursts left out)
 *
 * - SOURCE_BEHIND when a TR comes 2 TRs or more behind its slot (the burst after a stall): live
 *   consumers are told at once, before that TR's record, and again ("caught up") when a TR is back
 *   within one TR of its slot. TR indices and run times are untouched: they come from the headers.
 * - CLOCK_SKEW with the measured offset of the two clocks (export delay included), at the first
 *   volume with a scanner time and again whenever a faster arrival lowers it by half a second.
 * - TR_ARRIVAL_DISAGREE once, when volumes arrive at another pace than the repetition time (a header
 *   that lies about TR), over 8 intervals at least. Intervals under 0.1 s are no scanner's pace (a
 *   burst, or a replay pushed as fast as it goes) and are left out; the median shrugs off a stall.
 *
 * These say when things happened, like `receivedAt`: they go to the session status and the log, and
 * never into records, which stay a function of the input (invariant 8).
 */
import { type OperatorFunction, tap } from 'rxjs';
import { type Warning, warning } from '../errors.js';
import type { PipelineItem } from './context.js';
import type { RunClock } from './run-clock.js';

export interface ArrivalNews {
  readonly warning: Warning;
  /** The session status detail for live consumers ("behind: …", "caught up: …", "CLOCK_SKEW: …"). */
  readonly detail: string;
  readonly level: 'info' | 'warn';
  /** The TR that showed it (set by the operator, for the session's log line). */
  readonly tr?: number;
}

export interface ArrivalSample {
  readonly tr: number;
  /** Seconds on the run clock (scanner clock, or index × TR). */
  readonly runTime: number;
  /** Seconds; null when no TR is known (runTime then counts TRs, and lag and pace are not measured). */
  readonly repetitionTime: number | null;
  readonly acquisitionTime: number | null;
  /** Server clock, epoch ms. */
  readonly receivedAt: number;
}

const DAY_S = 86_400;
const BEHIND_TRS = 2;
const CAUGHT_UP_TRS = 1;
const SKEW_STEP_S = 0.5;
const PACE_SAMPLES = 8;
const PACE_KEPT = 32;
const FASTEST_SCANNER_S = 0.1;
const PACE_TOLERANCE = 0.2;

/** Seconds since the server's local midnight: the scale of DICOM AcquisitionTime, which is local time. */
export function serverSecondsOfDay(epochMs: number): number {
  const d = new Date(epochMs);
  return d.getHours() * 3600 + d.getMinutes() * 60 + d.getSeconds() + d.getMilliseconds() / 1000;
}

/** A difference of two times of day, taken the short way round midnight. */
function wrapDay(seconds: number): number {
  return seconds - DAY_S * Math.round(seconds / DAY_S);
}

const signed = (s: number): string => `${s >= 0 ? '+' : '−'}${Math.abs(s).toFixed(2)} s`;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export class ArrivalMonitor {
  private baseOffset = Number.POSITIVE_INFINITY;
  private behind = false;
  private skew: number | null = null;
  private previous: { tr: number; at: number } | null = null;
  private readonly intervals: number[] = [];
  private paceTold = false;

  observe(sample: ArrivalSample): ArrivalNews[] {
    const news: ArrivalNews[] = [];
    const at = sample.receivedAt / 1000;
    const tr = sample.repetitionTime;
    if (sample.acquisitionTime !== null) this.measureSkew(sample, news);
    if (tr !== null && tr > 0) {
      this.measureLag(sample, tr, at, news);
      this.measurePace(sample, tr, at, news);
    }
    return news;
  }

  private measureSkew(sample: ArrivalSample, news: ArrivalNews[]): void {
    const delay = wrapDay(serverSecondsOfDay(sample.receivedAt) - sample.acquisitionTime!);
    if (this.skew !== null && delay > this.skew - SKEW_STEP_S) return;
    this.skew = delay;
    // A volume cannot arrive before it was acquired, nor (live) minutes after: then the clocks differ.
    const plausible = delay > -1 && delay < (sample.repetitionTime ?? 1) + 10;
    const meaning = plausible ? 'the export delay with any clock difference' : delay < 0 ? 'the scanner clock is ahead of the server clock' : 'the scanner clock is behind the server clock, or the export is very slow';
    const w = warning('CLOCK_SKEW', `${signed(delay)} at TR ${sample.tr} (${meaning}); run time follows the scanner clock, receivedAt the server clock`);
    news.push({ warning: w, detail: `${w.code}: ${w.message}`, level: plausible ? 'info' : 'warn' });
  }

  private measureLag(sample: ArrivalSample, tr: number, at: number, news: ArrivalNews[]): void {
    const offset = at - sample.runTime;
    this.baseOffset = Math.min(this.baseOffset, offset);
    const lag = offset - this.baseOffset;
    if (!this.behind && lag >= BEHIND_TRS * tr) {
      this.behind = true;
      const what = `TR ${sample.tr} arrived ${lag.toFixed(1)} s (${(lag / tr).toFixed(1)} TRs) after its slot on the TR clock`;
      news.push({ warning: warning('SOURCE_BEHIND', what), detail: `behind: ${what}`, level: 'warn' });
    } else if (this.behind && lag < CAUGHT_UP_TRS * tr) {
      this.behind = false;
      // Not the catalogue's summary ("records are behind"): the news is that they no longer are.
      const message = `caught up: TR ${sample.tr} arrived within one TR of its slot`;
      news.push({ warning: { code: 'SOURCE_BEHIND', message }, detail: message, level: 'info' });
    }
  }

  private measurePace(sample: ArrivalSample, tr: number, at: number, news: ArrivalNews[]): void {
    const previous = this.previous;
    this.previous = { tr: sample.tr, at };
    if (this.paceTold || previous === null || sample.tr !== previous.tr + 1 || at - previous.at < FASTEST_SCANNER_S) return;
    this.intervals.push(at - previous.at);
    if (this.intervals.length > PACE_KEPT) this.intervals.shift();
    if (this.intervals.length < PACE_SAMPLES) return;
    const pace = median(this.intervals);
    if (Math.abs(pace / tr - 1) <= PACE_TOLERANCE) return;
    this.paceTold = true;
    const w = warning('TR_ARRIVAL_DISAGREE', `volumes arrive every ${pace.toFixed(2)} s, the repetition time is ${Number(tr.toFixed(3))} s (TR ${sample.tr})`);
    news.push({ warning: w, detail: `${w.code}: ${w.message}`, level: 'warn' });
  }
}

/** The operator: observes every processed TR after the run clock; changes nothing in it. */
export function watchArrival(clock: RunClock, report: (news: ArrivalNews) => void): OperatorFunction<PipelineItem, PipelineItem> {
  const monitor = new ArrivalMonitor();
  return tap((item) => {
    if (item.kind !== 'tr') return;
    const { ctx } = item;
    const news = monitor.observe({
      tr: ctx.tr,
      runTime: ctx.runTime,
      // Without a TR, run time counts TRs (run-clock.ts): then only the skew can be measured.
      repetitionTime: clock.repetitionTime,
      acquisitionTime: ctx.volume.acquisitionTime,
      receivedAt: ctx.volume.receivedAt,
    });
    for (const n of news) report({ ...n, tr: ctx.tr });
  });
}
