// The trial timeline: one block per trial over the TRs in which its response was decoded (the trial's
// HRF-shifted window as the records and frames show it), coloured by whether the decision matches the
// truth, with the newest TR as a cursor and the page's own markers as ticks. Plain DOM: blocks and
// text, not a chart.

const MIN_SPAN_TRS = 20;
const HEADROOM = 1.08;

function trialText(trial) {
  const name = trial.label ?? trial.truth ?? (trial.stim_file ? trial.stim_file.split('/').pop().replace(/\.[a-z]+$/i, '') : '');
  return `#${trial.index}${name ? ` ${name}` : ''}`;
}

function verdict(trial) {
  if (!trial.label || !trial.truth) return 'unknown';
  return trial.label === trial.truth ? 'correct' : 'wrong';
}

/** Redraws the timeline of `data` (a SessionData) into `container`. */
export function renderTimeline(container, data) {
  const trials = [...data.trials.values()].sort((a, b) => a.index - b.index);
  // A little room to the right of the newest TR, so the current trial is not squeezed against the edge.
  const span = Math.ceil(HEADROOM * Math.max(MIN_SPAN_TRS, data.lastTr + 1, ...trials.map((t) => t.lastTr + 1)));
  const percent = (tr) => `${((100 * tr) / span).toFixed(3)}%`;
  const blocks = trials.map((trial) => {
    const block = document.createElement('div');
    block.className = `trial ${verdict(trial)}`;
    block.style.left = percent(trial.firstTr);
    block.style.width = percent(trial.lastTr - trial.firstTr + 1);
    block.dataset.trial = String(trial.index);
    block.textContent = trialText(trial);
    block.title = `trial ${trial.index}: TRs ${trial.firstTr}–${trial.lastTr}${trial.label ? `, decided ${trial.label}` : ''}${trial.truth ? `, truth ${trial.truth}` : ''}${trial.stim_file ? `, ${trial.stim_file}` : ''}`;
    return block;
  });
  const marks = data.marks.map((mark) => {
    const tick = document.createElement('div');
    tick.className = 'mark';
    tick.style.left = percent(mark.tr + 0.5);
    tick.title = `${mark.label} (sent after TR ${mark.tr})`;
    return tick;
  });
  const cursor = document.createElement('div');
  cursor.className = 'cursor';
  cursor.style.left = percent(Math.max(data.lastTr, 0) + 1);
  container.replaceChildren(...blocks, ...marks, cursor);
  container.dataset.trials = String(trials.length);
  container.dataset.span = String(span);
}

/** One line on the current trial, for the caption under the timeline. */
export function describeTrial(trial) {
  if (!trial) return 'no trial yet';
  const parts = [`trial #${trial.index}`];
  if (trial.label) parts.push(`decided ${trial.label}${trial.n ? ` over ${trial.n} TR${trial.n === 1 ? '' : 's'}` : ''}`);
  if (trial.truth) parts.push(`truth ${trial.truth}${trial.label ? (trial.label === trial.truth ? ' ✓' : ' ✗') : ''}`);
  if (trial.stim_file) parts.push(trial.stim_file);
  return parts.join(' · ');
}
