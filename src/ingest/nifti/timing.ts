/**
 * Repetition time from a NIfTI header, with unit sanity (K20).
 *
 * pixdim[4] in the time unit of xyzt_units: ms and us are converted to seconds. A value labelled
 * seconds (or unlabelled) of 100 or more is a TR in milliseconds mislabelled, as in nibabel's
 * example4d.nii.gz (2000 "s"): no fMRI TR is 100 s, so it is read as value/1000 with HEADER_TR_UNITS.
 * A 3D image with no time step says nothing about TR and gets null without a warning; an image with
 * a time axis but no usable step gets null with HEADER_TR_MISSING. A BIDS sidecar, when there is one,
 * wins over all of this (see ingest/bids).
 */
import { warning, type Warning } from '../../errors.js';
import type { RawHeader } from './header.js';

const TIME_UNIT_MASK = 0x38;
/** Divisors to seconds (division, not multiplication by 1e-3, keeps 1500 ms exactly 1.5 s). */
const UNITS_PER_SECOND = new Map<number, number>([
  [0, 1], // unknown: nifti1.h says nothing, every converter means seconds
  [8, 1],
  [16, 1e3],
  [24, 1e6],
]);
const SURELY_MILLISECONDS = 100;

export const TIME_UNIT_NAMES = new Map<number, string>([
  [0, 'unknown'], [8, 's'], [16, 'ms'], [24, 'us'], [32, 'Hz'], [40, 'ppm'], [48, 'rad/s'],
]);

export const SPACE_UNIT_NAMES = new Map<number, string>([[0, 'unknown'], [1, 'm'], [2, 'mm'], [3, 'um']]);

export interface HeaderTiming {
  readonly seconds: number | null;
  readonly warnings: Warning[];
}

export function headerRepetitionTime(h: RawHeader, source: string): HeaderTiming {
  const value = h.pixdim[4] ?? 0;
  const hasTimeAxis = (h.dim[0] ?? 0) >= 4;
  if (!hasTimeAxis && !(value > 0)) return { seconds: null, warnings: [] };
  const unit = h.xyztUnits & TIME_UNIT_MASK;
  const perSecond = UNITS_PER_SECOND.get(unit);
  if (perSecond === undefined) {
    const name = TIME_UNIT_NAMES.get(unit) ?? `code ${unit}`;
    return { seconds: null, warnings: [warning('HEADER_TR_MISSING', `${source}: the 4th axis is in ${name}, not time`)] };
  }
  if (!(value > 0) || !Number.isFinite(value)) {
    return { seconds: null, warnings: [warning('HEADER_TR_MISSING', `${source}: pixdim[4] is ${value}`)] };
  }
  if (perSecond === 1 && value >= SURELY_MILLISECONDS) {
    const seconds = value / 1000;
    return { seconds, warnings: [warning('HEADER_TR_UNITS', `${source}: pixdim[4] ${value} labelled seconds, read as ${seconds} s`)] };
  }
  return { seconds: value / perSecond, warnings: [] };
}
