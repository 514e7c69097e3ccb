/**
 * The files of a watched folder and where each stands: the gate that lets a file through only once it
 * parses completely (invariant 1; K01, K02, K08).
 *
 *   new name ──▶ pending ──read──▶ parses completely ─────────────────────────────▶ settled: volume
 *   (present at    │  ▲ still short (*_TRUNCATED, GZIP): read again after pollMs, ×1.5, capped;
 *    start:        │  │ a change of size or time reads it at the next poll
 *    existing,     │  └ broken or not an image: final only when read twice unchanged ──▶ settled: problem / ignored
 *    until it      └─ no complete parse incompleteDeadlineMs after its last change ────▶ settled: problem
 *    changes)
 *   settled ──size or time changes──▶ pending   (a rewrite, K12; a file half-written at start, K02)
 *
 * Reads are repeated even when size and time look unchanged because network shares cache attributes
 * (K03): the bytes are the truth. A settled file is never read again until it changes.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { BoldstreamError } from '../../errors.js';
import { type FileReading, readVolumeFile } from './file-volume.js';
import type { HeaderIdentity } from './watch-header.js';
import { readSteady, signatureOf } from './watch-read.js';

export type Outcome =
  | { readonly kind: 'read'; readonly name: string; readonly mtimeMs: number; readonly reading: FileReading & { kind: 'volume' | 'unindexed' } }
  | { readonly kind: 'problem'; readonly name: string; readonly mtimeMs: number; readonly error: BoldstreamError; readonly header: HeaderIdentity | null }
  | { readonly kind: 'ignored'; readonly name: string; readonly reason: string }
  /** The header of a file still being written names its TR: told once, so a gap there can say why. */
  | { readonly kind: 'arriving'; readonly name: string; readonly mtimeMs: number; readonly header: HeaderIdentity };

interface Tracked {
  phase: 'existing' | 'pending' | 'settled';
  signature: string;
  mtimeMs: number;
  /** Clock time when the signature last changed: the deadline counts from here, so bytes still arriving are waited for. */
  changedAt: number;
  dueAt: number;
  delay: number;
  /** Signature at the last read: a verdict other than "complete" is final only when it repeats on the same version. */
  readSignature: string | null;
  header: HeaderIdentity | null;
  readonly ordinal: number;
}

export interface TrackerOptions {
  readonly dir: string;
  readonly pollMs: number;
  readonly incompleteDeadlineMs: number;
  readonly includeExisting: boolean;
}

/** Settled files are looked at again every this many polls (or at once on a file event): cheap on shares of thousands of files. */
const SETTLED_RECHECK_POLLS = 5;

export class FileTracker {
  private readonly files = new Map<string, Tracked>();
  private readonly hinted = new Set<string>();
  /** Non-image files already reported: one notice per file (K04), even for a log that keeps growing. */
  private readonly ignored = new Set<string>();
  private readonly backoffCap: number;
  private passes = 0;
  private ordinals = 0;
  private stopped = false;

  constructor(private readonly options: TrackerOptions) {
    this.backoffCap = Math.max(options.pollMs, Math.min(options.pollMs * 8, options.incompleteDeadlineMs / 4));
  }

