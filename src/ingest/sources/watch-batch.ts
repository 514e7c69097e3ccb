/**
 * What one poll of the watched folder found → source items, in header order.
 *
 * After a stall the export often delivers many files at once (K27). Everything that became ready in the
 * same poll is emitted sorted by run index, so the sequencer downstream sees a burst in order and never
 * has to hold volumes back for it. Notices go first: they belong to the records that follow.
 */
import { type Warning, warning } from '../../errors.js';
import type { Volume } from '../../volume.js';
import { SliceAssembler } from './slice-assembler.js';
import type { SourceItem } from './source.js';
import type { Outcome } from './watch-files.js';
import type { ArrivalIndex, SeriesFilter, SeriesOf } from './watch-series.js';

type Ordered = { readonly index: number; readonly item: SourceItem };

/**
 * Per-slice exports: one assembler per watch subscription. Keyed by that subscription's ArrivalIndex (made
 * once per subscription in watch-folder.ts), so the poll function keeps its signature.
 */
const assemblers = new WeakMap<ArrivalIndex, SliceAssembler>();
function assemblerOf(arrival: ArrivalIndex): SliceAssembler {
  let assembler = assemblers.get(arrival);
  if (!assembler) assemblers.set(arrival, (assembler = new SliceAssembler()));
  return assembler;
}

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
    if (reading.kind === 'volume' && reading.slice) {
      // One slice: a volume leaves the assembler once its TR has all its slices (slice-assembly.ts).
      for (const made of assemblerOf(arrival).add(reading.slice, reading.volume.receivedAt)) {
        if (made.kind === 'notice') notices.push(made.warning);
        else if (made.kind === 'problem') ordered.push({ index: made.tr, item: { kind: 'problem', tr: made.tr, error: made.error, file: outcome.name } });
        else ordered.push({ index: made.volume.identity.index, item: { kind: 'volume', volume: made.volume } });
      }
      continue;
    }
    if (reading.kind === 'volume') {
      volume = reading.volume;
      // An enhanced file with several volumes (a whole Philips run dropped in): all of them, and its failed TRs.
      for (const more of reading.more ?? []) ordered.push({ index: more.identity.index, item: { kind: 'volume', volume: more } });
      for (const p of reading.problems ?? []) ordered.push({ index: p.tr, item: { kind: 'problem', tr: p.tr, error: p.error, file: outcome.name } });
    } else {
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
