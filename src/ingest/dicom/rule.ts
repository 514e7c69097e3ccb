/**
 * Which images of a session folder make the run: the echo rule (K10) and the derived-series rule (K11).
 *
 * Multi-echo: echoes are kept apart by echo time (and EchoNumbers where present); the rule keeps echo N
 * (default the first, numbered from 1 in order of echo time when the header does not number them), or
 * averages all echoes of a TR into one volume. A kept echo other than the first, and the average, get
 * their own series identity (".e2", ".mean"), so volumes of different rules are never mixed.
 * Derived series: the scanner's own motion-corrected copy (ImageType MOCO) or any DERIVED series. By
 * default they are ignored; `derived: 'use'` takes them instead of the original series.
 */
import { shortHash } from './identity.js';

export interface DicomSeriesRule {
  /** Echo number to keep (1 = first), or 'mean' to average every echo of a TR. */
  readonly echo: number | 'mean';
  /** The scanner's motion-corrected or otherwise derived series: ignored (default) or used instead. */
  readonly derived: 'ignore' | 'use';
}

export const DEFAULT_SERIES_RULE: DicomSeriesRule = Object.freeze({ echo: 1, derived: 'ignore' });

export type DerivedKind = 'moco' | 'derived' | null;

/** ImageType (0008,0008): value 1 ORIGINAL/DERIVED; Siemens adds MOCO to its motion-corrected copy. */
export function derivedKind(imageType: readonly string[]): DerivedKind {
  const upper = imageType.map((v) => v.toUpperCase());
  if (upper.includes('MOCO')) return 'moco';
  return upper[0] === 'DERIVED' ? 'derived' : null;
}

/** null when the rule takes images of this kind; otherwise why they are left out (for a VOLUME_IGNORED notice). */
export function refusedByRule(kind: DerivedKind, rule: DicomSeriesRule): string | null {
  if (rule.derived === 'ignore' && kind !== null) return kind === 'moco' ? "the scanner's motion-corrected copy (ImageType MOCO) is ignored by the series rule (K11)" : 'a derived series (ImageType DERIVED) is ignored by the series rule (K11)';
  if (rule.derived === 'use' && kind === null) return 'an original series is ignored: the series rule takes the derived (motion-corrected) one (K11)';
  return null;
}

export interface EchoId {
  /** EchoNumbers (0018,0086), or the rank of the echo time in the series. */
  readonly number: number;
  readonly timeMs: number | null;
}

/** Echo times as a key: the same echo written with float noise is one echo. */
export const echoKey = (timeMs: number | null, number: number | null): string => (timeMs !== null ? `t${Math.round(timeMs * 1000)}` : `n${number ?? 1}`);

/** Series identity of the volumes the rule makes: the plain key for echo 1 and single-echo series. */
export function ruledSeriesKey(seriesKey: string, multiEcho: boolean, rule: DicomSeriesRule): string {
  if (!multiEcho) return seriesKey;
  if (rule.echo === 'mean') return `${seriesKey}.mean`;
  return rule.echo === 1 ? seriesKey : `${seriesKey}.e${rule.echo}`;
}

/** Instance identity of a volume built from several images: the same images give the same hash (K12). */
export function combinedInstance(instances: readonly string[], echo: string): string {
  return shortHash(`${[...instances].sort().join(',')}|${echo}`);
}
