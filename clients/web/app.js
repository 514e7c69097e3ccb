// The scanner-room viewer: wires the connection, the session picker, the charts, the reconstruction,
// the timeline and the controls together. One session is watched at a time; its records come over
// the WebSocket (catch-up from its recording first), or over HTTP for a recording the server no
// longer runs. Drawing is batched to one pass per animation frame, so that a replay at full speed
// (hundreds of records a second) does not redraw the charts for each one.
//
// What the page shows is also set as data-* attributes (on #viewer, the charts, the images), so
// that tests and scripts read counts instead of pixels.

import { ApiError, recordsOf } from './api.js';
import { DisplacementChart, LatencyChart, MotionChart, RoiChart, ScoresChart } from './charts.js';
import { Connection, PROTOCOL } from './connection.js';
import { Controls } from './controls.js';
import { installKeyboard, renderHelp } from './keyboard.js';
import { ReconstructionView } from './reconstruction.js';
import { MOTION_AXES, SessionData } from './session-data.js';
import { SessionPicker, stateOf } from './sessions.js';
import { describeTrial, renderTimeline } from './timeline.js';

const $ = (selector) => document.querySelector(selector);
const fmt = (value, digits = 2) => (typeof value === 'number' && Number.isFinite(value) ? value.toFixed(digits) : '–');

/** Power et al. (2012) censor volumes above 0.5 mm FD; the usual default, changed on the page. */
const DEFAULT_FD_THRESHOLD = 0.5;
const THRESHOLD_KEY = 'boldstream.fdThreshold';
const TOAST_MS = 4000;

const viewer = $('#viewer');
let data = null; // SessionData of the watched session
let watchedLive = false;
let welcomed = false;
let drawPending = false;
let toastTimer = null;

// ---------------------------------------------------------------------------------------------
// Pieces

const charts = {
  motion: new MotionChart($('#motion-chart')),
  fd: new DisplacementChart($('#fd-chart')),
  roi: new RoiChart($('#roi-chart')),
  latency: new LatencyChart($('#latency-chart')),
  scores: new ScoresChart($('#scores-chart')),
};

const reconstruction = new ReconstructionView({
  image: $('#recon-img'),
  caption: $('#recon-caption'),
  stimulus: $('#stimulus-img'),
  stimulusCaption: $('#stimulus-caption'),
});

function notify(text, kind = 'info') {
  const toast = $('#toast');
  toast.textContent = text;
  toast.dataset.kind = kind;
  toast.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (toast.hidden = true), kind === 'error' ? 2 * TOAST_MS : TOAST_MS);
}

const connection = new Connection({ onMessage, onState: showConnection });

const picker = new SessionPicker({
  select: $('#session-select'),
  follow: $('#follow'),
  onPick: (id, live) => watch(id, live),
  onError: (error) => notify(`sessions: ${error.message}`, 'error'),
  // The start form offers the same recordings as the picker.
  onRecordings: (recordings) => controls.setRecordings(recordings),
  // A status message may have come before the subscription (a session's start): the poll catches up.
  onChange: () => data && showSessionInfo(picker.info(data.id)),
});

const controls = new Controls({
  el: {
    pause: $('#pause-button'),
    speed: $('#speed-select'),
    stop: $('#stop-button'),
    markForm: $('#mark-form'),
    markButton: $('#mark-button'),
    markLabel: $('#mark-label'),
    markDuration: $('#mark-duration'),
    startForm: $('#start-form'),
    startButton: $('#start-button'),
    sourceKind: $('#source-kind'),
    pathField: $('#path-field'),
    recordingField: $('#recording-field'),
    sourcePath: $('#source-path'),
    recentPaths: $('#recent-paths'),
    sourceRecording: $('#source-recording'),
    masks: $('#masks'),
    model: $('#model'),
    featureModel: $('#feature-model'),
    eventsFile: $('#events-file'),
    startSpeed: $('#start-speed'),
    sessionId: $('#session-id'),
  },
  notify,
  onStarted: (info) => {
    picker.update(info);
    watch(info.id, true);
  },
  onInfo: (info) => {
    picker.update(info);
    showSessionInfo(info);
  },
  onMarked: (label) => {
    data?.addMark(label);
    scheduleDraw();
  },
});

