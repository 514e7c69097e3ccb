// Control from the browser, each a call to the HTTP API (docs/http-api.md): start a replay of a file
// or folder in the data folder or of a recording (POST /sessions), pause, resume and pace a running
// replay (POST /sessions/:id/{pause,resume,speed}), mark an event (POST /sessions/:id/events) and
// stop the session (POST /sessions/:id/stop). Buttons that would be refused are disabled, with the
// reason in their title.

import { api } from './api.js';
import { parseEventsTsv } from './events-tsv.js';

const RECENT_KEY = 'boldstream.recentPaths';
const RECENT_MAX = 8;
const STOP_CONFIRM_MS = 3000;

/** "name=path, name=path" → MaskSpec[]; a path alone is named after its file. */
export function parseMasks(text) {
  return text
    .split(/[,\n]/)
    .map((item) => item.trim())
    .filter((item) => item !== '')
    .map((item) => {
      const eq = item.indexOf('=');
      const path = (eq >= 0 ? item.slice(eq + 1) : item).trim();
      const name = eq >= 0 ? item.slice(0, eq).trim() : path.split('/').pop().replace(/\..*$/, '');
      return { name, path };
    });
}

function recentPaths() {
  try {
    const list = JSON.parse(window.localStorage.getItem(RECENT_KEY) ?? '[]');
    return Array.isArray(list) ? list.filter((p) => typeof p === 'string') : [];
  } catch {
    return [];
  }
}

function remember(path) {
  const list = [path, ...recentPaths().filter((p) => p !== path)].slice(0, RECENT_MAX);
  try {
    window.localStorage.setItem(RECENT_KEY, JSON.stringify(list));
  } catch {
    // storage full or disabled: the suggestion list is a convenience only
  }
}

const replayKinds = new Set(['replay', 'recording']);

