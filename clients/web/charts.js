// The charts, drawn by uPlot: head motion, framewise displacement against its threshold, ROI signal
// per mask, per-TR latency (all against the TR index) and the decoded class scores as bars. uPlot's
// own legend is off: each panel shows its series' newest values in large type instead, which is what
// a person reads from across the scanner room.

import uPlot from '/vendor/uPlot.esm.js';

export const colours = {
  text: '#d9dee7',
  grid: 'rgba(217, 222, 231, 0.14)',
  // Okabe–Ito hues, lightened for a dark background: told apart with the common colour-vision deficiencies.
  series: ['#ff8a3d', '#5cc8ff', '#3fd6a0', '#f5e663', '#a98bff', '#ff7eb6', '#c7d0dc'],
  threshold: '#f5e663',
  alarm: '#ff4d4d',
  accent: '#5cc8ff',
  muted: '#6f7d91',
};

const FONT = '600 15px system-ui, sans-serif';
/** TRs are whole numbers: ticks at whole steps only. */
const TR_STEPS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000];

function axis(extra = {}) {
  return { stroke: colours.text, font: FONT, labelFont: FONT, grid: { stroke: colours.grid, width: 1 }, ticks: { stroke: colours.grid, width: 1 }, ...extra };
}

/** A uPlot chart that fills its container and follows its size. */
class Chart {
  constructor(container, options, seriesCount) {
    this.container = container;
    this.options = options;
    this.data = [[], ...Array.from({ length: seriesCount }, () => [])];
    this.plot = this.create();
    new window.ResizeObserver(() => this.fit()).observe(container);
  }

  create() {
    const { width, height } = this.size();
    return new uPlot({ width, height, legend: { show: false }, cursor: { drag: { x: false, y: false } }, ...this.options }, this.data, this.container);
  }

  /** Replaces the chart when its series change (a new ROI mask, other class labels). */
  rebuild(options, seriesCount) {
    this.plot.destroy();
    this.options = options;
    this.data = [[], ...Array.from({ length: seriesCount }, () => [])];
    this.plot = this.create();
  }

  size() {
    return { width: Math.max(120, this.container.clientWidth), height: Math.max(80, this.container.clientHeight) };
  }

  fit() {
    const { width, height } = this.size();
    if (width !== this.plot.width || height !== this.plot.height) this.plot.setSize({ width, height });
  }

  setData(data) {
    this.data = data;
    this.plot.setData(data);
  }
}

const line = (label, stroke, extra = {}) => ({ label, stroke, width: 2.5, spanGaps: false, points: { show: false }, ...extra });
// x is the TR index on every chart (said once, in the panel titles' tooltip), so no axis label: room for the data.
const trAxis = () => axis({ size: 34, incrs: TR_STEPS });

/** Six traces: translations in mm on the left axis, rotations in degrees (dashed) on the right. */
export class MotionChart extends Chart {
  constructor(container) {
    const [x, y, z] = colours.series;
    super(
      container,
      {
        scales: { x: { time: false }, mm: {}, deg: {} },
        series: [
          {},
          line('x', x, { scale: 'mm' }),
          line('y', y, { scale: 'mm' }),
          line('z', z, { scale: 'mm' }),
          line('pitch', x, { scale: 'deg', dash: [8, 5] }),
          line('roll', y, { scale: 'deg', dash: [8, 5] }),
          line('yaw', z, { scale: 'deg', dash: [8, 5] }),
        ],
        axes: [trAxis(), axis({ scale: 'mm', label: 'mm', labelSize: 22, size: 56 }), axis({ scale: 'deg', label: '°', side: 1, labelSize: 22, size: 56, grid: { show: false } })],
      },
      6,
    );
  }
}

