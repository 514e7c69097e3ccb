// The live reconstruction (the newest `frame` message of the watched session) and, beside it, the
// true stimulus of that trial when the events name one: the server serves it from the dataset's
// stimuli/ folder (GET /sessions/:id/stimuli/<stim_file>).

import { withToken } from './api.js';

const fmt = (value, digits) => (typeof value === 'number' && Number.isFinite(value) ? value.toFixed(digits) : '–');

export class ReconstructionView {
  constructor(elements) {
    this.el = elements;
    this.sessionId = null;
    this.stimFile = null;
    this.el.stimulus.addEventListener('error', () => {
      this.el.stimulus.hidden = true;
      this.el.stimulusCaption.textContent = `true stimulus not available (${this.stimFile})`;
      this.el.stimulus.dataset.state = 'missing';
    });
    this.el.stimulus.addEventListener('load', () => {
      this.el.stimulus.hidden = false;
      this.el.stimulus.dataset.state = 'loaded';
    });
  }

  reset(sessionId) {
    this.sessionId = sessionId;
    this.stimFile = null;
    const { image, caption, stimulus, stimulusCaption } = this.el;
    image.removeAttribute('src');
    image.hidden = true;
    for (const key of ['trial', 'iteration', 'tr']) delete image.dataset[key];
    caption.textContent = 'no reconstruction in this session (yet)';
    stimulus.removeAttribute('src');
    stimulus.hidden = true;
    delete stimulus.dataset.stimFile;
    delete stimulus.dataset.state;
    stimulusCaption.textContent = 'true stimulus: not known';
  }

  /** A `frame` message: its PNG arrives base64 in the JSON encoding. */
  showFrame(frame) {
    const { image, caption } = this.el;
    image.src = `data:image/png;base64,${frame.png}`;
    image.hidden = false;
    image.alt = `reconstruction of trial ${frame.trial}, iteration ${frame.iteration}`;
    image.dataset.trial = String(frame.trial);
    image.dataset.iteration = String(frame.iteration);
    image.dataset.tr = String(frame.tr);
    caption.textContent = `trial #${frame.trial} · iteration ${frame.iteration} · TR ${frame.tr} · feature r ${fmt(frame.featureCorrelation, 2)} · ${fmt(frame.elapsedMs / 1000, 1)} s`;
    if (frame.stim_file) this.showStimulus(frame.stim_file, frame.trial);
  }

  /** The true stimulus of a trial (from a frame, or from a record's trial when there is no reconstruction). */
  showStimulus(stimFile, trial) {
    const { stimulus, stimulusCaption } = this.el;
    stimulusCaption.textContent = `true stimulus, trial #${trial}: ${stimFile}`;
    if (stimFile === this.stimFile || !this.sessionId) return;
    this.stimFile = stimFile;
    stimulus.dataset.stimFile = stimFile;
    stimulus.dataset.state = 'loading';
    stimulus.alt = `true stimulus ${stimFile}`;
    const file = stimFile.split('/').map(encodeURIComponent).join('/');
    stimulus.src = withToken(`/sessions/${encodeURIComponent(this.sessionId)}/stimuli/${file}`);
  }
}
