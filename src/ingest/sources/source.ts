/**
 * The one interface every volume source implements: replay of a file or folder, a watched export
 * folder, volumes pushed over the network, a session recording.
 *
 * A source only says what it received. Ordering, duplicates, gaps and dummy scans are decided
 * downstream by one operator (pipeline/sequence-volumes.ts) from header identity, so that a replay
 * and a live export take the same path (invariant 8).
 */
import type { Observable } from 'rxjs';
import type { BoldstreamError, Warning } from '../../errors.js';
import type { Volume } from '../../volume.js';
import type { PaceControl } from './pace-control.js';

export type SourceItem =
  /** A volume that parsed completely. */
  | { readonly kind: 'volume'; readonly volume: Volume }
  /** Something arrived but cannot become a volume; `tr` when the header told which TR it was. */
  | { readonly kind: 'problem'; readonly tr: number | null; readonly error: BoldstreamError; readonly file?: string }
  /** A condition of the source itself (stalled export, ignored file): goes into the next record's warnings. */
  | { readonly kind: 'notice'; readonly warning: Warning }
  /**
   * A file for this TR is arriving (its header names the TR, its data is not complete yet, K01/K02). If
   * the TR has to be given up before the file completes, its record says why instead of "missing".
   */
  | { readonly kind: 'expected'; readonly tr: number; readonly file: string };

export interface SourceDescription {
  readonly kind: 'replay' | 'watch' | 'push' | 'recording';
  /** What the source reads, for logs and session info (a path or a client id). */
  readonly from: string;
  /** Seconds between volumes when the source knows it (header, sidecar, recording). */
  readonly repetitionTime: number | null;
}

export interface VolumeSource {
  readonly description: SourceDescription;
  /** Cold: subscribing starts reading; unsubscribing stops it and releases files and timers. */
  items(): Observable<SourceItem>;
  /** Replays only: their pace, changeable while they run. A live source keeps the scanner's. */
  readonly pace?: PaceControl;
}
