/**
 * A scanner's real-time export folder as a volume source.
 *
 *   fs.watch events (where the OS sends them) ─┐ a poll soon
 *   timer, every pollMs, always (K03) ─────────┴─▶ poll: list, stat, read what is due (watch-files.ts)
 *        ──▶ complete files only (K01/K02) ──▶ selected series only (K04, watch-series.ts)
 *        ──▶ one poll's volumes in header order (K27, watch-batch.ts) ──▶ items
 *   own timer: SOURCE_STALLED when volumes stop coming (K27, watch-stall.ts)
 *
 * Polling never stops, because SMB and NFS shares send no file events; fs.watch only makes discovery
 * faster on local disks. Files present when watching starts are ignored unless `includeExisting` (a
 * file half-written at start is read once it changes, K02). The source reports what it received, with
 * header identity; order, duplicates (K12) and gaps are the sequencer's (pipeline/sequence-volumes.ts).
 */
import { type FSWatcher, watch } from 'node:fs';
import { Observable, type Subscriber } from 'rxjs';
import { type Config, defaultConfig } from '../../config.js';
import { BoldstreamError, asBoldstreamError, warning } from '../../errors.js';
import type { SourceDescription, SourceItem, VolumeSource } from './source.js';
import { itemsOfPoll } from './watch-batch.js';
import { FileTracker } from './watch-files.js';
import { ArrivalIndex, SeriesFilter } from './watch-series.js';
import { StallWatch } from './watch-stall.js';

export interface WatchFolderOptions {
  readonly dir: string;
  /** ms between polls; default from config `watch.pollMs`. */
  readonly pollMs?: number;
  /** A file with no complete parse this long after its last change becomes a problem (K01/K08). */
  readonly incompleteDeadlineMs?: number;
  /** No new volume this long after the previous one raises SOURCE_STALLED (K27). */
  readonly stallWarningMs?: number;
  /** Read files already in the folder at start (a server started mid-run). Default false. */
  readonly includeExisting?: boolean;
  /** Take this DICOM series number instead of the first new series. */
  readonly seriesNumber?: number;
  /** Use fs.watch as well as polling (default true); false exercises the polling path alone (K03). */
  readonly useFsWatch?: boolean;
}

type Settings = Required<Omit<WatchFolderOptions, 'seriesNumber'>> & Pick<WatchFolderOptions, 'seriesNumber'>;

/** File events come in flurries while a file is written; one poll shortly after serves them all. */
const EVENT_DELAY_MS = 20;

export class WatchFolderSource implements VolumeSource {
  readonly description: SourceDescription;
  private readonly settings: Settings;

  constructor(options: WatchFolderOptions, defaults: Config['watch'] = defaultConfig().watch) {
    this.settings = {
      dir: options.dir,
      pollMs: options.pollMs ?? defaults.pollMs,
      incompleteDeadlineMs: options.incompleteDeadlineMs ?? defaults.incompleteDeadlineMs,
      stallWarningMs: options.stallWarningMs ?? defaults.stallWarningMs,
      includeExisting: options.includeExisting ?? false,
      useFsWatch: options.useFsWatch ?? true,
      ...(options.seriesNumber === undefined ? {} : { seriesNumber: options.seriesNumber }),
    };
    this.description = { kind: 'watch', from: options.dir, repetitionTime: null };
  }

  items(): Observable<SourceItem> {
    return new Observable<SourceItem>((subscriber) => watchFolder(this.settings, subscriber));
  }
}

/** Starts watching for one subscriber; returns the teardown that stops timers and the watcher. */
function watchFolder(settings: Settings, subscriber: Subscriber<SourceItem>): () => void {
  const tracker = new FileTracker(settings);
  const filter = new SeriesFilter(settings.seriesNumber);
  const arrival = new ArrivalIndex();
  const stall = new StallWatch(settings.stallWarningMs, (w) => subscriber.next({ kind: 'notice', warning: w }));
  let stopped = false;
  let ready = false;
  let scanning = false;
  let again = false;
  let unreadable = false;
  let timer: NodeJS.Timeout | null = null;
  let timerDue = Number.POSITIVE_INFINITY;
  let watcher: FSWatcher | null = null;

  const schedule = (delayMs: number): void => {
    const due = Date.now() + delayMs;
    if (stopped || !ready || (timer && timerDue <= due)) return;
    if (timer) clearTimeout(timer);
    timerDue = due;
    timer = setTimeout(() => {
      timer = null;
      timerDue = Number.POSITIVE_INFINITY;
      void scan();
    }, delayMs);
  };

  const emit = (items: readonly SourceItem[]): void => {
    for (const item of items) {
      if (stopped) return;
      if (item.kind === 'volume') stall.volume(item.volume.identity.index);
      subscriber.next(item);
    }
  };

  const scan = async (): Promise<void> => {
    if (scanning) return void (again = true);
    scanning = true;
    try {
      const outcomes = await tracker.poll();
      unreadable = false;
      if (!stopped) emit(itemsOfPoll(outcomes, filter, arrival));
    } catch (thrown) {
      const error = asBoldstreamError(thrown, 'SOURCE_FAILED');
      if (error.code !== 'SOURCE_UNREADABLE') return void fail(error);
      // A share that dropped out (K03) may come back: say so once per outage and keep polling.
      if (!unreadable && !stopped) subscriber.next({ kind: 'notice', warning: { code: error.code, message: error.message } });
      unreadable = true;
    } finally {
      scanning = false;
    }
    schedule(again ? 0 : settings.pollMs);
    again = false;
  };

  const stop = (): void => {
    stopped = true;
    tracker.stop();
    if (timer) clearTimeout(timer);
    timer = null;
    watcher?.close();
    watcher = null;
    stall.stop();
  };
  const fail = (error: BoldstreamError): void => {
    stop();
    subscriber.error(error);
  };

  if (settings.useFsWatch) {
    try {
      watcher = watch(settings.dir, { persistent: false }, (_event, name) => {
        if (name) tracker.hint(name.toString());
        schedule(EVENT_DELAY_MS);
      });
      // Events are a bonus: when the watcher fails (too many watches, a share), polling carries on alone.
      watcher.on('error', () => {
        watcher?.close();
        watcher = null;
      });
    } catch {
      watcher = null;
    }
  }

  tracker
    .snapshot()
    .then((existing) => {
      if (stopped) return;
      if (existing > 0 && !settings.includeExisting) {
        subscriber.next({ kind: 'notice', warning: warning('VOLUME_IGNORED', `files already in the folder when watching started (includeExisting is off): ${existing}`) });
      }
      ready = true;
      void scan();
    })
    .catch((thrown: unknown) => fail(asBoldstreamError(thrown, 'SOURCE_FAILED')));

  return stop;
}
