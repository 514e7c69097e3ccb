/**
 * The browser viewer (clients/web, served at /) driven in real headless Chromium against the real
 * server on port 0, as a person in the scanner room would use it:
 *
 * 1. from the page's start form, a replay of the rt-cloud DICOM export with the amygdala ROI; while it
 *    runs: pause (Space), mark an event (m), a dropped WebSocket that reconnects and catches up from the
 *    TR after the last one seen, a new speed (9); then all 10 TRs with the six motion traces, FD and
 *    the ROI signal, equal to the records the server recorded, and the FD alarm at a lower threshold;
 * 2. a simulated subject's test run with a pixels feature model and the run's events.tsv picked in the
 *    form: a live reconstruction with its trial index and iteration beside the true stimulus, then Stop.
 *
 * The assertions read what the page exposes as data-* attributes and text, never pixels. Screenshots
 * go to test-artifacts/ (BOLDSTREAM_UPDATE_SCREENSHOT=1 also writes docs/viewer.png). Skipped, saying
 * so, where /usr/bin/chromium is missing (`apt-get install chromium`; .ci/run installs it).
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEvents } from '../../src/ingest/bids/index.js';
import { runCli, startTestServer, tempDir, type TestServer } from '../helpers/live-server.js';
import { dataPath, repoRoot } from '../helpers/paths.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`test/e2e/viewer.test.ts skipped: ${CHROMIUM} is missing (apt-get install chromium)`);

const artifacts = path.join(repoRoot, 'test-artifacts');

// The page's debugging handle (clients/web/app.js), as far as this test reads it; declared here because
// the tests are compiled without the DOM library.
interface PageData {
  tr: number[];
  fd: (number | null)[];
  roi: Map<string, (number | null)[]>;
  motion: Record<string, (number | null)[]>;
}
declare const window: { boldstream: { connection: { socket: { close(): void } }; data: PageData } };
interface ImageNode {
  complete: boolean;
  naturalWidth: number;
  dataset: Record<string, string | undefined>;
}
declare const document: { querySelector(selector: string): ImageNode };
const rtcloudMask = 'rtcloud-faces/L_AMYG_thrp5_bin_resampled_space-native.nii.gz';

describe.skipIf(!haveChromium)('browser viewer in headless Chromium', () => {
  let root: string;
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let simRun: string;
  let simEvents: string;
  const pageErrors: string[] = [];
  const requests: { url: string; type: string; authorization: string | undefined }[] = [];
  const sockets: string[] = [];

  const viewer = (key: string) => page.locator('#viewer').getAttribute(`data-${key}`);
  const attr = (selector: string, key: string) => page.locator(selector).getAttribute(`data-${key}`);
  /** Polls an attribute from Node until it satisfies `ok`. */
  const until = (read: () => Promise<string | null>, ok: (value: string | null) => boolean, what: string, timeout = 15_000) =>
    expect.poll(read, { timeout, interval: 50, message: what }).toSatisfy(ok);
  const api = async <T>(url: string): Promise<T> => (await (await fetch(`${server.url}${url}`)).json()) as T;

  beforeAll(async () => {
    const started = performance.now();
    root = await tempDir('viewer-e2e');
    // A small simulated subject and a pixels feature bundle, in the server's models folder.
    const sim = path.join(root, 'sim');
    const made = await runCli(['simulate', '--from', dataPath('rtcloud-faces', 'rtcloud_faces_run01.nii.gz'), '--out', sim, '--seed', '4', '--train-runs', '2', '--test-runs', '1', '--volumes-per-run', '80', '--image-size', '32']);
    expect(made.code, made.stderr).toBe(0);
    const func = path.join(sim, 'sub-sim', 'func');
    simRun = path.join(func, 'sub-sim_task-test_run-01_bold.nii.gz');
    simEvents = path.join(func, 'sub-sim_task-test_run-01_events.tsv');
    const modelsDir = path.join(root, 'models');
    const trained = await runCli(['train', sim, '--task', 'train', '--mask', path.join(func, 'sub-sim_space-bold_desc-visual_mask.nii.gz'), '--out', path.join(modelsDir, 'sim-px'), '--feature-space', 'pixels', '--pixels', '16']);
    expect(trained.code, trained.stderr).toBe(0);
    server = await startTestServer({
      overrides: { modelsDir, computeBackend: 'wasm', reconstruction: { imageSize: 32, drainMs: 2000 } },
      extraDataDirs: [sim],
    });
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM });
    page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('request', (request) => requests.push({ url: request.url(), type: request.resourceType(), authorization: request.headers().authorization }));
    page.on('websocket', (socket) => sockets.push(socket.url()));
    await mkdir(artifacts, { recursive: true });
    console.info(`viewer e2e setup (simulate, train, server, browser): ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('starts the rt-cloud replay from the page, pauses, marks, reconnects, re-paces, and shows 10 TRs of motion and ROI signal', async () => {
    // A token in the address travels on every request and on the WebSocket (the server ignores it for now).
    await page.goto(`${server.url}/?token=room-token`);
    await page.waitForSelector('#viewer[data-connection="open"]');
    await page.fill('#source-path', 'rtcloud-faces/dicom');
    await page.fill('#masks', `amygdala=${rtcloudMask}`);
    await page.selectOption('#start-speed', '2');
    await page.click('#start-button');
    await until(() => viewer('session'), (v) => v !== null, 'a session watched');
    await until(() => viewer('trs'), (v) => Number(v) >= 2, 'two TRs shown');
    const id = (await viewer('session'))!;
    const [info] = (await api<{ sessions: { id: string; source: { path: string }; masks: string[] }[] }>('/sessions')).sessions;
    expect(info).toMatchObject({ id, source: { path: dataPath('rtcloud-faces', 'dicom') }, masks: ['amygdala'] });

    // Space: pause. The server says so, and so does the page.
    await page.locator('body').press('Space');
    await page.waitForSelector('#viewer[data-paused="true"]');
    expect((await api<{ paused: boolean }>(`/sessions/${id}`)).paused).toBe(true);
    await expect.poll(() => page.locator('#session-state').textContent()).toMatch(/^paused/);
    const pausedAt = Number(await viewer('last-tr'));
    expect(pausedAt).toBeLessThan(9);

    // m: an event marker, recorded by the server, ticked on the timeline.
    await page.keyboard.press('m');
    await page.waitForSelector('#timeline .mark', { state: 'attached' });

    // The connection drops: the page reconnects by itself and asks for the TRs after the last one it has.
    const held = Number(await viewer('last-tr'));
    await page.evaluate(() => window.boldstream.connection.socket.close());
    await until(() => viewer('reconnects'), (v) => Number(v) >= 1, 'a reconnect');
    await until(() => viewer('connection'), (v) => v === 'open', 'the connection open again');
    await until(() => viewer('subscribed-from'), (v) => v === String(held + 1), `a subscription from TR ${held + 1}`);

    // 9: speed ×9, then Space resumes; the run plays out.
    await page.keyboard.press('9');
    await page.waitForSelector('#viewer[data-speed="9"]');
    expect((await api<{ source: { speed: number } }>(`/sessions/${id}`)).source.speed).toBe(9);
    await page.keyboard.press('Space');
    await page.waitForSelector('#viewer[data-session-state="ended"]', { timeout: 20_000 });
    await page.waitForSelector('#viewer[data-trs="10"]');

    expect(await viewer('last-tr')).toBe('9');
    expect(await viewer('duplicates')).toBe('0');
    expect(await attr('#motion-chart', 'points')).toBe('10');
    expect(await attr('#motion-chart', 'series')).toBe('trans_x,trans_y,trans_z,rot_x,rot_y,rot_z');
    expect(await attr('#fd-chart', 'points')).toBe('10');
    expect(await attr('#roi-chart', 'series')).toBe('amygdala');
    expect(await attr('#roi-chart', 'points')).toBe('10');
    expect(await attr('#latency-chart', 'points')).toBe('10');
    expect(await page.locator('#tile-tr').textContent()).toBe('9');
    expect(await page.locator('#roi-legend').textContent()).toMatch(/amygdala -?\d+\.\d\d/);

    // What the page drew is what the server recorded, TR for TR.
    const recorded = (await (await fetch(`${server.url}/sessions/${id}/records`)).text()).trim().split('\n').map((line) => JSON.parse(line) as { tr: number; framewise_displacement: number; roi: { amygdala: number }; motion: { trans_z: number } });
    expect(recorded.map((r) => r.tr)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const shown = await page.evaluate(() => {
      const { data } = window.boldstream;
      return { tr: data.tr, fd: data.fd, roi: data.roi.get('amygdala'), transZ: data.motion.trans_z };
    });
    expect(shown.tr).toEqual(recorded.map((r) => r.tr));
    expect(shown.fd).toEqual(recorded.map((r) => r.framewise_displacement));
    expect(shown.roi).toEqual(recorded.map((r) => r.roi.amygdala));
    expect(shown.transZ).toEqual(recorded.map((r) => r.motion.trans_z));

    // The marker reached the session's recording.
    const events = (await readFile(path.join(server.config.recordingsDir, id, 'events.jsonl'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as { trial_type?: string; duration: number });
    expect(events).toEqual([expect.objectContaining({ trial_type: 'mark', duration: 0 })]);

    // The FD alarm: a threshold under the run's largest FD colours the TRs above it.
    const fds = recorded.map((r) => r.framewise_displacement);
    const threshold = 0.1;
    await page.fill('#fd-threshold', String(threshold));
    await page.waitForSelector(`#fd-chart[data-threshold="${threshold}"]`);
    expect(Number(await attr('#fd-chart', 'over'))).toBe(fds.filter((fd) => fd > threshold).length);
    expect(Number(await attr('#fd-chart', 'over'))).toBeGreaterThan(0);
    expect(await page.locator('.fd-tile').evaluate((el) => el.classList.contains('alarm'))).toBe(fds[9]! > threshold);
    await page.fill('#fd-threshold', '0.5');
    await page.locator('#fd-threshold').blur();

    // The token went along with the HTTP calls and on the WebSocket address.
    const calls = requests.filter((r) => r.type === 'fetch');
    expect(calls.map((r) => new URL(r.url).pathname)).toEqual(expect.arrayContaining(['/sessions', '/recordings', `/sessions/${id}/pause`, `/sessions/${id}/events`, `/sessions/${id}/speed`]));
    for (const call of calls) expect(call.authorization, call.url).toBe('Bearer room-token');
    expect(sockets.length).toBeGreaterThanOrEqual(2);
    for (const url of sockets) expect(new URL(url).searchParams.get('token')).toBe('room-token');

    // The picture without the passing notification, after the last draw.
    await page.locator('#toast').evaluate((toast: { hidden: boolean }) => (toast.hidden = true));
    await page.waitForTimeout(200);
    await page.screenshot({ path: path.join(artifacts, 'viewer-rtcloud.png') });
    if (process.env.BOLDSTREAM_UPDATE_SCREENSHOT) await copyFile(path.join(artifacts, 'viewer-rtcloud.png'), path.join(repoRoot, 'docs', 'viewer.png'));
    expect(pageErrors).toEqual([]);
  });

  it('shows the live reconstruction of a simulated run with its trial index and iteration, beside the true stimulus', async () => {
    const events = await readEvents(simEvents);
    await page.fill('#source-path', simRun);
    await page.fill('#masks', '');
    await page.focus('#model'); // focusing the form lists the server's bundles
    await page.waitForSelector('#feature-model option[value="sim-px"]', { state: 'attached' });
    await page.selectOption('#feature-model', 'sim-px');
    await page.setInputFiles('#events-file', simEvents);
    await page.selectOption('#start-speed', '10');
    await page.fill('#session-id', 'sim-run');
    await page.click('#start-button');
    await page.waitForSelector('#viewer[data-session="sim-run"]');

    const image = page.locator('#recon-img');
    await page.waitForSelector('#recon-img[data-iteration]', { timeout: 30_000 });
    expect(await image.getAttribute('src')).toMatch(/^data:image\/png;base64,/);
    expect(await page.locator('#recon-caption').textContent()).toMatch(/^trial #\d+ · iteration \d+ · TR \d+/);

    // The optimiser refines: a later frame of some trial has iterations behind it.
    await until(() => image.getAttribute('data-iteration'), (v) => Number(v) > 0, 'a refined frame', 20_000);

    // One consistent look at both pictures once decoded (frames keep coming): the reconstruction of a
    // trial, and beside it that trial's true stimulus, served by the server from the simulated dataset.
    const look = () =>
      page.evaluate(() => {
        const recon = document.querySelector('#recon-img');
        const stimulus = document.querySelector('#stimulus-img');
        return {
          trial: Number(recon.dataset.trial),
          iteration: Number(recon.dataset.iteration),
          reconWidth: recon.complete ? recon.naturalWidth : 0,
          stimFile: stimulus.dataset.stimFile,
          stimWidth: stimulus.dataset.state === 'loaded' && stimulus.complete ? stimulus.naturalWidth : 0,
        };
      });
    let seen = await look();
    const decoded = (l: typeof seen) => l.reconWidth === 32 && l.stimWidth === 32;
    await expect.poll(async () => (seen = await look()), { timeout: 10_000, interval: 20 }).toSatisfy(decoded);
    expect(Number.isInteger(seen.trial) && seen.trial >= 0).toBe(true);
    expect(Number.isInteger(seen.iteration) && seen.iteration >= 0).toBe(true);
    expect(seen.stimFile).toBe(events[seen.trial]!.stim_file);
    expect(Number(await attr('#timeline', 'trials'))).toBeGreaterThanOrEqual(1);
    expect(Number(await viewer('trs'))).toBeGreaterThan(0);

    await page.screenshot({ path: path.join(artifacts, 'viewer-reconstruction.png') });

    // Stop asks for a second press; the session then ends.
    await page.click('#stop-button');
    await page.click('#stop-button');
    await page.waitForSelector('#viewer[data-session-state="ended"]', { timeout: 20_000 });
    expect((await api<{ state: string }>('/sessions/sim-run')).state).toBe('ended');
    expect(pageErrors).toEqual([]);
  });

  it('lists its keys in a help overlay, and hides the controls and goes full screen from the keyboard', async () => {
    await page.keyboard.press('?');
    const help = page.locator('#help');
    await expect.poll(() => help.evaluate((d: { open: boolean }) => d.open)).toBe(true);
    const keys = await page.locator('#help-keys kbd').allTextContents();
    expect(keys).toEqual(expect.arrayContaining(['f', 'Space', 'm', '1 … 9', '0', '? or h', 'Esc']));
    await page.keyboard.press('Escape');
    await expect.poll(() => help.evaluate((d: { open: boolean }) => d.open)).toBe(false);
    // c hides the controls and brings them back.
    await page.keyboard.press('c');
    expect(await page.locator('#controls').isHidden()).toBe(true);
    await page.keyboard.press('c');
    expect(await page.locator('#controls').isVisible()).toBe(true);
    // f: full screen, the picture only; f again: back, with the controls.
    const body = page.locator('body');
    await page.keyboard.press('f');
    await until(() => body.getAttribute('class'), (v) => v?.includes('fullscreen') === true, 'full screen');
    expect(await page.locator('#controls').isHidden()).toBe(true);
    await page.keyboard.press('f');
    await until(() => body.getAttribute('class'), (v) => v?.includes('fullscreen') === false, 'full screen left');
    expect(await page.locator('#controls').isVisible()).toBe(true);
  });
});
