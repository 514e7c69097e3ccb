// The minimal viewer: lists sessions over HTTP and shows one session's records as they arrive over
// the WebSocket in the JSON encoding (docs/protocol.md). Plain DOM, no build step.

const MAX_ROWS = 500; // older rows are removed so that a long run does not slow the page down
const FD_ALERT_MM = 0.5; // Power et al. 2012 use 0.5 mm as the usual censoring threshold
const PROTOCOL = 1;

const $ = (selector) => document.querySelector(selector);
const fmt = (value, digits = 2) => (typeof value === 'number' && Number.isFinite(value) ? value.toFixed(digits) : '');
const deg = (rad) => (rad * 180) / Math.PI;

let socket = null;
let watching = null; // the session the person chose
let subscribed = null; // the session the current socket is subscribed to

function cell(row, text, numeric = false) {
  const td = document.createElement('td');
  td.textContent = text;
  if (numeric) td.className = 'num';
  row.appendChild(td);
  return td;
}

function entries(map, digits = 2) {
  return Object.entries(map ?? {}).map(([name, value]) => `${name} ${fmt(value, digits)}`).join(', ');
}

function recordRow(record) {
  const row = document.createElement('tr');
  cell(row, String(record.tr), true);
  if (record.error) {
    row.className = 'error';
    for (let i = 0; i < 6; i++) cell(row, '');
    cell(row, `${record.error.code}: ${record.error.message}`);
    return row;
  }
  const m = record.motion;
  const fd = record.framewise_displacement;
  cell(row, fmt(fd, 3), true);
  cell(row, m ? `${fmt(m.trans_x)} ${fmt(m.trans_y)} ${fmt(m.trans_z)} / ${fmt(deg(m.rot_x))} ${fmt(deg(m.rot_y))} ${fmt(deg(m.rot_z))}` : '');
  cell(row, entries(record.roi));
  const d = record.decoded;
  cell(row, d ? `${d.label} (${fmt(d.scores?.[d.label])})` : '');
  const t = record.trial;
  cell(row, t ? `#${t.index} ${t.label} n=${t.n}${t.truth ? ` (truth ${t.truth})` : ''}` : '');
  cell(row, fmt(record.latencyMs?.total, 1), true);
  const warnings = record.warnings ?? [];
  cell(row, warnings.map((w) => w.code).join(', '));
  if (warnings.length > 0) row.className = 'warn';
  if (typeof fd === 'number' && fd > FD_ALERT_MM) row.classList.add('high-motion');
  return row;
}

function showRecord(record) {
  const body = $('#records tbody');
  body.insertBefore(recordRow(record), body.firstChild);
  while (body.children.length > MAX_ROWS) body.removeChild(body.lastChild);
}

function connect() {
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
  socket = new WebSocket(`${scheme}://${window.location.host}/ws?encoding=json&protocol=${PROTOCOL}`);
  // A new socket has no subscription yet; catch-up from TR 0 refills the table after a reconnect.
  subscribed = null;
  socket.onopen = () => subscribeWatched();
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (message.type === 'welcome') $('#server').textContent = `server ${message.server}, protocol ${message.protocol}, backend ${message.backend}`;
    else if (message.type === 'record' && message.session === subscribed) showRecord(message.record);
    else if (message.type === 'status') {
      $('#status').textContent = `${message.session.id}: ${message.session.state}${message.detail ? ` (${message.detail})` : ''}`;
      void refreshSessions();
    } else if (message.type === 'error') $('#status').textContent = `${message.code}: ${message.message}`;
  };
  socket.onclose = (event) => {
    $('#server').textContent = `disconnected (${event.code}); reconnecting…`;
    setTimeout(connect, 2000);
  };
}

/** Subscribes the open socket to the watched session, once; called on open and when the choice changes. */
function subscribeWatched() {
  if (!watching || !socket || socket.readyState !== WebSocket.OPEN || subscribed === watching) return;
  if (subscribed) socket.send(JSON.stringify({ type: 'unsubscribe', session: subscribed }));
  subscribed = watching;
  $('#records tbody').replaceChildren();
  // fromTr 0: the records so far come first from the recording, then the live ones.
  socket.send(JSON.stringify({ type: 'subscribe', session: watching, fromTr: 0 }));
}

function watch(id) {
  watching = id;
  $('#watching').textContent = `— ${id}`;
  history.replaceState(null, '', `#session=${encodeURIComponent(id)}`);
  subscribeWatched();
}

async function refreshSessions() {
  const response = await fetch('/sessions');
  if (!response.ok) return;
  const { sessions } = await response.json();
  // Show something at once: the session named in the address (#session=ID), else the newest running one.
  if (!watching && sessions.length > 0) {
    const named = new URLSearchParams(window.location.hash.slice(1)).get('session');
    const byStart = [...sessions].sort((a, b) => b.startedAt - a.startedAt);
    const pick = sessions.find((s) => s.id === named) ?? byStart.find((s) => s.state === 'running') ?? byStart[0];
    watch(pick.id);
  }
  const body = $('#sessions tbody');
  body.replaceChildren();
  $('#no-sessions').hidden = sessions.length > 0;
  for (const s of sessions) {
    const row = document.createElement('tr');
    cell(row, s.id);
    cell(row, s.state);
    cell(row, `${s.source.kind}${s.source.path ? `: ${s.source.path}` : ''}`);
    cell(row, String(s.records), true);
    cell(row, s.model ?? '');
    const button = document.createElement('button');
    button.textContent = s.id === watching ? 'watching' : 'watch';
    button.disabled = s.id === watching;
    button.onclick = () => {
      watch(s.id);
      void refreshSessions();
    };
    cell(row, '').appendChild(button);
    body.appendChild(row);
  }
}

connect();
void refreshSessions();
setInterval(() => void refreshSessions(), 5000);