// ---------------------------------------------------------------------------------------------
// Watching a session

function watch(id, live) {
  if (data?.id === id) return;
  data = new SessionData(id);
  watchedLive = live;
  picker.select(id);
  reconstruction.reset(id);
  history.replaceState(null, '', `${window.location.search}#session=${encodeURIComponent(id)}`);
  viewer.dataset.session = id;
  viewer.dataset.source = live ? 'live' : 'recording';
  showSessionInfo(picker.info(id));
  if (live) {
    if (welcomed) subscribeWatched();
  } else {
    connection.unsubscribe();
    void loadRecorded(data);
  }
  scheduleDraw();
}

/** Subscribes from the TR after the last one held: everything on first watch, the gap after a drop. */
function subscribeWatched() {
  const fromTr = data.lastTr + 1;
  connection.subscribe(data.id, fromTr);
  viewer.dataset.subscribedFrom = String(fromTr);
}

/** A recording the server does not run (an earlier run, or after a server restart): its records over HTTP. */
async function loadRecorded(target) {
  try {
    const records = await recordsOf(target.id);
    if (data !== target) return;
    for (const record of records) if (record.tr > target.lastTr) target.add(record);
    scheduleDraw();
  } catch (error) {
    notify(error instanceof ApiError ? error.message : `could not read ${target.id}: ${error.message}`, 'error');
  }
}

function onMessage(message) {
  switch (message.type) {
    case 'welcome': {
      welcomed = true;
      $('#server').textContent = `boldstream ${message.server} · protocol ${message.protocol} · ${message.backend}`;
      for (const info of message.sessions ?? []) picker.update(info);
      if (!data) return;
      watchedLive = (message.sessions ?? []).some((s) => s.id === data.id);
      viewer.dataset.source = watchedLive ? 'live' : 'recording';
      if (watchedLive) subscribeWatched();
      else void loadRecorded(data); // the server restarted: the session lives on as its recording
      return;
    }
    case 'record':
      if (message.session !== data?.id) return;
      data.add(message.record);
      scheduleDraw();
      return;
    case 'frame':
      if (message.session !== data?.id) return;
      data.addFrame(message);
      reconstruction.showFrame(message);
      scheduleDraw();
      return;
    case 'status':
      picker.update(message.session);
      if (message.session.id === data?.id) {
        showSessionInfo(message.session);
        if (message.detail) notify(`${message.session.id}: ${message.detail}`, message.session.state === 'failed' ? 'error' : 'info');
      }
      return;
    case 'error':
      notify(`${message.code}: ${message.message}`, 'error');
      return;
    default:
      return; // ack, and message types newer than this page
  }
}

function showConnection(state, detail) {
  const badge = $('#connection');
  badge.dataset.state = state;
  badge.textContent = { connecting: 'connecting…', open: 'connected', reconnecting: 'reconnecting…', failed: 'connection refused' }[state] ?? state;
  badge.title = detail ?? '';
  viewer.dataset.connection = state;
  viewer.dataset.reconnects = String(connection.reconnects);
  if (state !== 'open') welcomed = false;
  if (state === 'failed') notify(`connection refused: ${detail}`, 'error');
}

function showSessionInfo(info) {
  controls.setSession(info && data && info.id === data.id ? info : null, watchedLive);
  const pill = $('#session-state');
  if (!info || !data || info.id !== data.id) {
    pill.textContent = data ? `${data.id}` : 'no session';
    delete viewer.dataset.sessionState;
    return;
  }
  const state = stateOf(info, watchedLive);
  const speed = info.source?.speed === 0 ? 'max' : info.source?.speed ? `×${info.source.speed}` : '';
  pill.textContent = `${state}${speed && (state === 'running' || state === 'paused') ? ` · ${speed}` : ''}`;
  pill.dataset.state = state;
  viewer.dataset.sessionState = state;
  viewer.dataset.paused = String(Boolean(info.paused));
  viewer.dataset.speed = String(info.source?.speed ?? '');
  viewer.dataset.repetitionTime = String(info.repetitionTime ?? '');
}

// ---------------------------------------------------------------------------------------------
// Drawing

