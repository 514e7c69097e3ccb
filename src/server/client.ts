/**
 * One connected client as the hub sees it: an encoding, a bounded outbox, and a coded way out.
 * The gateway makes one per WebSocket; tests make them over fake sockets.
 */
import { BoldstreamError } from '../errors.js';
import type { ServerMessage } from '../generated/boldstream.js';
import { encodeServerMessage, type Encoding } from './codec.js';
import { Outbox, type OutboxFailure, type SocketLike } from './outbox.js';
import { Outgoing } from './outgoing.js';

/** What the hub needs from a subscriber. */
export interface HubSubscriber {
  readonly id: string;
  /** Queues a message; false when the subscriber is gone (closed, or just disconnected for being too slow). */
  send(message: Outgoing): boolean;
  /** Sends a message that supersedes the previous one of the same key if that has not gone out yet. */
  sendLatest(key: string, message: Outgoing): boolean;
  /** Frames waiting beyond the socket buffer. */
  readonly backlog: number;
  /** Frames sendLatest replaced before they went out, so far (for metrics; absent in test fakes). */
  readonly supersededFrames?: number;
  /** Resolves when the backlog is low again, or the subscriber is gone. */
  drained(): Promise<void>;
  readonly closed: boolean;
  /** Sends `error` and closes with the catalogue's close code. */
  close(error: BoldstreamError): void;
}

export interface ClientSocket extends SocketLike {
  close(code: number, reason: string): void;
}

export interface ClientOptions {
  readonly queueLimit: number;
  readonly highWaterBytes: number;
  /** Messages waiting with no write completing for this long, ms: the client has stalled (default: never). */
  readonly stalledMs?: number;
  /** Told once when the client goes, whatever the reason (the hub forgets it). */
  readonly onClose?: (client: Client, error: BoldstreamError | undefined) => void;
}

/** RFC 6455 allows 123 bytes of reason in a close frame. */
export function closeReason(error: BoldstreamError): string {
  let reason = `${error.code}: ${error.message}`;
  while (Buffer.byteLength(reason) > 123) reason = reason.slice(0, -1);
  return reason;
}

function failure(reason: OutboxFailure, options: ClientOptions): BoldstreamError {
  switch (reason) {
    case 'overflow':
      return new BoldstreamError('WS_CLIENT_TOO_SLOW', `more than ${options.queueLimit} messages waited for this client`);
    case 'stalled':
      return new BoldstreamError('WS_CLIENT_TOO_SLOW', `the client took no message for ${options.stalledMs} ms`);
    case 'socket':
      return new BoldstreamError('INTERNAL', 'the socket failed to write');
  }
}

let nextId = 1;

export class Client implements HubSubscriber {
  readonly id: string;
  private readonly outbox: Outbox;
  private isClosed = false;

  constructor(
    private readonly socket: ClientSocket,
    readonly encoding: Encoding,
    private readonly options: ClientOptions,
  ) {
    this.id = `c${nextId++}`;
    this.outbox = new Outbox(socket, {
      queueLimit: options.queueLimit,
      highWaterBytes: options.highWaterBytes,
      ...(options.stalledMs !== undefined ? { stalledMs: options.stalledMs } : {}),
      onFail: (reason) => this.close(failure(reason, options)),
    });
  }

  get closed(): boolean {
    return this.isClosed;
  }

  get backlog(): number {
    return this.outbox.backlog;
  }

  send(message: Outgoing | ServerMessage): boolean {
    const outgoing = message instanceof Outgoing ? message : new Outgoing(message);
    return this.outbox.push(outgoing.frame(this.encoding));
  }

  sendLatest(key: string, message: Outgoing): boolean {
    return this.outbox.pushLatest(key, message.frame(this.encoding));
  }

  /** Frames that were replaced by a newer one before they could be sent (for metrics). */
  get supersededFrames(): number {
    return this.outbox.superseded;
  }

  drained(): Promise<void> {
    return this.outbox.drained();
  }

  close(error: BoldstreamError): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.outbox.close();
    try {
      // The error goes ahead of whatever still waits in the outbox: those frames are dropped with the connection.
      this.socket.send(encodeServerMessage({ type: 'error', ...error.toJSON() }, this.encoding), () => undefined);
      this.socket.close(error.wsClose, closeReason(error));
    } catch {
      /* the socket is already gone */
    }
    this.options.onClose?.(this, error);
  }

  /** The socket closed from the other side. */
  gone(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.outbox.close();
    this.options.onClose?.(this, undefined);
  }
}
