/**
 * Which series of a shared export folder is this session's (K04), and the run index of files whose
 * header has none (single-volume NIfTI).
 *
 * A scanner's real-time export folder collects every series of the session: localisers, older runs,
 * the scanner's own motion-corrected copy (K11), a restarted run (new series number and UID). The first
 * new series to deliver an image is selected, or the one with the configured series number; everything
 * else is reported once per series and never becomes an error record. When several series deliver in
 * the same poll (a session folder read with includeExisting), the series of the newest file wins: that
 * is the run the scanner is writing now. A restarted run is another series and is ignored; follow it
 * with a new session.
 */
import { type Warning, warning } from '../../errors.js';

export interface SeriesOf {
  /** Header series key (DICOM), or `nifti:` + a hash of the voxel grid. */
  readonly series: string;
  readonly seriesNumber: number | null;
}

function label(of: SeriesOf): string {
  // NIfTI names no series: files on one voxel grid count as one (file-volume.ts).
  if (of.series.startsWith('nifti:')) return 'single-volume NIfTI files of one voxel grid';
  return of.seriesNumber === null ? 'a series without a number' : `series ${of.seriesNumber}`;
}

export class SeriesFilter {
  private selected: SeriesOf | null = null;
  private readonly reported = new Set<string>();

  constructor(private readonly wanted: number | undefined) {}

  private eligible(of: SeriesOf): boolean {
    return this.wanted === undefined || of.seriesNumber === this.wanted;
  }

  /** Before a poll's files are admitted: selects a series if none is yet, the newest file's among the eligible. */
  selectAmong(candidates: readonly (SeriesOf & { readonly mtimeMs: number })[]): void {
    if (this.selected) return;
    const eligible = candidates.filter((c) => this.eligible(c));
    if (eligible.length === 0) return;
    const newest = eligible.reduce((a, b) => (b.mtimeMs > a.mtimeMs ? b : a));
    this.selected = { series: newest.series, seriesNumber: newest.seriesNumber };
  }

  /** True for the selected series; otherwise a notice the first time this series is seen, then null. */
  admit(of: SeriesOf, name: string): true | Warning | null {
    if (!this.selected && this.eligible(of)) this.selected = { series: of.series, seriesNumber: of.seriesNumber };
    if (this.selected?.series === of.series) return true;
    if (this.reported.has(of.series)) return null;
    this.reported.add(of.series);
    const because = this.selected ? `${label(this.selected)} is the selected one` : `series ${this.wanted} is the configured one`;
    // Two series with one number: another study's folder, or a number reused after a restart.
    const twin = this.selected && this.selected.seriesNumber === of.seriesNumber && of.seriesNumber !== null ? ' with another SeriesInstanceUID' : '';
    return warning('VOLUME_IGNORED', `${label(of)}${twin} (first file ${name}): ${because}`);
  }
}

/**
 * Run indices for files that carry none, by order of arrival, per series. This breaks invariant 2 by
 * necessity, so it is said once (VOLUME_ORDER_BY_ARRIVAL). A copy of a file already numbered (same
 * content hash) gets the same index, so the sequencer drops it as a duplicate (K12).
 */
export class ArrivalIndex {
  private readonly next = new Map<string, number>();
  private readonly byInstance = new Map<string, number>();
  private warned = false;

  assign(series: string, instance: string): { index: number; notice: Warning | null } {
    const key = `${series}|${instance}`;
    let index = this.byInstance.get(key);
    if (index === undefined) {
      index = this.next.get(series) ?? 0;
      this.next.set(series, index + 1);
      this.byInstance.set(key, index);
    }
    const notice = this.warned ? null : warning('VOLUME_ORDER_BY_ARRIVAL', 'a lone NIfTI names no TR; file arrival order is used, so a file that arrives late takes a later index');
    this.warned = true;
    return { index, notice };
  }
}
