import { appendFile, mkdtemp, readFile, rm, stat, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BoldstreamError } from '../../src/errors.js';
import { fromRows } from '../../src/geometry/mat4.js';
import { Recorder, openRecording, recordingFiles, type RecordedSpec } from '../../src/record/index.js';
import type { Volume } from '../../src/volume.js';
import { fakeRecord } from '../helpers/fake-session.js';

function volume(index: number): Volume {
  const data = new Float32Array(64 * 64 * 27);
  for (let i = 0; i < data.length; i++) data[i] = index * 1000 + (i % 997) + 0.25;
  return {
    identity: { series: '1.2.840.99.7', index, instance: `sop-${index}` },
    grid: { dims: [64, 64, 27], voxelSize: [3, 3, 4], affine: fromRows([[-3, 0, 0, 96], [0, 3, 0, -96], [0, 0, 4, -52]]) },
    data,
    acquisitionTime: 36000 + 2 * index,
    receivedAt: 1_700_000_000_000 + 2000 * index,
    repetitionTime: 2,
    sliceTiming: Array.from({ length: 27 }, (_, k) => k * 0.07),
    warnings: [],
  };
}

const spec: RecordedSpec = {
  id: 'run-01',
  source: { kind: 'push' },
  masks: [{ name: 'FFA', nifti: new Uint8Array([1, 2, 3]) }],
  events: [],
  repetitionTime: 2,
};

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('Recorder and openRecording', () => {
  let root: string;
  let dir: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'boldstream-record-'));
    dir = path.join(root, 'run-01');
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('reads back volumes, events, records and session state exactly', async () => {
    const recorder = await Recorder.create(dir, spec);
    for (let i = 0; i < 3; i++) {
      recorder.appendVolume(volume(i));
      recorder.appendRecord(fakeRecord(i));
    }
    recorder.appendEvent({ onset: 12, duration: 8, trial_type: 'face' }, 1234);
    recorder.appendRecord({ tr: 3, error: { code: 'VOLUME_MISSING', message: 'no volume arrived for this TR' } });
    await recorder.close({ ...recorder.info, state: 'ended', endedAt: 99 });

    const recording = await openRecording(dir);
    expect(recording.damage).toEqual([]);
    expect(recording.info.state).toBe('ended');
    expect(recording.info.records).toBe(4);
    expect(recording.spec.masks[0]!.nifti).toEqual(new Uint8Array([1, 2, 3]));
    const volumes = await collect(recording.volumes());
    expect(volumes).toHaveLength(3);
    expect(volumes[2]).toEqual(volume(2));
    expect(volumes[2]!.data).toBeInstanceOf(Float32Array);
    expect(volumes[2]!.grid.affine).toBeInstanceOf(Float64Array);
    expect(await collect(recording.events())).toEqual([{ onset: 12, duration: 8, trial_type: 'face', receivedAt: 1234 }]);
    const records = await collect(recording.records());
    expect(records.map((r) => r.tr)).toEqual([0, 1, 2, 3]);
    expect(records[1]).toEqual(fakeRecord(1));
  });

  it('keeps nothing of a volume but what the readers parse', async () => {
    const recorder = await Recorder.create(dir, spec);
    recorder.appendVolume({ ...volume(0), patientName: 'DOE^JANE' } as Volume);
    await recorder.close();
    const bytes = await readFile(path.join(dir, recordingFiles.volumes));
    expect(bytes.includes(Buffer.from('DOE^JANE'))).toBe(false);
  });

  it('stops at the last complete frame after a crash mid-write, and says so (torn frame)', async () => {
    const recorder = await Recorder.create(dir, spec);
    for (let i = 0; i < 3; i++) recorder.appendVolume(volume(i));
    for (let i = 0; i < 3; i++) recorder.appendRecord(fakeRecord(i));
    await recorder.close();
    const volumesFile = path.join(dir, recordingFiles.volumes);
    const size = (await stat(volumesFile)).size;
    await truncate(volumesFile, size - 1000);
    await appendFile(path.join(dir, recordingFiles.records), '{"tr":3,"receivedAt":');

    const recording = await openRecording(dir);
    expect(recording.damage.map((d) => d.file).sort()).toEqual([recordingFiles.records, recordingFiles.volumes]);
    expect(recording.damage.every((d) => d.warning.code === 'RECORDING_TRUNCATED')).toBe(true);
    const volumes = await collect(recording.volumes());
    expect(volumes.map((v) => v.identity.index)).toEqual([0, 1]);
    expect(volumes[1]).toEqual(volume(1));
    expect((await collect(recording.records())).map((r) => r.tr)).toEqual([0, 1, 2]);
  });

  it('treats a zero-filled tail as torn', async () => {
    const recorder = await Recorder.create(dir, spec);
    recorder.appendVolume(volume(0));
    await recorder.close();
    await appendFile(path.join(dir, recordingFiles.volumes), Buffer.alloc(4096));
    const recording = await openRecording(dir);
    expect(recording.damage).toHaveLength(1);
    expect(await collect(recording.volumes())).toHaveLength(1);
  });

  it('refuses to record over an existing recording (SESSION_EXISTS)', async () => {
    const recorder = await Recorder.create(dir, spec);
    await recorder.close();
    await expect(Recorder.create(dir, spec)).rejects.toMatchObject({ code: 'SESSION_EXISTS' });
  });

  it('makes session.json follow state changes', async () => {
    const recorder = await Recorder.create(dir, spec);
    await recorder.update({ ...recorder.info, state: 'running' });
    expect((await openRecording(dir)).info.state).toBe('running');
    await recorder.close({ ...recorder.info, state: 'failed', error: { code: 'SOURCE_FAILED', message: 'x' } });
    expect((await openRecording(dir)).info.error?.code).toBe('SOURCE_FAILED');
  });

  it('says INPUT_NOT_FOUND for a missing folder and RECORDING_INVALID for a folder that is no recording', async () => {
    await expect(openRecording(path.join(root, 'nope'))).rejects.toMatchObject({ code: 'INPUT_NOT_FOUND' });
    await expect(openRecording(root)).rejects.toBeInstanceOf(BoldstreamError);
    await expect(openRecording(root)).rejects.toMatchObject({ code: 'RECORDING_INVALID' });
  });
});
