/**
 * Prometheus metrics (`GET /metrics`, text exposition format) on a registry of the server's own, so
 * that two servers in one process (the tests) never share counts.
 *
 *   hub.onRecord ──► observeRecord: records total, error records by code, per-stage latency histogram
 *   hub frames   ──► framesDropped: newest-only frames replaced in an outbox before they went out
 *   scrape       ──► collect(): clients, outbox backlog (max, sum), sessions by state — read at scrape
 *                    time from the hub, never kept up to date on the record path
 *
 * Latencies are observed as each record leaves the pipeline, from the record's own `latencyMs`
 * (docs/records.md), in milliseconds: a TR's budget is a few hundred ms, so the buckets sit there.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { isErrorRecord, type SessionRecord } from '../session/types.js';

/** What a scrape reads from the server as it is at that moment. */
export interface MetricsView {
  /** Every subscribed client's outbox backlog (frames waiting beyond the socket buffer). */
  backlogs(): readonly number[];
  /** WebSocket connections open. */
  connections(): number;
  /** Session states of every session the hub holds. */
  sessionStates(): readonly string[];
}

const STATES = ['starting', 'running', 'ended', 'failed'] as const;
const LATENCY_BUCKETS_MS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000];

export class Metrics {
  readonly registry = new Registry();
  private readonly stageLatency = new Histogram({
    name: 'boldstream_stage_latency_ms',
    help: 'Per-stage processing latency of each TR, ms (record latencyMs, observed as the record leaves)',
    labelNames: ['stage'],
    buckets: LATENCY_BUCKETS_MS,
    registers: [this.registry],
  });
  private readonly records = new Counter({ name: 'boldstream_records_total', help: 'Records emitted by every session (error records included)', registers: [this.registry] });
  private readonly errorRecords = new Counter({ name: 'boldstream_error_records_total', help: 'Error records, by catalogue code', labelNames: ['code'], registers: [this.registry] });
  private readonly dropped = new Counter({
    name: 'boldstream_frames_dropped_total',
    help: 'Reconstruction frames replaced in a client outbox by a newer one before they were sent (newest-only delivery)',
    registers: [this.registry],
  });
  private view: MetricsView | null = null;

  constructor() {
    // prom-client calls `collect` with the gauge as `this`; the view is read through this getter.
    const view = (): MetricsView | null => this.view;
    new Gauge({
      name: 'boldstream_clients',
      help: 'WebSocket connections open',
      registers: [this.registry],
      collect() {
        this.set(view()?.connections() ?? 0);
      },
    });
    new Gauge({
      name: 'boldstream_outbox_backlog_max',
      help: 'Largest client outbox backlog, frames waiting beyond the socket buffer',
      registers: [this.registry],
      collect() {
        this.set(Math.max(0, ...(view()?.backlogs() ?? [])));
      },
    });
    new Gauge({
      name: 'boldstream_outbox_backlog_sum',
      help: 'Frames waiting in every client outbox together',
      registers: [this.registry],
      collect() {
        this.set((view()?.backlogs() ?? []).reduce((a, b) => a + b, 0));
      },
    });
    new Gauge({
      name: 'boldstream_sessions',
      help: 'Sessions the server holds, by state',
      labelNames: ['state'],
      registers: [this.registry],
      collect() {
        const states = view()?.sessionStates() ?? [];
        for (const state of new Set([...STATES, ...states])) this.set({ state }, states.filter((s) => s === state).length);
      },
    });
  }

  /** The server as a scrape sees it (set once the hub and gateway exist). */
  bind(view: MetricsView): void {
    this.view = view;
  }

  observeRecord(record: SessionRecord): void {
    this.records.inc();
    if (isErrorRecord(record)) {
      this.errorRecords.inc({ code: record.error.code });
      return;
    }
    for (const [stage, ms] of Object.entries(record.latencyMs ?? {})) if (Number.isFinite(ms)) this.stageLatency.observe({ stage }, ms);
  }

  framesDropped(count: number): void {
    if (count > 0) this.dropped.inc(count);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
