/**
 * The session hub: builds sessions through the factory, keeps them listed, and fans each session's
 * records and status changes out to the clients that subscribed.
 *
 *   start(spec) ─► factory.create ─► Session ─ records$ ─┬─► history (recent records, for catch-up)
 *                                              status$ ─┴─► every subscriber's Delivery ─► outbox
 *
 * The pipeline never waits for a client: delivery only queues into each client's bounded outbox,
 * and a client that lets its outbox overflow is disconnected (WS_CLIENT_TOO_SLOW) rather than
 * skipped, so that every client still connected has every record, in order.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Subscription } from 'rxjs';
import type { Config } from '../config.js';
import { BoldstreamError, asBoldstreamError } from '../errors.js';
import type { EventMarker, SessionInfo, SessionSpec, TrRecord, VolumePush } from '../generated/boldstream.js';
import { closeInterrupted, isRecordingDir, readRecordingSession } from '../record/index.js';
import { recordingDir } from '../record/layout.js';
import type { Session, SessionFactory, SessionRecord } from '../session/types.js';
import { catchUp, type Delivery, type Queued } from './catch-up.js';
import type { HubSubscriber } from './client.js';
import type { Metrics } from './metrics.js';
import { Outgoing } from './outgoing.js';
import { checkSpecPaths } from './spec-paths.js';

export interface HubOptions {
  readonly config: Config;
  readonly factory: SessionFactory;
  readonly logger: Logger;
  /** Folders client paths may point into, config.dataDir first. Default: [config.dataDir]. */
  readonly dataRoots?: readonly string[];
  /** Recent records kept in memory per session, covering what the recorder has not written yet. */
  readonly historyLimit?: number;
  /** Records, latencies and dropped frames are counted here when given (GET /metrics). */
  readonly metrics?: Metrics;
}

/** A session whose source is late or silent, as its last status said (shown by /health). */
export interface StalledSession {
  readonly session: string;
  readonly detail: string;
}

interface Entry {
  readonly session: Session;
  readonly history: Queued[];
  readonly deliveries: Map<HubSubscriber, Delivery>;
  readonly subscriptions: Subscription[];
  /** The status detail that said the source is behind or silent, until a TR says otherwise. */
  stalled: string | null;
}

/** A session's info with the pace of a replay as it is now (the speed asked for at start may have changed). */
function describe(session: Session, info: SessionInfo = session.info()): SessionInfo {
  if (!session.pace || (info.state !== 'running' && info.state !== 'starting')) return info;
  const { speed, paused } = session.pace.state;
  return { ...info, source: { ...info.source, speed }, paused };
}

/** Readable and unique enough: 20240131-142501-a3f9c2. */
function newSessionId(): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

export class Hub {
  private readonly entries = new Map<string, Entry>();
  private readonly starting = new Set<string>();
  /** Who asked for what: a session id (possibly not started yet) or `*`. */
  private readonly interest = new Map<string, Set<HubSubscriber>>();
  private readonly historyLimit: number;

  constructor(private readonly options: HubOptions) {
    this.historyLimit = options.historyLimit ?? Math.max(256, options.config.server.clientQueueLimit);
  }

