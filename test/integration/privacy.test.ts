/**
 * Privacy (issue 5, part 4): no patient-identifying DICOM field reaches a log, a record, a recording or
 * a client; `boldstream inspect` shows them as "[redacted]".
 *
 * The rt-cloud export goes every way it can: replayed inside the server, pushed by `boldstream replay
 * --server`, replayed locally with a recording, written into a watched folder (with a file cut short, so
 * that error paths speak too), and its recording replayed by the server and by the command line. Logs
 * are captured at trace level. Then EVERY output is scanned: records as JSON lines and as raw WebSocket
 * frames (JSON and msgpack), every file of every recording (volumes.bin, events, session.json, masks,
 * decompressed), the server's and the command line's logs, `inspect`'s output, and the HTTP answers.
 *
 * The values to look for are read independently with pydicom, by keyword, from a list kept here (not
 * the product's own list), in their decoded and their raw byte forms.
 */
import { copyFile, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { main } from '../../src/cli.js';
import { defaultConfig } from '../../src/config.js';
import type { SessionInfo } from '../../src/generated/boldstream.js';
import { chooseBackend } from '../../src/recon/backend.js';
import { decodeServerMessage, type Encoding, encodeClientMessage } from '../../src/server/codec.js';
import { type RunningServer, startServer } from '../../src/server/start.js';
import { python } from '../helpers/dicom-fixtures.js';
import { tempDir, until } from '../helpers/live-server.js';
import { dataPath, sharedData } from '../helpers/paths.js';

const dicomDir = dataPath('rtcloud-faces', 'dicom');
const amygdala = dataPath('rtcloud-faces', 'L_AMYG_thrp5_bin_resampled_space-native.nii.gz');

/** Attributes that identify the person, the visit or the site (after PS3.15 Annex E), by keyword. */
const IDENTIFYING = [
  'PatientName', 'PatientID', 'IssuerOfPatientID', 'PatientBirthDate', 'PatientBirthTime', 'PatientSex', 'PatientAge',
  'PatientSize', 'PatientWeight', 'PatientAddress', 'OtherPatientIDs', 'OtherPatientNames', 'PatientBirthName',
  'PatientMotherBirthName', 'PatientTelephoneNumbers', 'EthnicGroup', 'Occupation', 'AdditionalPatientHistory', 'PatientComments',
  'InstitutionName', 'InstitutionAddress', 'InstitutionalDepartmentName', 'StationName', 'DeviceSerialNumber',
  'ReferringPhysicianName', 'PhysiciansOfRecord', 'PerformingPhysicianName', 'OperatorsName', 'NameOfPhysiciansReadingStudy',
  'StudyDescription', 'PerformedProcedureStepDescription', 'PerformedProcedureStepID', 'RequestedProcedureDescription',
  'AccessionNumber', 'StudyID', 'StudyDate', 'SeriesDate', 'AcquisitionDate', 'ContentDate', 'InstanceCreationDate',
  'PerformedProcedureStepStartDate', 'StudyInstanceUID', 'SeriesInstanceUID', 'SOPInstanceUID', 'FrameOfReferenceUID',
  'MediaStorageSOPInstanceUID', 'ImageComments',
];

interface Secret {
  readonly keyword: string;
  readonly value: string;
}

/** Every identifying value in the files: decoded (and split into its parts) and as the raw bytes stored. */
function identifyingValues(files: readonly string[]): Secret[] {
  const out = python(
    `import sys, json, pydicom
from pydicom.datadict import tag_for_keyword
keywords = json.loads(sys.argv[1])
found = set()
def add(keyword, text):
    text = text.strip(' \\x00')
    if not text:
        return
    found.add((keyword, text))
    for part in text.replace('^', '_').replace(',', '_').split('_'):
        if len(part.strip()) >= 4:
            found.add((keyword, part.strip()))
for f in sys.argv[2:]:
    ds = pydicom.dcmread(f)
    for keyword in keywords:
        tag = tag_for_keyword(keyword)
        holder = ds.file_meta if tag >> 16 == 2 else ds
        if tag not in holder:
            continue
        raw = holder.get_item(tag)
        if hasattr(raw, 'value') and isinstance(raw.value, bytes):
            add(keyword, raw.value.decode('latin1'))  # the raw byte form, padding and all
        el = holder[tag]
        if el.VR == 'SQ' or el.value in (None, ''):
            continue
        values = el.value if isinstance(el.value, pydicom.multival.MultiValue) else [el.value]
        for v in values:
            add(keyword, str(v))
print(json.dumps(sorted(found)))`,
    JSON.stringify(IDENTIFYING),
    ...files,
  );
  return (JSON.parse(out) as [string, string][]).map(([keyword, value]) => ({ keyword, value }));
}

/** One output, as text (JSON re-serialised without timing fields) and, for files, its bytes. */
interface Output {
  readonly where: string;
  readonly text: string;
  /** Parsed JSON values, for the check of short values against whole string fields. */
  readonly json: unknown[];
}

/** Times and latencies are numbers of this run, not of the scan; a latency of 1.778 ms is not a height. */
function withoutTimes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutTimes);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([k]) => !['latencyMs', 'time', 'responseTime', 'receivedAt', 'startedAt', 'endedAt', 'uptimeS'].includes(k)).map(([k, v]) => [k, withoutTimes(v)]));
  }
  return value;
}