export class Controls {
  /**
   * @param {{el: Record<string, HTMLElement>, notify: (text: string, kind?: string) => void,
   *          onStarted: (info: object) => void, onInfo: (info: object) => void, onMarked: (label: string) => void}} options
   */
  constructor(options) {
    this.el = options.el;
    this.notify = options.notify;
    this.onStarted = options.onStarted;
    this.onMarked = options.onMarked;
    this.onInfo = options.onInfo;
    this.session = null;
    this.stopArmed = null;
    const { el } = this;
    el.pause.addEventListener('click', () => void this.togglePause());
    el.speed.addEventListener('change', () => void this.setSpeed(Number(el.speed.value)));
    el.markForm.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.mark();
    });
    el.stop.addEventListener('click', () => void this.stop());
    el.startForm.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.start();
    });
    el.sourceKind.addEventListener('change', () => this.showSourceFields());
    el.startForm.addEventListener('focusin', () => void this.loadModels());
    this.showSourceFields();
    this.fillRecent();
    this.setSession(null);
  }

  /**
   * The watched session's info (or null), and whether this server runs it (a recording of an earlier
   * run only shows): which controls apply to it.
   */
  setSession(info, live = true) {
    this.session = live ? info : null;
    const { el } = this;
    const running = live && info && (info.state === 'running' || info.state === 'starting');
    const paceable = running && replayKinds.has(info.source?.kind);
    const why = !info
      ? 'no session chosen'
      : !live
        ? 'a recording of an earlier run is only shown; replay it to control it'
        : !running
          ? `the session has ${info.state}`
          : !paceable
            ? `a ${info.source?.kind} session keeps the scanner's pace`
            : '';
    for (const button of [el.pause, el.speed]) {
      button.disabled = !paceable;
      button.title = why;
    }
    el.pause.textContent = info?.paused ? 'Resume' : 'Pause';
    el.pause.setAttribute('aria-pressed', info?.paused ? 'true' : 'false');
    if (paceable && document.activeElement !== el.speed) el.speed.value = String(info.source.speed ?? 1);
    for (const control of [el.markButton, el.stop]) {
      control.disabled = !running;
      control.title = running ? '' : why;
    }
  }

  /** A key pressed for a control that does not apply says why, instead of doing nothing. */
  refused(control) {
    if (!control.disabled) return false;
    this.notify(`not now: ${control.title || 'no session chosen'}`, 'error');
    return true;
  }

  async togglePause() {
    const info = this.session;
    if (this.refused(this.el.pause) || !info) return;
    await this.call(`/sessions/${encodeURIComponent(info.id)}/${info.paused ? 'resume' : 'pause'}`, undefined, (next) => `${next.id} ${next.paused ? 'paused' : 'resumed'}`);
  }

  async setSpeed(speed) {
    const info = this.session;
    if (this.refused(this.el.speed) || !info || !Number.isFinite(speed)) return;
    this.el.speed.value = String(speed);
    await this.call(`/sessions/${encodeURIComponent(info.id)}/speed`, { speed }, (next) => `${next.id}: speed ${speed === 0 ? 'as fast as possible' : `×${speed}`}`);
  }

  async mark() {
    const info = this.session;
    if (this.refused(this.el.markButton) || !info) return;
    const label = this.el.markLabel.value.trim() || 'mark';
    const duration = Number(this.el.markDuration.value || 0);
    // No onset: the server places the marker at "now" on the run clock.
    const sent = await this.call(`/sessions/${encodeURIComponent(info.id)}/events`, { duration, trial_type: label }, () => `event "${label}" marked`, false);
    if (sent) this.onMarked(label);
  }

  /** Stop asks for a second press within a few seconds: ending a live session cannot be undone. */
  async stop() {
    const info = this.session;
    if (this.refused(this.el.stop) || !info) return;
    if (this.stopArmed !== info.id) {
      this.stopArmed = info.id;
      this.el.stop.textContent = 'Press again to stop';
      setTimeout(() => {
        this.stopArmed = null;
        this.el.stop.textContent = 'Stop';
      }, STOP_CONFIRM_MS);
      return;
    }
    this.stopArmed = null;
    this.el.stop.textContent = 'Stop';
    await this.call(`/sessions/${encodeURIComponent(info.id)}/stop`, undefined, (next) => `${next.id} stopped`);
  }

  /** POSTs and applies the SessionInfo the server replies with; false when the server refused. */
  async call(path, body, success, applyInfo = true) {
    try {
      const reply = await api(path, { method: 'POST', ...(body !== undefined ? { body } : {}) });
      if (applyInfo) this.onInfo(reply);
      this.notify(success(reply));
      return true;
    } catch (error) {
      this.notify(error.message, 'error');
      return false;
    }
  }

  showSourceFields() {
    const recording = this.el.sourceKind.value === 'recording';
    this.el.pathField.hidden = recording;
    this.el.recordingField.hidden = !recording;
    this.el.sourcePath.required = !recording;
    this.el.sourceRecording.required = recording;
  }

  fillRecent() {
    this.el.recentPaths.replaceChildren(
      ...recentPaths().map((p) => {
        const option = document.createElement('option');
        option.value = p;
        return option;
      }),
    );
  }

  /** The recordings the form can replay (SessionInfo list, newest first). */
  setRecordings(recordings) {
    const select = this.el.sourceRecording;
    const keep = select.value;
    select.replaceChildren(
      ...recordings.map((r) => {
        const option = document.createElement('option');
        option.value = r.id;
        option.textContent = `${r.id} (${r.records} TRs${r.masks?.length ? `, ${r.masks.join(' ')}` : ''})`;
        return option;
      }),
    );
    if (recordings.some((r) => r.id === keep)) select.value = keep;
  }

  /**
   * The bundles on the server: classifiers for "decoder", feature models (those with arrays.bin,
   * docs/model-bundle.md) for "reconstruction".
   */
  async loadModels() {
    if (this.modelsLoading) return;
    this.modelsLoading = true;
    try {
      const { models } = await api('/models');
      const isFeature = (m) => m.files.some((f) => f.name === 'arrays.bin');
      fillOptions(this.el.model, models.filter((m) => !isFeature(m)).map((m) => m.name));
      fillOptions(this.el.featureModel, models.filter(isFeature).map((m) => m.name));
    } catch (error) {
      this.notify(error.message, 'error');
    } finally {
      this.modelsLoading = false;
    }
  }

  async start() {
    const { el } = this;
    const recording = el.sourceKind.value === 'recording';
    const speed = Number(el.startSpeed.value);
    const spec = {
      source: recording ? { kind: 'recording', path: el.sourceRecording.value, speed } : { kind: 'replay', path: el.sourcePath.value.trim(), speed },
      masks: parseMasks(el.masks.value),
    };
    const id = el.sessionId.value.trim();
    if (id) spec.id = id;
    if (el.model.value) spec.model = el.model.value;
    if (el.featureModel.value) spec.featureModel = el.featureModel.value;
    try {
      const file = el.eventsFile.files?.[0];
      if (file) spec.events = parseEventsTsv(await file.text());
    } catch (error) {
      this.notify(error.message, 'error');
      return;
    }
    el.startButton.disabled = true;
    try {
      const info = await api('/sessions', { method: 'POST', body: spec });
      if (!recording) {
        remember(spec.source.path);
        this.fillRecent();
      }
      el.sessionId.value = '';
      this.notify(`started ${info.id}`);
      this.onStarted(info);
    } catch (error) {
      this.notify(error.message, 'error');
    } finally {
      el.startButton.disabled = false;
    }
  }
}

function fillOptions(select, names) {
  const keep = select.value;
  const none = document.createElement('option');
  none.value = '';
  none.textContent = 'none';
  select.replaceChildren(
    none,
    ...names.map((name) => {
      const option = document.createElement('option');
      option.value = name;
      option.textContent = name;
      return option;
    }),
  );
  if (names.includes(keep)) select.value = keep;
}
