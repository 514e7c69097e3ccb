/**
 * Per-slice exports (GE, Philips, Siemens without mosaic) → volumes, one series at a time.
 *
 *   slice ─▶ group by TR (header: slice.ts) and echo ─▶ one slice per position (K12) ─▶ complete? ─▶ stack (K07)
 *                                                                                      └─ echo rule (K10) ─▶ volume
 *
 * The slice count is the geometry actually present (K09): the number of distinct positions in the
 * run's first TR, known once a slice of a later TR has arrived (scanners write TR by TR) or the input
 * ends. A slice count the header states is not trusted for this; when it disagrees, a warning names both.
 * So the first volume of a per-slice series leaves one TR late; every later one leaves the moment its last
 * slice arrives. The echoes of the series are those of its first TR, numbered as echoes.ts says.
 * A TR still short of slices when `giveUpAfter` newer TRs have begun, or when the input ends, is
 * DICOM_SLICES_INCOMPLETE (K08); a TR that lacks an echo the rule needs is DICOM_ECHOES_UNEQUAL.
 */
import { BoldstreamError, type Warning, warning } from '../../errors.js';
import type { DicomSeriesRule, DicomSlice } from '../dicom/index.js';
import { applyEchoRule, type EchoInfo, type EchoVolume, numberEchoes } from '../dicom/echoes.js';
import { combinedInstance, echoKey, ruledSeriesKey } from '../dicom/rule.js';
import { stackSlices } from '../dicom/stack.js';
import type { AssemblyOutput } from './slice-assembler.js';

type Echoes = Map<string, Map<string, DicomSlice>>;

const positionKey = (s: DicomSlice) => s.image.position.map((v) => Math.round(v * 100)).join(',');
const keyOf = (s: DicomSlice) => echoKey(s.echoTimeMs, s.echoNumber);

export class SeriesAssembly {
  private readonly trs = new Map<number, Echoes>();
  private readonly done = new Set<number>();
  /** Instances of slices already made into volumes: a copy that comes later is a duplicate (K12), not a late slice. */
  private readonly used = new Set<string>();
  private readonly echoes = new Map<string, EchoInfo>();
  private numbers: Map<string, number> | null = null;
  private expected = 0;
  private firstTr = Number.POSITIVE_INFINITY;
  private newestTr = Number.NEGATIVE_INFINITY;
  private pending: Warning[] = [];

  constructor(
    private readonly rule: DicomSeriesRule,
    private readonly giveUpAfter: number,
  ) {}

  add(slice: DicomSlice, receivedAt: number): AssemblyOutput[] {
    const tr = slice.temporalIndex;
    if (this.done.has(tr)) {
      if (this.used.has(slice.instance)) return [{ kind: 'notice', warning: warning('VOLUME_DUPLICATE', `TR ${tr}: the same slice again (instance ${slice.instanceNumber ?? '?'})`) }];
      // Another echo than the kept one may well finish after the kept one made the volume.
      const unwanted = this.numbers !== null && !this.wanted().includes(keyOf(slice));
      return unwanted ? [] : [{ kind: 'notice', warning: this.lateNotice(slice) }];
    }
    const byEcho = this.trs.get(tr) ?? new Map<string, Map<string, DicomSlice>>();
    this.trs.set(tr, byEcho);
    const key = keyOf(slice);
    const slot = byEcho.get(key) ?? new Map<string, DicomSlice>();
    byEcho.set(key, slot);
    const at = positionKey(slice);
    const present = slot.get(at);
    if (present) {
      const same = present.instance === slice.instance;
      return [{ kind: 'notice', warning: warning('VOLUME_DUPLICATE', `TR ${tr}: ${same ? 'the same slice twice' : 'another slice at the same position; the first one is kept'} (instance ${slice.instanceNumber ?? '?'})`) }];
    }
    slot.set(at, slice);
    if (this.numbers === null) this.echoes.set(key, { key, number: slice.echoNumber, timeMs: slice.echoTimeMs });
    this.firstTr = Math.min(this.firstTr, tr);
    this.newestTr = Math.max(this.newestTr, tr);
    if (this.numbers === null && tr > this.firstTr) this.settle();
    return this.numbers === null ? [] : [...this.emitComplete(receivedAt), ...this.giveUp(false)];
  }

  /** End of input: settle with what there is, emit what is complete, report the rest. */
  flush(receivedAt: number): AssemblyOutput[] {
    if (this.numbers === null && this.trs.size > 0) this.settle();
    return [...this.emitComplete(receivedAt), ...this.giveUp(true)];
  }

  private seriesIdentity(byEcho: Echoes): string {
    const any = [...byEcho.values()].find((slot) => slot.size > 0)!.values().next().value!;
    return ruledSeriesKey(any.seriesKey, (this.numbers?.size ?? 1) > 1, this.rule);
  }