  list(): SessionInfo[] {
    return [...this.entries.values()].map((e) => describe(e.session)).sort((a, b) => a.startedAt - b.startedAt);
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  info(id: string): SessionInfo {
    return describe(this.entry(id).session);
  }

  /** Sessions still running whose source is behind the TR clock or has gone silent. */
  stalled(): StalledSession[] {
    return [...this.entries.values()]
      .filter((e) => e.stalled !== null && (e.session.info().state === 'running' || e.session.info().state === 'starting'))
      .map((e) => ({ session: e.session.id, detail: e.stalled! }));
  }

  /** Backlog of every client subscribed to some session (for the queue-depth gauges). */
  backlogs(): number[] {
    const subscribers = new Set<HubSubscriber>();
    for (const entry of this.entries.values()) for (const s of entry.deliveries.keys()) subscribers.add(s);
    for (const set of this.interest.values()) for (const s of set) subscribers.add(s);
    return [...subscribers].filter((s) => !s.closed).map((s) => s.backlog);
  }

  recordingDir(id: string): string {
    return recordingDir(this.options.config.recordingsDir, id);
  }

  async start(spec: SessionSpec): Promise<SessionInfo> {
    const id = spec.id ?? newSessionId();
    if (this.entries.has(id) || this.starting.has(id)) throw new BoldstreamError('SESSION_EXISTS', id);
    if (existsSync(this.recordingDir(id))) throw new BoldstreamError('SESSION_EXISTS', `a recording named ${id} already exists`);
    const { config, dataRoots } = this.options;
    const checked = checkSpecPaths({ ...spec, id }, { data: dataRoots ?? [config.dataDir], recordings: config.recordingsDir });
    this.starting.add(id);
    let session: Session;
    try {
      session = await this.options.factory.create(checked);
    } catch (error) {
      throw asBoldstreamError(error);
    } finally {
      this.starting.delete(id);
    }
    this.attach(session);
    this.options.logger.info({ session: id, source: checked.source.kind }, 'session started');
    return session.info();
  }

  /**
   * At start: every recording whose session.json still says running or starting belongs to a session
   * the server was running when it died. Push sessions are resumed (factory.resume) and take pushes
   * under their id again; the others are closed as failed with SESSION_INTERRUPTED (docs/durability.md).
   */
  async resumeInterrupted(): Promise<{ resumed: string[]; closed: string[] }> {
    const root = path.resolve(this.options.config.recordingsDir);
    const names = await readdir(root).catch(() => [] as string[]);
    const out = { resumed: [] as string[], closed: [] as string[] };
    for (const name of names.sort()) {
      const dir = path.join(root, name);
      if (!(await isRecordingDir(dir))) continue;
      const info = await readRecordingSession(dir).then((r) => r.info, () => null);
      if (!info || (info.state !== 'running' && info.state !== 'starting') || info.id !== name || this.entries.has(name)) continue;
      try {
        if (!this.options.factory.resume) throw new BoldstreamError('SESSION_INTERRUPTED', 'this server cannot resume sessions');
        this.attach(await this.options.factory.resume(dir));
        out.resumed.push(name);
        this.options.logger.info({ session: name }, 'interrupted session resumed from its recording');
      } catch (error) {
        const cause = asBoldstreamError(error);
        const failure = cause.code === 'SESSION_INTERRUPTED' ? cause : new BoldstreamError('SESSION_INTERRUPTED', `${cause.code}: ${cause.message}`, { cause });
        this.options.logger.warn({ session: name, code: failure.code }, `interrupted session not resumed: ${failure.message}`);
        await closeInterrupted(dir, failure).catch((e: unknown) => this.options.logger.error({ session: name, err: e }, 'could not close the recording of an interrupted session'));
        out.closed.push(name);
      }
    }
    return out;
  }

  async stop(id: string): Promise<SessionInfo> {
    const { session } = this.entry(id);
    await session.stop();
    return session.info();
  }

  /** Throws at once when the session takes no pushes; resolves when the volume is recorded. */
  pushVolume(id: string, push: VolumePush): Promise<void> {
    const { session } = this.entry(id);
    if (session.info().source.kind !== 'push') throw new BoldstreamError('SESSION_NOT_PUSH', `${id} reads from ${session.info().source.kind}`);
    return session.pushVolume(push) ?? Promise.resolve();
  }

  addEvent(id: string, event: EventMarker): void {
    this.entry(id).session.addEvent(event);
  }

  /**
   * Pauses, resumes or re-paces a running replay; its subscribers hear of it as a status
   * (`paused`, `resumed`, `speed 2`). A live source keeps the scanner's pace: SESSION_NOT_PACEABLE.
   */
  pace(id: string, change: { readonly paused?: boolean; readonly speed?: number }): SessionInfo {
    const entry = this.entry(id);
    const { pace } = entry.session;
    const state = entry.session.info().state;
    if (!pace || state === 'ended' || state === 'failed') {
      throw new BoldstreamError('SESSION_NOT_PACEABLE', `${id} ${pace ? `has ${state}` : `reads from ${entry.session.info().source.kind}`}`);
    }
    const before = pace.state;
    if (change.speed !== undefined) pace.setSpeed(change.speed);
    if (change.paused === true) pace.pause();
    if (change.paused === false) pace.resume();
    const after = pace.state;
    const detail = after.paused !== before.paused ? (after.paused ? 'paused' : 'resumed') : after.speed !== before.speed ? `speed ${after.speed === 0 ? 'max' : after.speed}` : null;
    const info = describe(entry.session);
    if (detail !== null) this.broadcast(entry, { out: new Outgoing({ type: 'status', session: info, detail }) });
    return info;
  }

  /**
   * Subscribes to one session or to `*` (every session, present and future). An id that does not
   * exist yet is remembered: the subscriber gets that session from its first record. With `fromTr`
   * the subscriber first catches up from that TR (catch-up.ts).
   */
  subscribe(subscriber: HubSubscriber, sessionId: string, fromTr?: number): void {
    const set = this.interest.get(sessionId) ?? new Set<HubSubscriber>();
    set.add(subscriber);
    this.interest.set(sessionId, set);
    const targets = sessionId === '*' ? [...this.entries.values()] : [this.entries.get(sessionId)].filter((e) => e !== undefined);
    for (const entry of targets) {
      if (entry.deliveries.has(subscriber)) continue;
      if (fromTr === undefined) {
        entry.deliveries.set(subscriber, { lastTr: -1, pending: null });
        continue;
      }
      const delivery: Delivery = { lastTr: fromTr - 1, pending: [] };
      entry.deliveries.set(subscriber, delivery);
      void catchUp({
        sessionId: entry.session.id,
        recordingDir: this.recordingDir(entry.session.id),
        history: entry.history,
        subscriber,
        delivery,
        pauseAbove: Math.floor(this.options.config.server.clientQueueLimit / 2),
        stillWanted: () => !subscriber.closed && entry.deliveries.get(subscriber) === delivery,
        logger: this.options.logger,
      });
    }
  }

  unsubscribe(subscriber: HubSubscriber, sessionId: string): void {
    this.interest.get(sessionId)?.delete(subscriber);
    for (const [id, entry] of this.entries) {
      if ((sessionId === '*' || sessionId === id) && !this.wants(subscriber, id)) entry.deliveries.delete(subscriber);
    }
  }

  /** Forgets a subscriber everywhere (its connection is gone). */
  detach(subscriber: HubSubscriber): void {
    for (const set of this.interest.values()) set.delete(subscriber);
    for (const entry of this.entries.values()) entry.deliveries.delete(subscriber);
  }

  /** Stops every session still running and lets go of them. */
  async close(): Promise<void> {
    const running = [...this.entries.values()];
    const results = await Promise.allSettled(running.map((e) => e.session.stop()));
    for (const r of results) if (r.status === 'rejected') this.options.logger.warn({ err: r.reason }, 'session did not stop cleanly');
    for (const entry of running) for (const s of entry.subscriptions) s.unsubscribe();
    this.entries.clear();
    this.interest.clear();
  }

  private entry(id: string): Entry {
    const entry = this.entries.get(id);
    if (!entry) throw new BoldstreamError('SESSION_NOT_FOUND', id);
    return entry;
  }

  private wants(subscriber: HubSubscriber, id: string): boolean {
    return Boolean(this.interest.get(id)?.has(subscriber) || this.interest.get('*')?.has(subscriber));
  }

  private attach(session: Session): void {
    const entry: Entry = { session, history: [], deliveries: new Map(), subscriptions: [], stalled: null };
    this.entries.set(session.id, entry);
    for (const subscriber of [...(this.interest.get(session.id) ?? []), ...(this.interest.get('*') ?? [])]) {
      entry.deliveries.set(subscriber, { lastTr: -1, pending: null });
    }
    entry.subscriptions.push(
      session.records$.subscribe({
        next: (record) => this.onRecord(entry, record),
        error: (error: unknown) => this.onFailure(entry, error),
      }),
      session.status$.subscribe({
        next: ({ info, detail }) => {
          if (detail !== undefined) this.noteArrival(entry, detail);
          this.broadcast(entry, { out: new Outgoing({ type: 'status', session: describe(session, info), ...(detail !== undefined ? { detail } : {}) }) });
        },
        error: (error: unknown) => this.onFailure(entry, error),
      }),
    );
    if (session.frames$) {
      // Frames are not history: a late or slow subscriber gets the newest one, never a backlog.
      entry.subscriptions.push(
        session.frames$.subscribe({
          next: (frame) => {
            const out = new Outgoing({ type: 'frame', ...frame });
            for (const subscriber of entry.deliveries.keys()) {
              const before = subscriber.supersededFrames ?? 0;
              if (!subscriber.sendLatest(`frame:${session.id}`, out)) this.detach(subscriber);
              this.options.metrics?.framesDropped((subscriber.supersededFrames ?? 0) - before);
            }
          },
          error: (error: unknown) => this.onFailure(entry, error),
        }),
      );
    }
  }

  /** SOURCE_BEHIND ("behind: …") and SOURCE_STALLED ("stalled") hold until "caught up" or the next record. */
  private noteArrival(entry: Entry, detail: string): void {
    if (detail === 'stalled' || detail.startsWith('behind:')) entry.stalled = detail;
    else if (detail.startsWith('caught up')) entry.stalled = null;
  }

  private onRecord(entry: Entry, record: SessionRecord): void {
    this.options.metrics?.observeRecord(record);
    if (entry.stalled === 'stalled') entry.stalled = null;
    // ErrorRecord is the TrRecord shape with `error` set and the data fields absent (see the proto).
    const item: Queued = { tr: record.tr, out: new Outgoing({ type: 'record', session: entry.session.id, record: record as TrRecord }) };
    entry.history.push(item);
    if (entry.history.length > this.historyLimit) entry.history.shift();
    this.broadcast(entry, item);
  }

  private broadcast(entry: Entry, item: Queued): void {
    for (const [subscriber, delivery] of entry.deliveries) {
      if (delivery.pending) {
        delivery.pending.push(item);
        if (delivery.pending.length > this.options.config.server.clientQueueLimit) {
          subscriber.close(new BoldstreamError('WS_CLIENT_TOO_SLOW', 'live records piled up while catching up'));
          this.detach(subscriber);
        }
        continue;
      }
      if (item.tr !== undefined) delivery.lastTr = item.tr;
      if (!subscriber.send(item.out)) this.detach(subscriber);
    }
  }

  private onFailure(entry: Entry, error: unknown): void {
    const failure = asBoldstreamError(error);
    this.options.logger.error({ err: failure, session: entry.session.id }, 'session stream failed');
    this.broadcast(entry, { out: new Outgoing({ type: 'status', session: entry.session.info(), detail: `failed: ${failure.code}` }) });
  }
}
