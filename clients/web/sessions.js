// The session picker: the sessions this server runs (GET /sessions, refreshed by polling and by
// status messages) and the recordings of earlier runs (GET /recordings). A live session is watched
// over the WebSocket; a recording the server no longer runs is read once over HTTP. With "follow"
// on, a session that starts is watched at once, which is what the scanner room wants between runs.

import { api } from './api.js';

const POLL_MS = 2000;
/** Recordings change only when sessions end; no need to list the folder as often. */
const RECORDINGS_EVERY = 5;

const basename = (p) => (p ? p.replace(/\/+$/, '').split('/').pop() : '');

/**
 * The state to show. A recording this server does not run that still says running was cut off (its
 * server stopped before it could write `ended`), so it is shown as interrupted.
 */
export function stateOf(info, live) {
  if (!live && (info.state === 'running' || info.state === 'starting')) return 'interrupted';
  return info.paused ? 'paused' : info.state;
}

export function describeSession(info, live = true) {
  const state = stateOf(info, live);
  const speed = info.source?.speed === 0 ? 'max' : info.source?.speed ? `×${info.source.speed}` : '';
  return `${info.id} · ${state} · ${info.source?.kind ?? '?'} ${basename(info.source?.path)}${speed ? ` ${speed}` : ''} · ${info.records} TRs`;
}

export class SessionPicker {
  /**
   * @param {{select: HTMLSelectElement, follow: HTMLInputElement, onPick: (id: string, live: boolean) => void,
   *          onRecordings: (recordings: object[]) => void, onChange: () => void, onError: (e: Error) => void}} options
   */
  constructor(options) {
    this.options = options;
    this.live = new Map();
    this.recordings = new Map();
    this.seen = null; // ids of live sessions already known: a new one is "a session that started"
    this.polls = 0;
    this.updates = 0;
    this.selected = null;
    options.select.addEventListener('change', () => {
      const id = options.select.value;
      if (id) this.options.onPick(id, this.live.has(id));
    });
  }

  isLive(id) {
    return this.live.has(id);
  }

  info(id) {
    return this.live.get(id) ?? this.recordings.get(id) ?? null;
  }

  start() {
    void this.refresh();
    setInterval(() => void this.refresh(), POLL_MS);
  }

  async refresh() {
    try {
      const withRecordings = this.polls++ % RECORDINGS_EVERY === 0;
      const updatesBefore = this.updates;
      const [{ sessions }, recordings] = await Promise.all([api('/sessions'), withRecordings ? api('/recordings') : Promise.resolve(null)]);
      // A status message or a control's reply that came while the list was on its way is newer than the list.
      if (this.updates === updatesBefore) this.setLive(sessions);
      if (recordings) {
        this.recordings = new Map(recordings.recordings.map((r) => [r.id, r]));
        this.options.onRecordings(recordings.recordings);
      }
      this.render();
      this.options.onChange();
      this.pickFirst();
    } catch (error) {
      this.options.onError(error);
    }
  }

  /** A status message: the session's newest info, and a start to follow. */
  update(info) {
    this.updates += 1;
    this.setLive([...[...this.live.values()].filter((s) => s.id !== info.id), info]);
    this.render();
  }

  setLive(sessions) {
    const started = this.seen === null ? [] : sessions.filter((s) => !this.seen.has(s.id) && (s.state === 'starting' || s.state === 'running'));
    this.live = new Map(sessions.map((s) => [s.id, s]));
    this.seen = new Set([...(this.seen ?? []), ...this.live.keys()]);
    if (started.length > 0 && this.options.follow.checked) {
      const newest = started.sort((a, b) => b.startedAt - a.startedAt)[0];
      if (newest.id !== this.selected) this.options.onPick(newest.id, true);
    }
  }

  /** On first load: the session named in the address (#session=ID), else the newest running, else the newest. */
  pickFirst() {
    if (this.selected) return;
    const named = new URLSearchParams(window.location.hash.slice(1)).get('session');
    const live = [...this.live.values()].sort((a, b) => b.startedAt - a.startedAt);
    const pick = (named && (this.live.get(named) ?? this.recordings.get(named))) || live.find((s) => s.state === 'running') || live[0] || [...this.recordings.values()][0];
    if (pick) this.options.onPick(pick.id, this.live.has(pick.id));
  }

  select(id) {
    this.selected = id;
    this.render();
  }

  render() {
    const { select } = this.options;
    const live = [...this.live.values()].sort((a, b) => b.startedAt - a.startedAt);
    const older = [...this.recordings.values()].filter((r) => !this.live.has(r.id));
    const groups = [
      ['Sessions on this server', live],
      ['Recordings', older],
    ];
    // Rebuilt only when something shown changed, so that an open drop-down is not closed under the hand.
    const key = JSON.stringify([this.selected, groups.map(([, list]) => list.map((info) => describeSession(info, this.live.has(info.id))))]);
    if (key === this.renderedKey) return;
    this.renderedKey = key;
    const children = [];
    if (!this.selected) {
      const none = document.createElement('option');
      none.value = '';
      none.textContent = live.length + older.length === 0 ? 'no sessions yet: start a replay' : 'choose a session';
      children.push(none);
    }
    for (const [label, list] of groups) {
      if (list.length === 0) continue;
      const group = document.createElement('optgroup');
      group.label = label;
      for (const info of list) {
        const option = document.createElement('option');
        option.value = info.id;
        const live = this.live.has(info.id);
        option.textContent = describeSession(info, live);
        option.dataset.kind = live ? 'live' : 'recording';
        group.appendChild(option);
      }
      children.push(group);
    }
    select.replaceChildren(...children);
    select.value = this.selected ?? '';
    select.dataset.sessions = String(live.length);
    select.dataset.recordings = String(older.length);
  }
}