function scheduleDraw() {
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame(() => {
    drawPending = false;
    draw();
  });
}

function fdThreshold() {
  const value = Number($('#fd-threshold').value);
  return Number.isFinite(value) && value > 0 ? value : DEFAULT_FD_THRESHOLD;
}

function draw() {
  const d = data ?? new SessionData('');
  const threshold = fdThreshold();
  const x = d.tr;
  charts.motion.setData([x, ...MOTION_AXES.map((axis) => d.motion[axis])]);
  charts.fd.setData([x, d.fd, x.map(() => threshold), d.fdOver(threshold)]);
  charts.roi.setMasks([...d.roi.keys()]);
  charts.roi.setData([x, ...d.roi.values()]);
  charts.latency.setData([x, d.latency.map((v) => (v !== null && v > 0 ? v : null))]);

  const latest = d.latest;
  const decoded = d.lastDecoded;
  charts.scores.setScores(decoded?.decoded?.scores ?? {}, decoded?.decoded?.label);
  $('#scores-caption').textContent = decoded ? `TR ${decoded.tr}: ${decoded.decoded.label}` : 'no decoder in this session';

  renderTimeline($('#timeline'), d);
  const trials = [...d.trials.values()];
  const currentTrial = trials.length ? trials.reduce((a, b) => (b.lastTr > a.lastTr || (b.lastTr === a.lastTr && b.index > a.index) ? b : a)) : null;
  $('#trial-caption').textContent = describeTrial(currentTrial);
  // Without reconstructions, the stimulus of the trial being decoded is still worth showing.
  if (!d.frame && currentTrial?.stim_file) reconstruction.showStimulus(currentTrial.stim_file, currentTrial.index);

  drawTiles(d, latest, threshold);
  drawLegends(d);

  const over = d.fd.filter((v) => v !== null && v > threshold).length;
  viewer.dataset.trs = String(d.count);
  viewer.dataset.lastTr = String(d.lastTr);
  viewer.dataset.duplicates = String(d.duplicates);
  viewer.dataset.errors = String(d.errors);
  setData('#motion-chart', { points: d.motionPoints, series: MOTION_AXES.join(',') });
  setData('#fd-chart', { points: d.fd.filter((v) => v !== null).length, threshold, over, alarm: alarmed(latest, threshold) });
  setData('#roi-chart', { points: Math.max(0, ...[...d.roi.values()].map((v) => v.filter((y) => y !== null).length)), series: [...d.roi.keys()].join(',') });
  setData('#latency-chart', { points: d.latency.filter((v) => v !== null).length });
  setData('#scores-chart', { classes: Object.keys(decoded?.decoded?.scores ?? {}).length, decoded: decoded?.decoded?.label ?? '' });
}

function alarmed(record, threshold) {
  const fd = record?.framewise_displacement;
  return typeof fd === 'number' && fd > threshold;
}

function setData(selector, values) {
  const el = $(selector);
  for (const [key, value] of Object.entries(values)) el.dataset[key] = String(value);
}

function drawTiles(d, latest, threshold) {
  const tr = latest?.tr;
  $('#tile-tr').textContent = tr === undefined ? '–' : String(tr);
  const rt = Number(viewer.dataset.repetitionTime);
  $('#tile-tr-sub').textContent = tr === undefined ? `${d.count} TRs` : `${d.count} TRs${rt > 0 ? ` · ${fmt((tr + 1) * rt, 1)} s` : ''}`;
  const fdTile = $('#tile-fd');
  fdTile.textContent = fmt(latest?.framewise_displacement, 2);
  fdTile.closest('.tile').classList.toggle('alarm', alarmed(latest, threshold));
  const over = d.fd.filter((v) => v !== null && v > threshold).length;
  $('#tile-fd-sub').textContent = `mm · ${over} TR${over === 1 ? '' : 's'} over ${threshold} mm`;
  const [firstMask] = d.roi.keys();
  $('#tile-roi').textContent = firstMask ? fmt(latest?.roi?.[firstMask], 2) : '–';
  $('#tile-roi-sub').textContent = firstMask ? `z · ${firstMask}` : 'no ROI';
  $('#tile-latency').textContent = fmt(latest?.latencyMs?.total, 1);
  const warnings = latest?.error ? [latest.error] : (latest?.warnings ?? []);
  const notice = $('#notice');
  notice.textContent = warnings.map((w) => `${w.code}: ${w.message}`).join(' · ');
  notice.dataset.kind = latest?.error ? 'error' : 'warning';
}

