/**
 * Starts bench/wire-server.ts in a child process and talks to it over IPC: the URL and RSS when it
 * listens, its RSS peaks when stopped. The client side of a benchmark stays in the parent, so client
 * and server each have their own event loop, as a scanner-side client and the server have.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface ServerReport {
  readonly type: 'listening';
  readonly url: string;
  /** RSS of the bare process (Node + the TypeScript loader), MB. */
  readonly bareMb: number;
  /** After the server's modules and the compute backend (tfjs) are loaded, MB. */
  readonly loadedMb: number;
  /** Listening, no session yet, MB. */
  readonly listeningMb: number;
}

export interface ServerStopped {
  readonly type: 'stopped';
  /** Highest RSS sampled every 10 ms while the server ran, MB. */
  readonly sampledPeakMb: number;
  /** process.memoryUsage().arrayBuffers when that peak was sampled, MB. */
  readonly arrayBuffersAtPeakMb: number;
  /** process.resourceUsage().maxRSS, MB. */
  readonly maxRssMb: number;
}

export interface ServerProcess {
  readonly report: ServerReport;
  stop(): Promise<ServerStopped>;
}

export function startServerProcess(): Promise<ServerProcess> {
  const file = fileURLToPath(new URL('../wire-server.ts', import.meta.url));
  const child = fork(file, [], { execArgv: process.execArgv, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const next = <T>(): Promise<T> =>
    new Promise((resolve, reject) => {
      child.once('message', (m) => resolve(m as T));
      child.once('exit', (code) => reject(new Error(`benchmark server exited (${code})`)));
    });
  let stopping: Promise<ServerStopped> | null = null;
  return next<ServerReport>().then((report) => ({
    report,
    stop: () => {
      if (!stopping) {
        stopping = next<ServerStopped>();
        child.send('stop');
      }
      return stopping;
    },
  }));
}
