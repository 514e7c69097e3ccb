/**
 * The evaluation as people read it (a table on stdout) and as scripts read it (`--json`).
 *
 * Every row puts a reconstruction's score beside the baseline's, because a score alone is not
 * readable: an SSIM of 0.4 is good or useless depending on what the mean training image gets.
 */
import type { EvaluationReport } from './evaluate.js';
import { METRICS, type MetricName, type MetricSummary, type ScoredSet } from './score-set.js';

const PIXEL_ROWS: readonly MetricName[] = ['pixelCorrelation', 'ssim', 'pixelIdentification', 'pixelProfileCorrelation'];
const FEATURE_ROWS: readonly MetricName[] = ['featurePatternCorrelation', 'featureIdentification', 'featureProfileCorrelation'];
const ITERATION_COLUMNS: readonly [MetricName, string][] = [
  ['pixelCorrelation', 'pixel r'],
  ['ssim', 'SSIM'],
  ['pixelIdentification', 'ident px'],
  ['featurePatternCorrelation', 'pattern cnn'],
  ['featureIdentification', 'ident cnn'],
];

const fixed = (v: number): string => (Number.isFinite(v) ? v.toFixed(3) : '—');

/** "0.412 [0.371, 0.450]" over trials; "0.310 ± 0.120" over units. */
function cell(name: MetricName, s: MetricSummary | undefined): string {
  if (!s || s.n === 0) return '—';
  if (METRICS[name].over === 'units') return `${fixed(s.mean)} ± ${fixed(s.sd)}`;
  return s.ci95 ? `${fixed(s.mean)} [${fixed(s.ci95[0])}, ${fixed(s.ci95[1])}]` : fixed(s.mean);
}

function rowLabel(name: MetricName, s: MetricSummary | undefined): string {
  const label = METRICS[name].label;
  return METRICS[name].over === 'units' && s ? `${label} (${s.n + s.excluded} units)` : label;
}

function notes(name: MetricName, s: MetricSummary | undefined): string {
  if (!s || s.excluded === 0) return '';
  return METRICS[name].over === 'units' ? `${s.excluded} constant units left out` : `${s.excluded} trials undefined (a flat image)`;
}

export function formatReport(r: EvaluationReport): string {
  const iterations = r.trials.map((t) => t.iteration).sort((a, b) => a - b);
  const median = iterations[Math.floor((iterations.length - 1) / 2)]!;
  const lines = [
    `frames:   ${r.frames}`,
    `          ${r.trials.length} trials of ${r.distinctStimuli} stimuli; final frames at iteration ${iterations[0]}–${iterations.at(-1)} (median ${median})`,
    `compared: ${r.size} × ${r.size} px RGB, stimuli from ${r.stimuli}`,
    `baseline: ${r.baseline ? `mean of ${r.baseline.images} training images (${r.baseline.source})` : 'none (give --baseline-images or --train-events)'}`,
    '',
  ];
  const rows: string[][] = [['', 'reconstruction', 'baseline', '']];
  const section = (title: string, names: readonly MetricName[]): void => {
    rows.push([title, '', '', '']);
    for (const name of names) {
      const mine = r.reconstruction[name];
      if (!mine) continue;
      rows.push([`  ${rowLabel(name, mine.summary)}`, cell(name, mine.summary), r.baselineScores ? cell(name, r.baselineScores[name]?.summary) : '', notes(name, mine.summary)]);
    }
  };
  section('pixels', PIXEL_ROWS);
  if (r.space) section(`features: ${r.space.label}`, FEATURE_ROWS);
  lines.push(...table(rows), '');
  const intervals = Object.values(r.reconstruction).some((m) => m.summary.ci95 !== null);
  lines.push(`mean over trials${intervals ? ' [95 % bootstrap interval over trials]' : ''}; profile correlation: mean ± sd over units.`);
  lines.push('pairwise identification: chance 0.5 (the baseline, one image for every trial, scores 0.5 by construction).');
  if (r.space) {
    const n = r.space.normalisation;
    lines.push(`feature pattern correlation: units z-scored by the features of the ${n.images} ${n.source} (sd floored at the layer's median).`);
  }
  if (!r.reconstruction.ssim) lines.push(`SSIM needs images of at least 11 px; these are ${r.size} px.`);
  if (r.byIteration) lines.push('', ...formatIterations(r));
  return lines.join('\n');
}

function formatIterations(r: EvaluationReport): string[] {
  const columns = ITERATION_COLUMNS.filter(([name]) => r.reconstruction[name]);
  const mean = (set: ScoredSet | null, name: MetricName): string => fixed(set?.[name]?.summary.mean ?? Number.NaN);
  const rows: string[][] = [['iteration', 'reached', ...columns.map(([, label]) => label)]];
  for (const it of r.byIteration ?? []) rows.push([String(it.iteration), `${it.reached}/${r.trials.length}`, ...columns.map(([name]) => mean(it.reconstruction, name))]);
  if (r.baselineScores) rows.push(['baseline', '', ...columns.map(([name]) => mean(r.baselineScores, name))]);
  return ['by optimiser iteration (each trial at its latest frame up to that iteration; means over trials):', ...table(rows)];
}

/** Left-aligned columns, two spaces apart, trailing blanks trimmed. */
function table(rows: readonly string[][]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]?.length ?? 0)));
  return rows.map((row) => row.map((v, c) => v.padEnd(widths[c]!)).join('  ').trimEnd());
}

const toList = (values: Float64Array | null): (number | null)[] | null => (values ? Array.from(values, (v) => (Number.isFinite(v) ? v : null)) : null);

/** The report as JSON: every summary, every trial's scores; NaN written as null. */
export function reportJson(r: EvaluationReport): string {
  const names = Object.keys(METRICS) as MetricName[];
  const present = names.filter((n) => r.reconstruction[n]);
  const metrics = Object.fromEntries(
    present.map((n) => [
      n,
      {
        label: METRICS[n].label,
        space: n.startsWith('feature') ? 'features' : 'pixels',
        over: METRICS[n].over,
        reconstruction: r.reconstruction[n]!.summary,
        baseline: r.baselineScores?.[n]?.summary ?? null,
      },
    ]),
  );
  const trials = r.trials.map((t, i) => ({
    ...t,
    scores: Object.fromEntries(present.filter((n) => METRICS[n].over === 'trials').map((n) => [n, toList(r.reconstruction[n]!.perTrial)![i]])),
    baselineScores: r.baselineScores ? Object.fromEntries(present.filter((n) => METRICS[n].over === 'trials').map((n) => [n, toList(r.baselineScores![n]?.perTrial ?? null)?.[i] ?? null])) : null,
  }));
  const byIteration = r.byIteration?.map((it) => ({ iteration: it.iteration, reached: it.reached, metrics: Object.fromEntries(present.map((n) => [n, it.reconstruction[n]?.summary ?? null])) })) ?? null;
  const body = { frames: r.frames, stimuli: r.stimuli, size: r.size, distinctStimuli: r.distinctStimuli, space: r.space, baseline: r.baseline, metrics, trials, byIteration, warnings: r.warnings };
  return JSON.stringify(body, (_, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2);
}
