/**
 * Enhanced (multi-frame) MR → volumes (K07): Siemens XA writes one file per volume, Philips one file per
 * volume (real-time export) or one per run; both go through here.
 *
 * Frames are grouped by TemporalPositionIndex and echo, and each group is stacked by position along the
 * slice normal (stack.ts), so the order frames are stored in (slice-major, time-major, anything) does not
 * matter. Without TemporalPositionIndex, the n-th frame at a position belongs to the n-th volume.
 * The slice count is the geometry actually present (K09): the frames of a complete volume. Counts the
 * header states (InStackPositionNumber, Philips (2001,1018), ...) that disagree are named in a warning; a
 * volume with fewer frames than the others (an interrupted run, K08) is an error for its TR only.
 * A file holding one temporal position is one volume, placed in the run by its InstanceNumber, like a
 * mosaic file; a file holding several places them by TemporalPositionIndex.
 */
import { BoldstreamError, type Warning, warning } from '../../errors.js';
import { applyEchoRule, type EchoVolume, numberEchoes } from './echoes.js';
import { type EnhancedFrame, readFrames } from './frames.js';
import type { DicomHeader } from './header.js';
import { readIdentity } from './identity.js';
import { pixelFormat } from './pixels.js';
import { statedSliceCounts } from './private.js';
import { combinedInstance, type DicomSeriesRule, echoKey } from './rule.js';
import { stackSlices, type StackedVolume } from './stack.js';
import type { PixelCodec, Vendor } from './syntax.js';

export interface RuledVolume {
  readonly index: number;
  readonly stacked: StackedVolume;
  readonly instance: string;
}

export interface EnhancedRun {
  readonly volumes: readonly RuledVolume[];
  readonly problems: readonly { readonly tr: number; readonly error: BoldstreamError }[];
  readonly multiEcho: boolean;
  readonly sliceCount: number;
}

const positionKey = (f: EnhancedFrame) => f.image.position.map((v) => Math.round(v * 100)).join(',');

/** Temporal position (1-based) of every frame: the header's index, or the n-th frame at a position. */
function temporalPositions(frames: readonly EnhancedFrame[], keys: readonly string[]): number[] {
  if (frames.every((f) => f.temporalIndex !== null && f.temporalIndex >= 1)) return frames.map((f) => f.temporalIndex!);
  const seen = new Map<string, number>();
  return frames.map((f, i) => {
    const key = `${keys[i]}|${positionKey(f)}`;
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    return n;
  });
}

function checkStatedCounts(header: DicomHeader, frames: readonly EnhancedFrame[], present: number, warnings: Warning[]): void {
  const stated = [...statedSliceCounts(header)];
  const inStack = Math.max(0, ...frames.map((f) => f.inStackPosition ?? 0));
  if (inStack > 0) stated.push({ source: 'InStackPositionNumber (0020,9057)', count: inStack });
  const disagree = stated.filter((s) => s.count !== present);
  if (disagree.length === 0) return;
  const named = disagree.map((s) => `${s.source} says ${s.count}`).join(', ');
  warnings.push(warning('DICOM_HEADER_DISAGREE', `slice count: ${named}; the frames hold ${present} positions per volume, which is used`));
}

export function readEnhanced(header: DicomHeader, codec: PixelCodec | null, vendor: Vendor, rule: DicomSeriesRule, warnings: Warning[]): EnhancedRun {
  const frames = readFrames(header, pixelFormat(header, true), codec, vendor);
  const keys = frames.map((f) => echoKey(f.echoTimeMs, null));
  const numbers = numberEchoes(frames.map((f, i) => ({ key: keys[i]!, number: null, timeMs: f.echoTimeMs })));
  const times = temporalPositions(frames, keys);
  const groups = new Map<number, Map<string, EnhancedFrame[]>>();
  frames.forEach((f, i) => {
    const byEcho = groups.get(times[i]!) ?? new Map<string, EnhancedFrame[]>();
    byEcho.set(keys[i]!, [...(byEcho.get(keys[i]!) ?? []), f]);
    groups.set(times[i]!, byEcho);
  });
  const sliceCount = Math.max(...[...groups.values()].flatMap((byEcho) => [...byEcho.values()].map((g) => g.length)));
  checkStatedCounts(header, frames, sliceCount, warnings);

  const ids = readIdentity(header);
  const single = groups.size === 1;
  const volumes: RuledVolume[] = [];
  const problems: { tr: number; error: BoldstreamError }[] = [];
  for (const [t, byEcho] of [...groups].sort((a, b) => a[0] - b[0])) {
    const tr = single ? ids.identity.index : t - 1;
    try {
      const perEcho: EchoVolume[] = [...byEcho].map(([key, group]) => {
        if (group.length !== sliceCount) throw new BoldstreamError('DICOM_SLICES_INCOMPLETE', `TR ${tr} has ${group.length} of ${sliceCount} slices in the file`);
        return { key, stacked: stackSlices(group.map((f) => f.image), warnings), instances: [`${ids.identity.instance ?? ids.seriesKey}#${t}`] };
      });
      const chosen = applyEchoRule(tr, perEcho, numbers, rule);
      if (!chosen) throw new BoldstreamError('DICOM_ECHOES_UNEQUAL', `TR ${tr} has no echo ${String(rule.echo)} (echoes present: ${perEcho.map((v) => numbers.get(v.key)).join(', ')})`);
      volumes.push({ index: tr, stacked: chosen.stacked, instance: combinedInstance(chosen.instances, chosen.key) });
    } catch (thrown) {
      if (!(thrown instanceof BoldstreamError)) throw thrown;
      problems.push({ tr, error: thrown });
    }
  }
  return { volumes, problems, multiEcho: numbers.size > 1, sliceCount };
}