/** Text that may hold JSON documents or JSON lines: each parsed one is re-serialised without times. */
function outputOf(where: string, text: string): Output {
  const json: unknown[] = [];
  const parts: string[] = [];
  const whole = (() => {
    try {
      return [JSON.parse(text) as unknown];
    } catch {
      return null;
    }
  })();
  for (const doc of whole ?? text.split('\n')) {
    if (typeof doc !== 'string') {
      json.push(doc);
      parts.push(JSON.stringify(withoutTimes(doc)));
      continue;
    }
    try {
      const parsed = JSON.parse(doc) as unknown;
      json.push(parsed);
      parts.push(JSON.stringify(withoutTimes(parsed)));
    } catch {
      parts.push(doc);
    }
  }
  return { where, text: parts.join('\n'), json };
}

function stringLeaves(value: unknown, at = '$'): [string, string][] {
  if (typeof value === 'string') return [[at, value]];
  if (Array.isArray(value)) return value.flatMap((v, i) => stringLeaves(v, `${at}[${i}]`));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => stringLeaves(v, `${at}.${k}`));
  return [];
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Where a secret shows in a text. Values of 4 characters or more are looked for anywhere (case
 * ignored); numbers only as whole numbers (so that 45031 is not found inside a long receivedAt).
 * Values of 1-3 characters ("M", "1") occur inside other words by chance: they count only as a whole
 * JSON string value, outside the DICOM ImageType list where "M" means a magnitude image.
 */
function leaksIn(output: Output, secrets: readonly Secret[]): string[] {
  const found: string[] = [];
  for (const { keyword, value } of secrets) {
    if (value.length >= 4) {
      const numeric = /^[0-9.+-]+$/.test(value);
      const pattern = numeric ? new RegExp(`(?<![0-9.])${escape(value)}(?![0-9])`) : new RegExp(escape(value), 'i');
      if (pattern.test(output.text)) found.push(`${keyword} "${value}" in ${output.where}`);
      continue;
    }
    for (const doc of output.json) {
      for (const [at, leaf] of stringLeaves(doc)) if (leaf.trim() === value && !/imageType\[\d+\]$/i.test(at)) found.push(`${keyword} "${value}" as ${at} in ${output.where}`);
    }
  }
  return found;
}

/** A binary file: its bytes as latin1 and UTF-16, scanned for the long values. */
function binaryLeaks(where: string, bytes: Buffer, secrets: readonly Secret[]): string[] {
  const views = [bytes.toString('latin1'), bytes.toString('utf16le'), bytes.subarray(1).toString('utf16le')];
  return secrets.filter((s) => s.value.length >= 5 && views.some((v) => v.includes(s.value))).map((s) => `${s.keyword} "${s.value}" in ${where} (bytes)`);
}