function drawLegends(d) {
  const legend = (selector, items) => {
    $(selector).replaceChildren(
      ...items.map(({ label, value, colour, dashed }) => {
        const item = document.createElement('span');
        item.className = `legend-item${dashed ? ' dashed' : ''}`;
        item.style.setProperty('--swatch', colour);
        item.textContent = `${label} ${value}`;
        return item;
      }),
    );
  };
  const last = (values) => values[values.length - 1];
  const motionSeries = charts.motion.plot.series.slice(1);
  legend(
    '#motion-legend',
    MOTION_AXES.map((axis, i) => ({ label: motionSeries[i].label, value: fmt(last(d.motion[axis]), 2), colour: motionSeries[i].stroke(), dashed: axis.startsWith('rot') })),
  );
  const roiSeries = charts.roi.plot.series.slice(1);
  legend(
    '#roi-legend',
    [...d.roi.entries()].map(([name, values], i) => ({ label: name, value: fmt(last(values), 2), colour: roiSeries[i]?.stroke() ?? '' })),
  );
}

// ---------------------------------------------------------------------------------------------
// Page controls and keys

function toggleFullscreen() {
  if (document.fullscreenElement) void document.exitFullscreen();
  else void document.documentElement.requestFullscreen().catch((error) => notify(`full screen refused: ${error.message}`, 'error'));
}

function toggleControls(show) {
  const panel = $('#controls');
  panel.hidden = show === undefined ? !panel.hidden : !show;
  $('#controls-button').setAttribute('aria-expanded', String(!panel.hidden));
  document.body.classList.toggle('with-controls', !panel.hidden);
}

function toggleHelp() {
  const help = $('#help');
  if (help.open) help.close();
  else help.showModal();
}

function initThreshold() {
  const input = $('#fd-threshold');
  const fromUrl = Number(new URLSearchParams(window.location.search).get('fd'));
  const stored = Number(window.localStorage.getItem(THRESHOLD_KEY));
  input.value = String(fromUrl > 0 ? fromUrl : stored > 0 ? stored : DEFAULT_FD_THRESHOLD);
  input.addEventListener('input', () => {
    if (fdThreshold() === Number(input.value)) window.localStorage.setItem(THRESHOLD_KEY, input.value);
    scheduleDraw();
  });
}

$('#fullscreen-button').addEventListener('click', toggleFullscreen);
$('#help-button').addEventListener('click', toggleHelp);
$('#help-close').addEventListener('click', () => $('#help').close());
$('#controls-button').addEventListener('click', () => toggleControls());
let controlsBeforeFullscreen = true;
document.addEventListener('fullscreenchange', () => {
  const full = Boolean(document.fullscreenElement);
  document.body.classList.toggle('fullscreen', full);
  // Full screen is for the room: the picture only (`c` brings the controls back); leaving it restores them.
  if (full) {
    controlsBeforeFullscreen = !$('#controls').hidden;
    toggleControls(false);
  } else toggleControls(controlsBeforeFullscreen);
});
renderHelp($('#help-keys'));
initThreshold();

installKeyboard({
  fullscreen: toggleFullscreen,
  pause: () => void controls.togglePause(),
  mark: () => void controls.mark(),
  speed: (key) => void controls.setSpeed(Number(key)),
  pick: () => $('#session-select').focus(),
  start: () => {
    toggleControls(true);
    $('#source-path').focus();
  },
  controls: () => toggleControls(),
  threshold: () => {
    $('#fd-threshold').focus();
    $('#fd-threshold').select();
  },
  help: toggleHelp,
  escape: () => $('#help').open && $('#help').close(),
});

// For the browser console (and scripts): what the page holds and its connection.
window.boldstream = {
  get data() {
    return data;
  },
  connection,
  picker,
  protocol: PROTOCOL,
};

toggleControls(new URLSearchParams(window.location.search).get('controls') !== '0');
connection.start();
picker.start();
draw();
