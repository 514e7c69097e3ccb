/**
 * Command-line values shared by several commands, turned into typed specs once.
 */
import path from 'node:path';
import { BoldstreamError } from '../errors.js';
import type { EventMarker, MaskSpec } from '../generated/boldstream.js';
import { readEvents } from '../ingest/bids/index.js';

export type Values = Readonly<Record<string, string | boolean | string[] | boolean[] | undefined>>;

export function stringOption(values: Values, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

export function listOption(values: Values, name: string): string[] {
  const v = values[name];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : [];
}

export function numberOption(values: Values, name: string): number | undefined {
  const v = stringOption(values, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new BoldstreamError('CLI_USAGE', `--${name} must be a number, not "${v}"`);
  return n;
}

/** A mask's name is what the records call it: `name=path`, or the file name without its extension. */
export function maskSpecs(values: Values): MaskSpec[] {
  return listOption(values, 'mask').map((given) => {
    const at = given.indexOf('=');
    const file = at > 0 ? given.slice(at + 1) : given;
    const name = at > 0 ? given.slice(0, at) : path.basename(file).replace(/\.nii(\.gz)?$/i, '');
    return { name, path: path.resolve(file) };
  });
}

export async function eventMarkers(file: string | undefined): Promise<EventMarker[]> {
  if (!file) return [];
  const rows = await readEvents(file);
  return rows.map((r) => ({
    onset: r.onset,
    duration: r.duration,
    ...(r.trial_type ? { trial_type: r.trial_type } : {}),
    ...(r.stim_file ? { stim_file: r.stim_file } : {}),
  }));
}