/** FD as a line, the threshold as a dashed line, and each TR over it as an alarm-coloured dot. */
export class DisplacementChart extends Chart {
  constructor(container) {
    super(
      container,
      {
        scales: { x: { time: false }, y: { range: (_u, _min, max) => [0, Math.max(max ?? 0, 0.1) * 1.15] } },
        series: [
          {},
          line('FD (mm)', colours.accent, { width: 3 }),
          line('threshold', colours.threshold, { width: 2, dash: [10, 6] }),
          { label: 'over threshold', stroke: colours.alarm, paths: () => null, points: { show: true, size: 12, fill: colours.alarm, stroke: colours.alarm } },
        ],
        axes: [trAxis(), axis({ label: 'mm', labelSize: 22, size: 56 })],
      },
      3,
    );
  }
}

/** One line per ROI mask; the chart is rebuilt when a mask appears. */
export class RoiChart extends Chart {
  constructor(container) {
    super(container, RoiChart.options([]), 0);
    this.names = [];
  }

  static options(names) {
    return {
      scales: { x: { time: false } },
      series: [{}, ...names.map((name, i) => line(name, colours.series[i % colours.series.length], { width: 3 }))],
      axes: [trAxis(), axis({ label: 'z', labelSize: 22, size: 56 })],
    };
  }

  setMasks(names) {
    if (names.join('\n') === this.names.join('\n')) return;
    this.names = [...names];
    this.rebuild(RoiChart.options(this.names), this.names.length);
  }
}

const decades = (_u, splits) => splits.map((v) => (Number.isInteger(Math.log10(v)) ? v : null));

/** Total latency per TR, on a log axis: the first TR (the reference) takes far longer than the rest. */
export class LatencyChart extends Chart {
  constructor(container) {
    super(
      container,
      {
        scales: { x: { time: false }, y: { distr: 3, log: 10 } },
        series: [{}, line('total (ms)', colours.series[4], { width: 2.5, points: { show: true, size: 6, fill: colours.series[4] } })],
        // Ticks and grid at the powers of ten only: the log axis would otherwise rule every 1–9 × 10^k.
        axes: [trAxis(), axis({ label: 'ms', labelSize: 22, size: 56, filter: decades, grid: { stroke: colours.grid, width: 1, filter: decades }, ticks: { stroke: colours.grid, width: 1, filter: decades } })],
      },
      1,
    );
  }
}

/** Roughly the width of one character of the axis font, px. */
const CHAR_PX = 9;

/** A class label cut to the room under its bar, so that many classes do not write over each other. */
function fitLabel(label, roomPx) {
  const chars = Math.max(2, Math.floor(roomPx / CHAR_PX) - 1);
  return label.length <= chars ? label : `${label.slice(0, chars - 1)}…`;
}

/** Class scores as bars, the winning class in the accent colour, the others muted. */
export class ScoresChart extends Chart {
  constructor(container) {
    const labels = [];
    const bars = uPlot.paths.bars({ size: [0.7, 160] });
    super(
      container,
      {
        scales: {
          x: { time: false, range: () => [-0.5, Math.max(labels.length, 1) - 0.5] },
          y: { range: (_u, min, max) => [Math.min(0, min ?? 0) * 1.1, Math.max(0, max ?? 1) * 1.1 || 1] },
        },
        series: [
          {},
          { label: 'others', fill: colours.muted, stroke: colours.muted, paths: bars, points: { show: false } },
          { label: 'decoded', fill: colours.accent, stroke: colours.accent, paths: bars, points: { show: false } },
        ],
        axes: [
          axis({ splits: () => labels.map((_, i) => i), values: (u, splits) => splits.map((i) => fitLabel(labels[i] ?? '', u.over.clientWidth / Math.max(labels.length, 1))), grid: { show: false }, size: 40 }),
          axis({ size: 56 }),
        ],
      },
      2,
    );
    this.labels = labels;
  }

  /** scores: {label: value}; decided: the label to highlight. */
  setScores(scores, decided) {
    const entries = Object.entries(scores ?? {}).sort(([a], [b]) => a.localeCompare(b));
    this.labels.splice(0, this.labels.length, ...entries.map(([label]) => label));
    const x = entries.map((_, i) => i);
    this.setData([x, entries.map(([label, v]) => (label === decided ? null : v)), entries.map(([label, v]) => (label === decided ? v : null))]);
  }
}
