/**
 * The echo rule (rule.ts) applied to the volumes of one TR, one per echo (K10).
 *
 * Echoes are told apart by echo time; their numbers are EchoNumbers when every echo has one, else the rank
 * of the echo time (1 = shortest). "Keep echo N" returns that echo's volume; "mean" averages every echo
 * of the series voxel by voxel, and a TR that lacks one of them, or whose echoes are on different grids,
 * is DICOM_ECHOES_UNEQUAL rather than an average of fewer echoes.
 */
import { BoldstreamError } from '../../errors.js';
import type { DicomSeriesRule } from './rule.js';
import type { StackedVolume } from './stack.js';

export interface EchoVolume {
  /** echoKey(time, number) of rule.ts. */
  readonly key: string;
  readonly stacked: StackedVolume;
  /** Instance hashes of the images it was built from. */
  readonly instances: readonly string[];
}

export interface EchoInfo {
  readonly key: string;
  readonly number: number | null;
  readonly timeMs: number | null;
}

/** Echo key → echo number for the whole series. */
export function numberEchoes(echoes: readonly EchoInfo[]): Map<string, number> {
  const unique = [...new Map(echoes.map((e) => [e.key, e])).values()];
  const numbered = unique.every((e) => e.number !== null) && new Set(unique.map((e) => e.number)).size === unique.length;
  const ranked = [...unique].sort((a, b) => (a.timeMs ?? 0) - (b.timeMs ?? 0) || (a.number ?? 0) - (b.number ?? 0));
  return new Map(ranked.map((e, i) => [e.key, numbered ? e.number! : i + 1]));
}

function sameGrid(a: StackedVolume, b: StackedVolume): boolean {
  return a.grid.dims.every((d, i) => d === b.grid.dims[i]) && Array.from(a.grid.affine).every((v, i) => Math.abs(v - b.grid.affine[i]!) < 1e-3);
}

/**
 * The volume the rule makes of one TR, null when this TR has no volume of the kept echo yet. `numbers` is
 * the series' echo numbering; for 'mean' every echo in it must be present.
 */
export function applyEchoRule(tr: number, volumes: readonly EchoVolume[], numbers: ReadonlyMap<string, number>, rule: DicomSeriesRule): EchoVolume | null {
  // A single-echo series has nothing to choose from, whatever its EchoNumbers say.
  if (numbers.size <= 1) return volumes[0] ?? null;
  if (rule.echo !== 'mean') return volumes.find((v) => numbers.get(v.key) === rule.echo) ?? null;
  const missing = [...numbers].filter(([key]) => !volumes.some((v) => v.key === key)).map(([, n]) => n);
  if (missing.length > 0) throw new BoldstreamError('DICOM_ECHOES_UNEQUAL', `TR ${tr} lacks echo ${missing.join(', ')} of ${numbers.size}; an average of fewer echoes would be another signal`);
  const ordered = [...volumes].sort((a, b) => numbers.get(a.key)! - numbers.get(b.key)!);
  const first = ordered[0]!.stacked;
  if (!ordered.every((v) => sameGrid(v.stacked, first))) throw new BoldstreamError('DICOM_ECHOES_UNEQUAL', `TR ${tr}: the echoes are on different voxel grids`);
  const data = new Float32Array(first.data.length);
  for (const v of ordered) for (let i = 0; i < data.length; i++) data[i]! += v.stacked.data[i]!;
  for (let i = 0; i < data.length; i++) data[i]! /= ordered.length;
  return { key: 'mean', stacked: { ...first, data }, instances: ordered.flatMap((v) => v.instances) };
}
