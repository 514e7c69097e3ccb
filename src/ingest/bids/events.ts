/**
 * BIDS `_events.tsv`: one row per event, `onset` and `duration` in seconds from the first volume.
 * BIDS allows `n/a` for a duration (an impulse) and for any other column; an onset must be a number.
 * A bad cell fails the whole table with its line number, because a trial silently lost or shifted
 * would mislabel every TR after it.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { BoldstreamError } from '../../errors.js';

export interface EventRow {
  readonly onset: number;
  readonly duration: number;
  readonly trial_type?: string;
  readonly stim_file?: string;
  /** Other columns as written; cells holding `n/a` are left out. */
  readonly [column: string]: string | number | undefined;
}

const NOT_AVAILABLE = 'n/a';
/** A plain decimal number: Number() alone would take '' as 0 and 'Infinity' as a number. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function invalid(file: string, line: number, detail: string): BoldstreamError {
  return new BoldstreamError('EVENTS_INVALID', `${file} line ${line}: ${detail}`);
}

function seconds(file: string, line: number, column: string, cell: string, allowMissing: boolean): number {
  if (allowMissing && cell === NOT_AVAILABLE) return 0;
  if (!DECIMAL.test(cell)) throw invalid(file, line, `${column} "${cell}" is not a number`);
  const value = Number(cell);
  if (column === 'duration' && value < 0) throw invalid(file, line, `duration ${cell} is negative`);
  return value;
}

/** Parses the text of an events table; `file` names it in messages. */
export function parseEvents(text: string, file = 'events.tsv'): EventRow[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const columns = (lines[0] ?? '').split('\t').map((c) => c.trim());
  for (const required of ['onset', 'duration']) {
    if (!columns.includes(required)) throw invalid(file, 1, `no "${required}" column (columns: ${columns.join(', ')})`);
  }
  const rows: EventRow[] = [];
  lines.slice(1).forEach((raw, index) => {
    const line = index + 2;
    if (raw.trim() === '') return;
    const cells = raw.split('\t').map((c) => c.trim());
    if (cells.length !== columns.length) throw invalid(file, line, `${cells.length} cells for ${columns.length} columns`);
    const row: Record<string, string | number> = {};
    columns.forEach((column, i) => {
      const cell = cells[i]!;
      if (column === 'onset') row.onset = seconds(file, line, column, cell, false);
      else if (column === 'duration') row.duration = seconds(file, line, column, cell, true);
      else if (cell !== NOT_AVAILABLE) row[column] = cell;
    });
    rows.push(row as EventRow);
  });
  return rows;
}

/** Reads and parses an events table, rows in file order. */
export async function readEvents(file: string): Promise<EventRow[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (thrown) {
    throw new BoldstreamError('INPUT_NOT_FOUND', `${file}: ${(thrown as NodeJS.ErrnoException).code ?? String(thrown)}`, { cause: thrown });
  }
  return parseEvents(text, file);
}

const BOLD_NAME = /_bold\.nii(\.gz)?$/;
/** Entities that split one run into several files but share its events (multi-echo, magnitude/phase). */
const PER_FILE_ENTITIES = /_(echo|part)-[a-zA-Z0-9]+/g;

/** The `_events.tsv` beside a `_bold` run (without echo-/part- when those are per file), or null. */
export async function eventsFor(runPath: string): Promise<string | null> {
  const name = path.basename(runPath);
  if (!BOLD_NAME.test(name)) return null;
  const stem = name.replace(BOLD_NAME, '');
  const candidates = [...new Set([stem, stem.replace(PER_FILE_ENTITIES, '')])];
  for (const candidate of candidates) {
    const file = path.join(path.dirname(runPath), `${candidate}_events.tsv`);
    if (await stat(file).then((s) => s.isFile(), () => false)) return file;
  }
  return null;
}
