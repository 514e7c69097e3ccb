/**
 * What one poll of the watched folder found → source items, in header order.
 *
 * After a stall the export often delivers many files at once (K27). Everything that became ready in the
 * same poll is emitted sorted by run index, so the sequencer downstream sees a burst in order and never
 * has to hold volumes back for it. Notices go first: they belong to the records that follow.
 */
import { type Warning, warning } from '../../errors.js';
import type { Volume } from '../../volume.js';
import type { SourceItem } from './source.js';
import type { Outcome } from './watch-files.js';
import type { ArrivalIndex, SeriesFilter, SeriesOf } from './watch-series.js';

type Ordered = { readonly index: number; readonly item: SourceItem };

function seriesOf(outcome: Outcome): (SeriesOf & { mtimeMs: number }) | null {
  if (outcome.kind === 'ignored') return null;
  if (outcome.kind === 'problem' || outcome.kind === 'arriving') {
    return outcome.header ? { series: outcome.header.identity.series, seriesNumber: outcome.header.seriesNumber, mtimeMs: outcome.mtimeMs } : null;
  }
  const { reading } = outcome;
  if (reading.kind === 'volume') return { series: reading.volume.identity.series, seriesNumber: reading.seriesNumber, mtimeMs: outcome.mtimeMs };
  return { series: reading.series, seriesNumber: null, mtimeMs: outcome.mtimeMs };
}

/** Arrival order for files without an index: modification time, then name, both as the folder shows them. */
function byArrival(a: Outcome, b: Outcome): number {
  const time = (o: Outcome) => (o.kind === 'ignored' ? 0 : o.mtimeMs);
  return time(a) - time(b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

export function itemsOfPoll(outcomes: readonly Outcome[], filter: SeriesFilter, arrival: ArrivalIndex): SourceItem[] {
  const notices: Warning[] = [];
  const ordered: Ordered[] = [];
  filter.selectAmong(outcomes.map(seriesOf).filter((s) => s !== null));

  for (const outcome of [...outcomes].sort(byArrival)) {
    if (outcome.kind === 'ignored') {
      notices.push(warning('VOLUME_IGNORED', outcome.reason));
      continue;
    }
    const series = seriesOf(outcome);
    const admitted = series ? filter.admit(series, outcome.name) : true;
    if (admitted !== true) {
      if (admitted) notices.push(admitted);
      continue;
    }
    if (outcome.kind === 'arriving') {
      ordered.push({ index: outcome.header.identity.index, item: { kind: 'expected', tr: outcome.header.identity.index, file: outcome.name } });
      continue;
    }
    if (outcome.kind === 'problem') {
      const tr = outcome.header?.identity.index ?? null;
      ordered.push({ index: tr ?? -1, item: { kind: 'problem', tr, error: outcome.error, file: outcome.name } });
      continue;
    }
    const { reading } = outcome;
    let volume: Volume;
    if (reading.kind === 'volume') volume = reading.volume;
    else {
      const { index, notice } = arrival.assign(reading.series, reading.instance);
      if (notice) notices.push(notice);
      volume = { ...reading.volume, identity: { series: reading.series, index, instance: reading.instance } };
    }
    ordered.push({ index: volume.identity.index, item: { kind: 'volume', volume } });
  }

  // Array.prototype.sort is stable: items with the same index (a duplicate) keep arrival order.
  ordered.sort((a, b) => a.index - b.index);
  return [...notices.map((w): SourceItem => ({ kind: 'notice', warning: w })), ...ordered.map((o) => o.item)];
}
