/**
 * Peak memory of the server process through a 1000-TR live session: the real server (wire-server.ts,
 * own process, recording on, tfjs backend loaded as `serve` loads it) and a client pushing rt-cloud
 * volumes (repeated in order, no synthetic motion) in closed loop: each push as soon as the previous
 * record is back. This is the figure the design budget speaks of; memory.ts --mode push gives the
 * session's own share without the server around it.
 */
import { finish, measure, numberArgument } from './lib/child.js';
import { pushSession } from './lib/push-client.js';
import { dist, type Row, single } from './lib/report.js';
import { startServerProcess } from './lib/server-process.js';

const trs = numberArgument('trs', 1000);
const BUDGET = { text: '≤ 300 MB', on: 'value', atMost: 300 } as const;

async function serverMemory(notes: string[]): Promise<Row[]> {
  const server = await startServerProcess();
  try {
    const started = performance.now();
    const { sent, arrived } = await pushSession(server.report.url, 'bench-memory-server', trs, null);
    const seconds = (performance.now() - started) / 1000;
    const stopped = await server.stop();
    const steady = [...arrived.keys()].filter((tr) => tr > 0);
    notes.push(`${arrived.size} records of ${trs} TRs in ${seconds.toFixed(1)} s, closed loop; RSS sampled every 10 ms in the server`);
    return [
      single('server RSS: listening, no session', 'MB', server.report.listeningMb),
      single('server RSS: peak sampled during the session', 'MB', stopped.sampledPeakMb, BUDGET),
      single('server array buffers at that peak', 'MB', stopped.arrayBuffersAtPeakMb),
      single('server maxRSS (kernel peak)', 'MB', stopped.maxRssMb, BUDGET),
      single('session share: maxRSS − listening', 'MB', stopped.maxRssMb - server.report.listeningMb),
      dist('closed-loop push → record at the client', 'ms', steady.map((tr) => arrived.get(tr)!.at - sent.get(tr)!)),
    ];
  } finally {
    await server.stop().catch(() => undefined);
  }
}

await finish(measure('memory-server', `4b. Memory: ${trs}-TR live session in the server process (push over WebSocket, recording on)`, serverMemory));
