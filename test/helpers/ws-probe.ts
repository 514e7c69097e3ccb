/**
 * A raw WebSocket to a server, for tests of what the server refuses: it keeps every decoded message,
 * how the connection closed, and, when the upgrade itself is refused, the HTTP status and coded body.
 */
import type { ClientOptions } from 'ws';
import WebSocket from 'ws';
import type { ClientMessage, ServerMessage } from '../../src/generated/boldstream.js';
import { decodeServerMessage, encodeClientMessage, type Encoding } from '../../src/server/codec.js';

export interface Refusal {
  readonly status: number;
  readonly code: string | undefined;
  readonly authenticate: string | undefined;
}

export interface ProbeOptions {
  readonly encoding?: Encoding;
  /** Sent as `Authorization: Bearer`. */
  readonly token?: string;
  /** Sent as `token=` in the URL, as a browser does. */
  readonly queryToken?: string;
  /** An Origin header, as a browser page sends it. */
  readonly origin?: string;
  /** More ws options (ca for TLS, autoPong). */
  readonly ws?: ClientOptions;
}

export class WsProbe {
  readonly messages: ServerMessage[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(
    readonly ws: WebSocket,
    readonly encoding: Encoding,
  ) {
    ws.on('message', (data: Buffer, isBinary: boolean) => this.messages.push(decodeServerMessage(isBinary ? data : data.toString('utf8'), encoding)));
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  /** Opens `/ws` of an http(s) base URL; resolves with the probe once welcomed, or with the refusal of the upgrade. */
  static open(base: string, options: ProbeOptions = {}): Promise<WsProbe | Refusal> {
    const encoding = options.encoding ?? 'json';
    const url = new URL('/ws', base.replace(/^http/, 'ws'));
    url.searchParams.set('encoding', encoding);
    url.searchParams.set('protocol', '1');
    if (options.queryToken !== undefined) url.searchParams.set('token', options.queryToken);
    const headers: Record<string, string> = {};
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    const ws = new WebSocket(url, { ...options.ws, headers, ...(options.origin ? { origin: options.origin } : {}) });
    const probe = new WsProbe(ws, encoding);
    return new Promise((resolve, reject) => {
      ws.once('unexpected-response', (_request, response) => {
        const chunks: Buffer[] = [];
        response.on('data', (c: Buffer) => chunks.push(c));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let code: string | undefined;
          try {
            code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
          } catch {
            code = undefined;
          }
          const authenticate = response.headers['www-authenticate'];
          resolve({ status: response.statusCode ?? 0, code, authenticate: typeof authenticate === 'string' ? authenticate : undefined });
          ws.terminate();
        });
      });
      ws.once('error', reject);
      ws.once('open', () => {
        probe
          .waitFor((m) => m.type === 'welcome')
          .then(() => resolve(probe), reject);
      });
    });
  }

  /** For a connection the test expects to open. */
  static async connect(base: string, options: ProbeOptions = {}): Promise<WsProbe> {
    const result = await WsProbe.open(base, options);
    if (!(result instanceof WsProbe)) throw new Error(`upgrade refused: ${result.status} ${result.code ?? ''}`);
    return result;
  }

  send(message: ClientMessage): void {
    this.ws.send(encodeClientMessage(message, this.encoding));
  }

  async waitFor(predicate: (m: ServerMessage) => boolean, timeoutMs = 10_000): Promise<ServerMessage> {
    const start = Date.now();
    for (;;) {
      const found = this.messages.find(predicate);
      if (found) return found;
      if (Date.now() - start > timeoutMs) throw new Error(`timed out; got ${JSON.stringify(this.messages.map((m) => m.type))}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** The `error` the server sent before closing, if any. */
  error(): (ServerMessage & { type: 'error' }) | undefined {
    return this.messages.find((m): m is ServerMessage & { type: 'error' } => m.type === 'error');
  }

  trs(session: string): number[] {
    return this.messages.flatMap((m) => (m.type === 'record' && m.session === session ? [m.record.tr] : []));
  }
}
