// The one WebSocket to the server (docs/protocol.md, JSON encoding): opens it, says hello, keeps at
// most one subscription, and reconnects by itself when the connection drops. A new socket has no
// subscription; the page re-subscribes on the `welcome` that every new socket starts with, asking for
// the TRs after the last one it holds, so that a drop in the scanner room loses no record.

import { socketUrl } from './api.js';

export const PROTOCOL = 1;

/** Waits before reconnect attempts; the last one repeats. Short at first: a server restart is quick. */
const BACKOFF_MS = [250, 500, 1000, 2000, 4000, 8000];
/** Close codes after which trying again would be refused the same way (wrong encoding or protocol). */
const FINAL_CLOSE = new Set([4415, 4426]);

export class Connection {
  /**
   * @param {{onMessage: (message: object) => void, onState: (state: string, detail?: string) => void}} handlers
   *   state is `connecting`, `open`, `reconnecting` or `failed`.
   */
  constructor(handlers) {
    this.handlers = handlers;
    this.socket = null;
    this.state = 'connecting';
    this.subscribed = null;
    this.attempt = 0;
    this.reconnects = 0;
    this.timer = null;
  }

  start() {
    this.open();
  }

  /** Subscribes to one session from `fromTr` (catch-up from its recording first), dropping any other. */
  subscribe(session, fromTr) {
    if (this.subscribed && this.subscribed !== session) this.send({ type: 'unsubscribe', session: this.subscribed });
    this.subscribed = session;
    this.send({ type: 'subscribe', session, fromTr });
  }

  unsubscribe() {
    if (this.subscribed) this.send({ type: 'unsubscribe', session: this.subscribed });
    this.subscribed = null;
  }

  send(message) {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  open() {
    this.setState(this.reconnects === 0 ? 'connecting' : 'reconnecting');
    const socket = new WebSocket(socketUrl(PROTOCOL));
    this.socket = socket;
    socket.onopen = () => {
      this.attempt = 0;
      this.send({ type: 'hello', protocol: PROTOCOL, client: 'boldstream-web/0.1' });
      this.setState('open');
    };
    socket.onmessage = (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return; // the server sends JSON only on this encoding; anything else is not ours to act on
      }
      this.handlers.onMessage(message);
    };
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.subscribed = null;
      if (FINAL_CLOSE.has(event.code)) {
        this.setState('failed', event.reason || `closed ${event.code}`);
        return;
      }
      const wait = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
      this.attempt += 1;
      this.reconnects += 1;
      this.setState('reconnecting', `closed ${event.code}${event.reason ? `: ${event.reason}` : ''}; retrying in ${(wait / 1000).toFixed(1)} s`);
      this.timer = setTimeout(() => this.open(), wait);
    };
  }

  setState(state, detail) {
    this.state = state;
    this.handlers.onState(state, detail);
  }
}
