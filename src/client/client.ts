/**
 * A small Node client for the WebSocket protocol (docs/protocol.md): what `boldstream replay
 * --server` uses to push a run into a server, and what tests use to watch one. It speaks the same
 * codec as the server, so it is also a check that the two stay in step.
 */
import type { IncomingMessage } from 'node:http';
import { WebSocket } from 'ws';
import { BoldstreamError, catalogue, type ErrorCode } from '../errors.js';
import type { ClientMessage, EventMarker, Frame, ServerMessage, SessionInfo, SessionSpec, TrRecord, VolumePush } from '../generated/boldstream.js';
import { decodeServerMessage, type Encoding, encodeClientMessage } from '../server/codec.js';
import { PROTOCOL_VERSION } from '../server/protocol.js';
import type { SessionRecord } from '../session/types.js';

type Ack = ServerMessage & { type: 'ack' };

export interface ClientOptions {
  readonly encoding?: Encoding;
  /** Access token, sent as `Authorization: Bearer` (docs/http-api.md, "Access"); none for an open server. */
  readonly token?: string;
  /** Called for every record of the subscribed sessions, in order. */
  readonly onRecord?: (session: string, record: SessionRecord) => void;
  readonly onStatus?: (info: SessionInfo, detail?: string) => void;
  /** Called for reconstruction frames of the subscribed sessions (newest only: superseded ones may be skipped). */
  readonly onFrame?: (frame: Frame) => void;
}

/** The server's coded error in a refused upgrade's body, else INTERNAL with the status. */
async function refusal(response: IncomingMessage, url: URL): Promise<BoldstreamError> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  let code: string | undefined;
  try {
    code = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { error?: { code?: string } }).error?.code;
  } catch {
    code = undefined;
  }
  const detail = `${url.host} refused the WebSocket with HTTP ${response.statusCode}`;
  return code && Object.hasOwn(catalogue, code) ? new BoldstreamError(code as ErrorCode, detail) : new BoldstreamError('INTERNAL', detail);
}

export class BoldstreamClient {
  private readonly waiting: { ref: string; resolve: (ack: Ack) => void; reject: (e: Error) => void }[] = [];
  private closedWith: Error | null = null;
  readonly welcome: Promise<ServerMessage & { type: 'welcome' }>;

  private constructor(
    private readonly socket: WebSocket,
    private readonly encoding: Encoding,
    private readonly options: ClientOptions,
  ) {
    let welcomed!: (m: ServerMessage & { type: 'welcome' }) => void;
    this.welcome = new Promise((resolve) => (welcomed = resolve));
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      const message = decodeServerMessage(isBinary ? new Uint8Array(data) : data.toString('utf8'), encoding);
      switch (message.type) {
        case 'welcome':
          return welcomed(message);
        case 'record':
          return options.onRecord?.(message.session, message.record as TrRecord);
        case 'status':
          return message.session ? options.onStatus?.(message.session, message.detail) : undefined;
        case 'frame': {
          const { type: _type, ...frame } = message;
          return options.onFrame?.(frame);
        }
        case 'ack': {
          const at = this.waiting.findIndex((w) => w.ref === message.ref);
          if (at >= 0) this.waiting.splice(at, 1)[0]!.resolve(message);
          return;
        }
        case 'error':
          this.fail(new Error(`${message.code}: ${message.message}`));
      }
    });
    socket.on('close', (code, reason) => this.fail(new Error(`connection closed (${code}${reason.length ? `: ${reason.toString()}` : ''})`)));
    socket.on('error', (error) => this.fail(error));
  }

  /** Opens `ws(s)://host:port/ws` for a server URL such as http://127.0.0.1:8080. */
  static async connect(serverUrl: string, options: ClientOptions = {}): Promise<BoldstreamClient> {
    const encoding = options.encoding ?? 'msgpack';
    const url = new URL('/ws', serverUrl.replace(/^http/, 'ws'));
    url.searchParams.set('encoding', encoding);
    url.searchParams.set('protocol', String(PROTOCOL_VERSION));
    const headers = options.token ? { authorization: `Bearer ${options.token}` } : undefined;
    const socket = new WebSocket(url, { maxPayload: 256 * 1024 * 1024, ...(headers ? { headers } : {}) });
    // Listen before the socket opens: the server's welcome can arrive in the same read as the upgrade.
    const client = new BoldstreamClient(socket, encoding, options);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
      // A refused upgrade (no token, wrong origin) answers with a coded HTTP error: pass its code on.
      socket.once('unexpected-response', (_request, response) => {
        void refusal(response, url).then((error) => {
          reject(error);
          socket.terminate();
        });
      });
    });
    await client.welcome;
    return client;
  }

  private fail(error: Error): void {
    this.closedWith ??= error;
    for (const w of this.waiting.splice(0)) w.reject(error);
  }

  private send(message: ClientMessage, ref: string): Promise<Ack> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    return new Promise((resolve, reject) => {
      this.waiting.push({ ref, resolve, reject });
      this.socket.send(encodeClientMessage(message, this.encoding));
    });
  }

  async start(spec: SessionSpec): Promise<string> {
    const ack = await this.send({ type: 'start', spec, ref: `start:${spec.id ?? ''}` }, `start:${spec.id ?? ''}`);
    return ack.session!;
  }

  async subscribe(session: string, fromTr?: number): Promise<void> {
    await this.send({ type: 'subscribe', session, ...(fromTr !== undefined ? { fromTr } : {}) }, 'subscribe');
  }

  /** Resolves when the server has taken the volume into the session (not when it is processed). */
  async push(volume: VolumePush): Promise<void> {
    await this.send({ type: 'volume', ...volume }, 'volume');
  }

  async event(session: string, event: EventMarker): Promise<void> {
    await this.send({ type: 'event', session, event }, 'event');
  }

  async end(session: string): Promise<void> {
    await this.send({ type: 'end', session }, 'end');
  }

  close(): void {
    this.socket.close(1000);
  }
}
