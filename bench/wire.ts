/**
 * Arrival → record on the wire, as a closed-loop user sees it: a real server in its own process
 * (wire-server.ts), and here a client (src/client/client.ts) that pushes the rt-cloud volumes over
 * the WebSocket at a steady pace and is subscribed to the session. The figure runs from just before
 * `push` (so it includes msgpack encoding, loopback, decoding, the pipeline, the recorder's share, and
 * the record's way back) to the record's arrival at the client. The server-side `total` of the same
 * records is printed beside it; the difference is codec + socket, broken down below it.
 *
 * The server is warmed by one 10-TR session first. TR 0 of the measured session (reference set-up)
 * is awaited before the paced pushes begin, so its one-off cost does not queue up TR 1.
 */
import { finish, measure, numberArgument } from './lib/child.js';
import { codecRows } from './lib/codec-costs.js';
import { rtcloudVolumes } from './lib/data.js';
import { pushSession } from './lib/push-client.js';
import { dist, type Row, single } from './lib/report.js';
import { startServerProcess } from './lib/server-process.js';

const volumesToPush = numberArgument('volumes', 200);
const intervalMs = numberArgument('interval-ms', 100);

async function wire(notes: string[]): Promise<Row[]> {
  const server = await startServerProcess();
  try {
    await pushSession(server.report.url, 'bench-wire-warmup', 10, intervalMs);
    const { sent, sentEpoch, acked, arrived } = await pushSession(server.report.url, 'bench-wire', volumesToPush, intervalMs);
    const stopped = await server.stop();
    const steady = [...arrived.keys()].filter((tr) => tr > 0);
    const seen = (tr: number): number => arrived.get(tr)!.at - sent.get(tr)!;
    const serverTotal = (tr: number): number => arrived.get(tr)!.record.latencyMs.total ?? Number.NaN;
    // receivedAt is the server's Date.now() as PushSource takes the push: whole milliseconds.
    const upstream = (tr: number): number => (arrived.get(tr)!.record.receivedAt ?? Number.NaN) - sentEpoch.get(tr)!;
    if (arrived.size !== volumesToPush) notes.push(`only ${arrived.size} of ${volumesToPush} records came back`);
    notes.push(`${volumesToPush} float32 volumes (442 kB each) pushed every ${intervalMs} ms after TR 0; server warmed by one 10-TR session; the server records the session to disk`);
    notes.push('codec rows: the same functions timed alone in the client process (200 runs each); the server also runs ws framing and the hub');
    return [
      single('TR 0 push → record (reference set-up)', 'ms', seen(0)),
      single('TR 0 server total', 'ms', serverTotal(0)),
      dist('steady push → record at the client', 'ms', steady.map(seen), { text: 'p99 ≤ 25 ms', on: 'p99', atMost: 25 }),
      dist('steady push → ack', 'ms', steady.filter((tr) => acked.has(tr)).map((tr) => acked.get(tr)! - sent.get(tr)!)),
      dist('steady server total (arrival → record)', 'ms', steady.map(serverTotal)),
      dist('steady codec + socket (client − server total)', 'ms', steady.map((tr) => seen(tr) - serverTotal(tr))),
      dist('  upstream: push → server receivedAt (±1 ms)', 'ms', steady.map(upstream)),
      dist('  downstream: record made → client (±1 ms)', 'ms', steady.map((tr) => seen(tr) - upstream(tr) - serverTotal(tr))),
      ...codecRows((await rtcloudVolumes())[1]!, arrived.get(1)!.record, 200),
      single('server RSS: bare process (node + tsx)', 'MB', server.report.bareMb),
      single('server RSS: modules + tfjs cpu backend loaded', 'MB', server.report.loadedMb),
      single('server RSS: listening, no session', 'MB', server.report.listeningMb),
      single('server RSS: peak (maxRSS) after both sessions', 'MB', stopped.maxRssMb),
    ];
  } finally {
    await server.stop().catch(() => undefined);
  }
}

await finish(measure('wire', '2. Arrival → record on the wire: server on 127.0.0.1 (own process), push session, client pushes + subscribes', wire));