  private lateNotice(slice: DicomSlice): Warning {
    return warning('DICOM_HEADER_DISAGREE', `a slice of TR ${slice.temporalIndex} (instance ${slice.instanceNumber ?? '?'}) came after its volume was made of ${this.expected} slices; it is left out`);
  }

  /** The first TR fixes the slice count (its distinct positions) and the echoes of the series. */
  private settle(): void {
    const first = this.trs.get(this.firstTr)!;
    this.expected = Math.max(...[...first.values()].map((slot) => slot.size));
    this.numbers = numberEchoes([...this.echoes.values()]);
    const stated = [...first.values()][0]!.values().next().value!.statedSliceCounts;
    const disagree = stated.filter((s) => s.count !== this.expected);
    if (disagree.length > 0) {
      const named = disagree.map((s) => `${s.source} says ${s.count}`).join(', ');
      this.pending.push(warning('DICOM_HEADER_DISAGREE', `slice count: ${named}; the first TR holds ${this.expected} positions, which is used`));
    }
  }

  private wanted(): string[] {
    const numbers = this.numbers!;
    if (numbers.size <= 1 || this.rule.echo === 'mean') return [...numbers.keys()];
    return [...numbers].filter(([, n]) => n === this.rule.echo).map(([key]) => key);
  }

  private emitComplete(receivedAt: number): AssemblyOutput[] {
    const out: AssemblyOutput[] = [];
    const wanted = this.wanted();
    for (const [tr, byEcho] of [...this.trs].sort((a, b) => a[0] - b[0])) {
      if (wanted.length === 0 || !wanted.every((key) => byEcho.get(key)?.size === this.expected)) continue;
      out.push(this.build(tr, byEcho, wanted, receivedAt));
    }
    return out;
  }

  private build(tr: number, byEcho: Echoes, wanted: readonly string[], receivedAt: number): AssemblyOutput {
    this.trs.delete(tr);
    this.done.add(tr);
    for (const slot of byEcho.values()) for (const s of slot.values()) this.used.add(s.instance);
    try {
      const warnings = this.pending;
      this.pending = [];
      const volumes: EchoVolume[] = wanted.map((key) => {
        const slices = [...byEcho.get(key)!.values()];
        return { key, stacked: stackSlices(slices.map((s) => s.image), warnings), instances: slices.map((s) => s.instance) };
      });
      const chosen = applyEchoRule(tr, volumes, this.numbers!, this.rule)!;
      const first = byEcho.get(wanted[0]!)!.values().next().value!;
      const { stacked } = chosen;
      return {
        kind: 'volume',
        seriesNumber: first.seriesNumber,
        volume: {
          identity: { series: this.seriesIdentity(byEcho), index: tr, instance: combinedInstance(chosen.instances, chosen.key) },
          grid: stacked.grid,
          data: stacked.data,
          acquisitionTime: stacked.acquisitionTime,
          receivedAt,
          repetitionTime: first.repetitionTime,
          ...(stacked.sliceTiming ? { sliceTiming: stacked.sliceTiming } : {}),
          warnings,
        },
      };
    } catch (thrown) {
      if (!(thrown instanceof BoldstreamError)) throw thrown;
      return { kind: 'problem', series: this.seriesIdentity(byEcho), tr, error: thrown };
    }
  }

  /** TRs that can no longer complete: far behind the newest (live) or at the end of input. */
  private giveUp(all: boolean): AssemblyOutput[] {
    const out: AssemblyOutput[] = [];
    const wanted = this.numbers === null ? [] : this.wanted();
    for (const [tr, byEcho] of [...this.trs].sort((a, b) => a[0] - b[0])) {
      if (!all && this.newestTr - tr < this.giveUpAfter) continue;
      this.trs.delete(tr);
      this.done.add(tr);
      // Every echo present is whole, yet one the rule needs is not there: an echo problem, not a slice problem.
      const whole = [...byEcho.values()].every((slot) => slot.size === this.expected);
      const lacking = wanted.length === 0 ? [] : wanted.filter((key) => byEcho.get(key)?.size !== this.expected);
      const echoes = this.rule.echo === 'mean' ? lacking.map((k) => this.numbers!.get(k)).join(', ') : String(this.rule.echo);
      const error =
        this.numbers !== null && whole && (lacking.length > 0 || wanted.length === 0)
          ? new BoldstreamError('DICOM_ECHOES_UNEQUAL', `TR ${tr} lacks echo ${echoes} (the series has ${this.numbers.size})`)
          : new BoldstreamError('DICOM_SLICES_INCOMPLETE', `TR ${tr} has ${Math.max(...[...byEcho.values()].map((slot) => slot.size))} of ${this.expected} slices`);
      out.push({ kind: 'problem', series: this.seriesIdentity(byEcho), tr, error });
    }
    return out;
  }
}