/** A WebSocket that subscribes to every session and keeps every frame as it came. */
async function rawSubscriber(url: string, encoding: Encoding): Promise<{ frames: (Buffer | string)[]; socket: WebSocket }> {
  const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/ws?encoding=${encoding}&protocol=1`);
  const frames: (Buffer | string)[] = [];
  socket.on('message', (data: Buffer, isBinary: boolean) => frames.push(isBinary ? Buffer.from(data) : data.toString('utf8')));
  await new Promise<void>((resolve, reject) => socket.once('open', () => resolve()).once('error', reject));
  socket.send(encodeClientMessage({ type: 'subscribe', session: '*' }, encoding));
  await until(() => frames.length >= 2, `${encoding} welcome and ack`);
  return { frames, socket };
}

/** `boldstream <argv>` in this process at trace level, with stdout, stderr and the logger's lines captured. */
async function cli(argv: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void out.push(args.map(String).join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void err.push(args.map(String).join(' ')));
  const write = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => {
    err.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    return true;
  });
  try {
    const code = await main([...argv, '--log-level', 'trace']);
    return { code, stdout: out.join('\n'), stderr: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
    write.mockRestore();
  }
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of await readdir(dir)) {
    const full = path.join(dir, name);
    if ((await stat(full)).isDirectory()) out.push(...(await filesUnder(full)));
    else out.push(full);
  }
  return out;
}

describe('privacy: no identifying DICOM value in any output', () => {
  let secrets: Secret[];
  let scratch: string;
  let server: RunningServer;
  const serverLog: string[] = [];
  const outputs: Output[] = [];
  const binaries: { where: string; bytes: Buffer }[] = [];
  const sockets: WebSocket[] = [];
  let wsFrames: { encoding: Encoding; frames: (Buffer | string)[] }[] = [];
  let inspectFolder: { code: number; stdout: string; stderr: string };
  let inspectFile: { code: number; stdout: string; stderr: string };

  const post = async (url: string, body: unknown): Promise<unknown> => {
    const reply = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const text = await reply.text();
    outputs.push(outputOf(`POST ${new URL(url).pathname}`, text));
    expect(reply.status, text).toBeLessThan(300);
    return JSON.parse(text) as unknown;
  };
  const get = async (route: string): Promise<string> => {
    const reply = await fetch(`${server.url}${route}`);
    const text = await reply.text();
    outputs.push(outputOf(`GET ${route}`, text));
    expect(reply.status, `${route}: ${text}`).toBe(200);
    return text;
  };
  const ended = async (id: string): Promise<SessionInfo> => {
    let info: SessionInfo | null = null;
    await until(() => {
      info = server.server.hub.has(id) ? server.server.hub.info(id) : null;
      return info !== null && (info.state === 'ended' || info.state === 'failed');
    }, `session ${id} to end`, 60_000);
    return info!;
  };

  beforeAll(async () => {
    const files = (await readdir(dicomDir)).map((f) => path.join(dicomDir, f));
    secrets = identifyingValues(files);
    scratch = await tempDir('privacy');
    const recordingsDir = path.join(scratch, 'recordings');
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        serverLog.push(chunk.toString('utf8'));
        done();
      },
    });
    const config = defaultConfig({ dataDir: sharedData, recordingsDir, modelsDir: path.join(scratch, 'models'), logLevel: 'trace', computeBackend: 'cpu', server: { host: '127.0.0.1', port: 0 }, watch: { pollMs: 50, incompleteDeadlineMs: 800 } });
    server = await startServer({ config, logger: pino({ level: 'trace' }, sink), backend: await chooseBackend('cpu'), port: 0, host: '127.0.0.1', handleSignals: false, extraDataDirs: [scratch] });
    const json = await rawSubscriber(server.url, 'json');
    const msgpack = await rawSubscriber(server.url, 'msgpack');
    sockets.push(json.socket, msgpack.socket);
    wsFrames = [
      { encoding: 'json', frames: json.frames },
      { encoding: 'msgpack', frames: msgpack.frames },
    ];

    // 1. The export replayed inside the server, with the amygdala ROI.
    await post(`${server.url}/sessions`, { id: 'in-server', source: { kind: 'replay', path: dicomDir, speed: 0 }, masks: [{ name: 'amygdala', path: amygdala }], events: [{ onset: 3, duration: 6, trial_type: 'face' }] });
    expect((await ended('in-server')).state).toBe('ended');

    // 2. Pushed by the command line as a scanner-side client would, records back to a file.
    const pushed = await cli(['replay', dicomDir, '--server', server.url, '--mask', `amygdala=${amygdala}`, '--out', path.join(scratch, 'pushed.jsonl')]);
    expect(pushed.code).toBe(0);
    outputs.push(outputOf('replay --server (stdout)', pushed.stdout), outputOf('replay --server (stderr, trace log)', pushed.stderr));

    // 3. Replayed locally, recorded, records to a file.
    const local = await cli(['replay', dicomDir, '--out', path.join(scratch, 'local.jsonl'), '--record', '--config', await configFile(scratch, recordingsDir)]);
    expect(local.code).toBe(0);
    outputs.push(outputOf('replay local (stdout)', local.stdout), outputOf('replay local (stderr, trace log)', local.stderr));

    // 4. A watched export folder: the files arrive one by one, one of them cut short (error paths name files).
    const exportDir = path.join(scratch, 'export');
    await mkdir(exportDir);
    await writeFile(path.join(exportDir, 'README.txt'), 'export\n');
    await post(`${server.url}/sessions`, { id: 'watched', source: { kind: 'watch', path: exportDir }, masks: [], events: [] });
    await until(() => server.server.hub.info('watched').state === 'running', 'the watch session');
    await new Promise((resolve) => setTimeout(resolve, 400));
    // In the scanner's order: instances 1-10, then 000000, the byte copy of instance 10.
    for (const name of [...files.sort().slice(1), files[0]!]) {
      if (name.endsWith('000006.dcm')) await writeFile(path.join(exportDir, path.basename(name)), (await readFile(name)).subarray(0, 300_000));
      else await copyFile(name, path.join(exportDir, path.basename(name)));
    }
    await until(() => server.server.hub.info('watched').records >= 10, 'ten records of the watched folder', 30_000);
    await post(`${server.url}/sessions/watched/stop`, {});
    await ended('watched');

    // 5. The server's recording of session 1 replayed by the server, and by the command line.
    const recording = path.join(recordingsDir, 'in-server');
    await post(`${server.url}/sessions`, { id: 'from-recording', source: { kind: 'recording', path: recording, speed: 0 }, masks: [], events: [] });
    expect((await ended('from-recording')).state).toBe('ended');
    const again = await cli(['replay', recording, '--out', path.join(scratch, 'recording-replay.jsonl')]);
    expect(again.code).toBe(0);
    outputs.push(outputOf('replay <recording> (stderr, trace log)', again.stderr));

    // 6. inspect, on the folder and on one file.
    inspectFolder = await cli(['inspect', dicomDir]);
    inspectFile = await cli(['inspect', files[1]!]);
    outputs.push(outputOf('inspect <folder>', inspectFolder.stdout), outputOf('inspect <folder> (stderr)', inspectFolder.stderr));
    outputs.push(outputOf('inspect <file>', inspectFile.stdout), outputOf('inspect <file> (stderr)', inspectFile.stderr));

    // 7. HTTP answers.
    for (const route of ['/health', '/sessions', '/sessions/in-server', '/sessions/watched', '/sessions/from-recording', '/sessions/in-server/records', '/sessions/watched/records']) await get(route);

    // 8. Every file written: record files and the recordings, with compressed ones opened.
    await new Promise((resolve) => setTimeout(resolve, 300)); // let the socket frames and logs settle
    for (const file of [...(await filesUnder(scratch))].filter((f) => !f.startsWith(exportDir))) {
      const bytes = await readFile(file);
      const where = path.relative(scratch, file);
      const plain = file.endsWith('.gz') ? gunzipSync(bytes) : bytes;
      binaries.push({ where, bytes: plain });
      if (/\.(jsonl?|txt)$/.test(file)) outputs.push(outputOf(where, plain.toString('utf8')));
    }
    for (const { encoding, frames } of wsFrames) {
      frames.forEach((frame, i) => {
        const decoded = decodeServerMessage(typeof frame === 'string' ? frame : new Uint8Array(frame), encoding);
        outputs.push(outputOf(`WebSocket ${encoding} frame ${i}`, JSON.stringify(decoded)));
        if (typeof frame !== 'string') binaries.push({ where: `WebSocket ${encoding} frame ${i}`, bytes: frame });
      });
    }
    outputs.push(outputOf('server log (trace)', serverLog.join('')));
  }, 180_000);

  afterAll(async () => {
    for (const s of sockets) s.terminate();
    await server?.close();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('the rt-cloud headers do carry identifying values, and every way of reading them ran (the test has teeth)', () => {
    const keywords = new Set(secrets.map((s) => s.keyword));
    for (const k of ['PatientName', 'PatientID', 'PatientBirthDate', 'PatientSex', 'PatientAge', 'PatientSize', 'PatientWeight', 'InstitutionAddress', 'InstitutionName', 'StudyDescription', 'DeviceSerialNumber', 'SeriesInstanceUID']) expect(keywords).toContain(k);
    for (const v of ['0219191_greenEyes', '19880514', '030Y', '1.778', '81.6466', 'Princeton']) expect(secrets.some((s) => s.value.includes(v))).toBe(true);
    // Records of every session came over both sockets, and the watched folder met its cut file.
    const text = outputs.map((o) => o.text).join('\n');
    for (const id of ['in-server', 'watched', 'from-recording']) expect(text).toContain(`"session":"${id}"`);
    expect(text).toContain('VOLUME_INCOMPLETE');
    expect(serverLog.length).toBeGreaterThan(50);
    expect(serverLog.some((line) => line.includes('"level":20'))).toBe(true); // debug lines: the logger ran below info
    expect(binaries.some((b) => b.where.endsWith('volumes.bin'))).toBe(true);
    expect(binaries.some((b) => b.where.endsWith(path.join('masks', 'amygdala.nii.gz')))).toBe(true);
  });

  it('no record, WebSocket frame, log line, HTTP answer, inspect output or recording file holds an identifying value', () => {
    const leaks = [...outputs.flatMap((o) => leaksIn(o, secrets)), ...binaries.flatMap((b) => binaryLeaks(b.where, b.bytes, secrets))];
    expect(leaks).toEqual([]);
    expect(outputs.length).toBeGreaterThan(100);
  });

  it('inspect shows the identifying fields as "[redacted]", and only that', () => {
    expect(inspectFile.code).toBe(0);
    const described = JSON.parse(inspectFile.stdout) as { summary: { identifying: Record<string, string> } };
    for (const k of ['PatientName', 'PatientID', 'PatientBirthDate', 'PatientSex', 'PatientAge', 'PatientSize', 'PatientWeight', 'InstitutionAddress']) expect(described.summary.identifying[k]).toBe('[redacted]');
    expect(new Set(Object.values(described.summary.identifying))).toEqual(new Set(['[redacted]']));
    const folder = JSON.parse(inspectFolder.stdout) as { summary?: { identifying: Record<string, string> } }[];
    expect(folder).toHaveLength(11);
    for (const file of folder) expect(file.summary!.identifying.PatientName).toBe('[redacted]');
  });
});

/** A config file for the local replay: its recording goes under the test's folder, not the repository. */
async function configFile(scratch: string, recordingsDir: string): Promise<string> {
  const file = path.join(scratch, 'config.json');
  await writeFile(file, JSON.stringify({ recordingsDir, dataDir: sharedData }));
  return file;
}