  /** Lists what is there at start: ignored (unless includeExisting) until it changes. Returns how many files. */
  async snapshot(): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.options.dir);
    } catch (thrown) {
      throw new BoldstreamError('INPUT_NOT_FOUND', `watched folder ${this.options.dir} (${(thrown as NodeJS.ErrnoException).code ?? 'unreadable'})`);
    }
    const now = Date.now();
    let count = 0;
    for (const name of names) {
      const stats = await stat(path.join(this.options.dir, name)).catch(() => null);
      if (!stats) continue;
      const track = this.track(name, stats.isFile() ? signatureOf(stats) : 'other', stats.mtimeMs, now);
      if (!stats.isFile()) track.phase = 'settled';
      else if (!this.options.includeExisting) track.phase = 'existing';
      if (stats.isFile()) count++;
    }
    return count;
  }

  /** Ends the current poll early (unsubscribed): no further file is opened. */
  stop(): void {
    this.stopped = true;
  }

  /** A file event named this file: look at it at the next poll even if it is settled. */
  hint(name: string): void {
    this.hinted.add(name);
  }

  /** One pass over the folder; throws SOURCE_UNREADABLE when the folder cannot be listed. */
  async poll(): Promise<Outcome[]> {
    this.passes++;
    let names: string[];
    try {
      names = await readdir(this.options.dir);
    } catch (thrown) {
      throw new BoldstreamError('SOURCE_UNREADABLE', `${path.basename(this.options.dir)} (${(thrown as NodeJS.ErrnoException).code ?? 'unreadable'})`);
    }
    const present = new Set(names);
    for (const name of this.files.keys()) if (!present.has(name)) this.files.delete(name);
    const hinted = new Set(this.hinted);
    this.hinted.clear();
    for (const name of names) if (!this.stopped) await this.look(name, hinted.has(name));
    const out: Outcome[] = [];
    for (const [name, track] of this.files) {
      if (this.stopped) break;
      if (track.phase === 'pending' && track.dueAt <= Date.now()) await this.read(name, track, out);
    }
    return out;
  }

  private track(name: string, signature: string, mtimeMs: number, now: number): Tracked {
    const track: Tracked = { phase: 'pending', signature, mtimeMs, changedAt: now, dueAt: now, delay: this.options.pollMs, readSignature: null, header: null, ordinal: this.ordinals++ };
    this.files.set(name, track);
    return track;
  }

  private async look(name: string, hinted: boolean): Promise<void> {
    const known = this.files.get(name);
    if (known && known.phase !== 'pending' && !hinted && (this.passes + known.ordinal) % SETTLED_RECHECK_POLLS !== 0) return;
    const stats = await stat(path.join(this.options.dir, name)).catch(() => null);
    if (!stats) return void this.files.delete(name);
    const signature = stats.isFile() ? signatureOf(stats) : 'other';
    if (!known) {
      const track = this.track(name, signature, stats.mtimeMs, Date.now());
      if (!stats.isFile()) track.phase = 'settled';
      return;
    }
    if (signature === known.signature || !stats.isFile()) return;
    Object.assign(known, { phase: 'pending', signature, mtimeMs: stats.mtimeMs, changedAt: Date.now(), dueAt: 0, delay: this.options.pollMs, header: null });
  }

  private async read(name: string, track: Tracked, out: Outcome[]): Promise<void> {
    const file = path.join(this.options.dir, name);
    const got = await readSteady(file);
    const now = Date.now();
    if (got.kind === 'failed') {
      if (got.errno === 'ENOENT') return void this.files.delete(name);
      return this.retry(name, track, now, new BoldstreamError('VOLUME_INCOMPLETE', `${name}: cannot be read yet (${got.errno})`), out);
    }
    if (got.signature !== track.signature) Object.assign(track, { signature: got.signature, changedAt: now, delay: this.options.pollMs, header: null });
    if (got.kind === 'moving') return void (track.dueAt = now + this.options.pollMs);
    const stable = track.readSignature === got.signature;
    track.readSignature = got.signature;
    if (got.kind === 'too-large') return this.final(name, track, { kind: 'ignored', name, reason: `${name}: ${got.size} bytes is too large for one volume` }, stable, out);
    track.mtimeMs = got.mtimeMs;
    const reading = readVolumeFile(file, got.bytes);
    switch (reading.kind) {
      case 'volume':
      case 'unindexed':
        track.phase = 'settled';
        return void out.push({ kind: 'read', name, mtimeMs: track.mtimeMs, reading });
      case 'not-image':
        return this.final(name, track, { kind: 'ignored', name, reason: reading.reason }, stable, out);
      case 'invalid':
        return this.final(name, track, { kind: 'problem', name, mtimeMs: track.mtimeMs, error: reading.error, header: reading.header }, stable, out);
      case 'incomplete':
        if (reading.header && !track.header) out.push({ kind: 'arriving', name, mtimeMs: track.mtimeMs, header: reading.header });
        track.header = reading.header ?? track.header;
        return this.retry(name, track, now, reading.error, out);
    }
  }

  /** A verdict that a later write could still change (a half-written file can look broken): trusted once it repeats. */
  private final(name: string, track: Tracked, outcome: Outcome, stable: boolean, out: Outcome[]): void {
    if (!stable) return void (track.dueAt = Date.now() + this.options.pollMs);
    track.phase = 'settled';
    if (outcome.kind === 'ignored' && this.ignored.has(name)) return;
    if (outcome.kind === 'ignored') this.ignored.add(name);
    out.push(outcome);
  }

  private retry(name: string, track: Tracked, now: number, error: BoldstreamError, out: Outcome[]): void {
    if (now - track.changedAt >= this.options.incompleteDeadlineMs) {
      track.phase = 'settled';
      const waited = ((now - track.changedAt) / 1000).toFixed(1);
      const detail = `${name}: still no complete file ${waited} s after it last changed (${error.code})`;
      return void out.push({ kind: 'problem', name, mtimeMs: track.mtimeMs, error: new BoldstreamError('VOLUME_INCOMPLETE', detail, { cause: error }), header: track.header });
    }
    track.dueAt = now + track.delay;
    track.delay = Math.min(track.delay * 1.5, this.backoffCap);
  }
}
