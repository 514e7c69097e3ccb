/**
 * The assembler the DICOM sources feed every complete single slice to: one SeriesAssembly per series
 * (slice-assembly.ts), the series rule (K11 derived series, K10 echoes) applied on the way in.
 *
 * A replay feeds the slices of its folder in header order, then calls flush(); a watched folder feeds
 * slices as their files complete and never flushes (a TR left short is given up once newer TRs have
 * begun, and the sequencer reports it as missing meanwhile). Both get the same volumes (invariant 8).
 */
import type { BoldstreamError, Warning } from '../../errors.js';
import { warning } from '../../errors.js';
import type { Volume } from '../../volume.js';
import { DEFAULT_SERIES_RULE, type DicomSeriesRule, type DicomSlice, refusedByRule } from '../dicom/index.js';
import { SeriesAssembly } from './slice-assembly.js';

export type AssemblyOutput =
  | { readonly kind: 'volume'; readonly volume: Volume; readonly seriesNumber: number | null }
  /** `series`: the identity its volume would have had (the sources keep problems of other series out). */
  | { readonly kind: 'problem'; readonly series: string; readonly tr: number; readonly error: BoldstreamError }
  | { readonly kind: 'notice'; readonly warning: Warning };

/** TRs a short TR may trail the newest before it is given up (a slow write of one file takes less). */
const GIVE_UP_AFTER_TRS = 3;

export class SliceAssembler {
  private readonly series = new Map<string, SeriesAssembly>();
  private readonly refused = new Set<string>();

  constructor(private readonly rule: DicomSeriesRule = DEFAULT_SERIES_RULE) {}

  add(slice: DicomSlice, receivedAt: number): AssemblyOutput[] {
    const why = refusedByRule(slice.derived, this.rule);
    if (why !== null) {
      if (this.refused.has(slice.seriesKey)) return [];
      this.refused.add(slice.seriesKey);
      return [{ kind: 'notice', warning: warning('VOLUME_IGNORED', `series ${slice.seriesNumber ?? '(no number)'}: ${why}`) }];
    }
    let assembly = this.series.get(slice.seriesKey);
    if (!assembly) this.series.set(slice.seriesKey, (assembly = new SeriesAssembly(this.rule, GIVE_UP_AFTER_TRS)));
    return assembly.add(slice, receivedAt);
  }

  flush(receivedAt: number): AssemblyOutput[] {
    return [...this.series.values()].flatMap((assembly) => assembly.flush(receivedAt));
  }
}
