/**
 * K21 qform and sform disagree, unknown codes, non-unit quaternions: one documented choice (sform, else
 * qform, else voxel sizes), a warning, the same rule for run, reference and masks. K28 a relay or replay
 * that changes dimensions or geometry mid-run: the volume is checked against the reference and is an
 * error record; the session goes on with the old reference.
 *
 * The reader's rule is proved in test/unit/nifti-headers.test.ts ("K21 orientation: one rule for runs,
 * references and masks") and on real files in test/unit/nifti-real.test.ts ("K21 the amygdala ROI
 * (qform only) lands on the run grid (sform) within 0.01 mm"); a pushed volume of other dimensions in
 * test/integration/bad-input.test.ts ("K28 a pushed volume on another grid mid-run is a
 * VOLUME_GRID_MISMATCH error record; later TRs are fine"). Here: the rule across run and mask in one
 * session, and a change of geometry with the same dimensions.
 */
import { copyFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { TrRecord } from '../../src/generated/boldstream.js';
import { fromRows, toRows } from '../../src/geometry/mat4.js';
import { writeNifti } from '../../src/ingest/nifti/index.js';
import { type ErrorRecord, isErrorRecord } from '../../src/session/types.js';
import { dicomText, edit, find, textOf } from '../helpers/dicom-fixtures.js';
import {
  blobData,
  labelOf,
  processItems,
  rtBytes,
  rtFile,
  rtName,
  SMALL_AFFINE,
  SMALL_DIMS,
  smallGrid,
  smallVolume,
  startSession,
  TempDirs,
  volumeOf,
} from '../helpers/kind-fixtures.js';

const temp = new TempDirs();
afterAll(() => temp.removeAll());

/** A NIfTI-1 written by our writer (sform = qform), then its qoffset_x moved: the forms disagree by `mm`. */
function withShiftedQform(bytes: Uint8Array, mm: number): Uint8Array {
  const out = bytes.slice();
  const view = new DataView(out.buffer);
  view.setFloat32(268, view.getFloat32(268, true) + mm, true);
  return out;
}

describe('K21 one orientation rule for the run and its masks', () => {
  it('K21 run and mask whose qforms are 0.5 mm off their sforms: both placed by the sform, the mask used, and both warnings said', async () => {
    const dir = temp.make('forms');
    const n = SMALL_DIMS[0] * SMALL_DIMS[1] * SMALL_DIMS[2];
    const run = new Float32Array(8 * n);
    for (let t = 0; t < 8; t++) run.set(blobData({ seed: t + 1 }), t * n);
    writeFileSync(path.join(dir, 'run.nii'), withShiftedQform(writeNifti({ grid: smallGrid(), data: run, frames: 8, repetitionTime: 2 }), 0.5));
    const roi = new Float32Array(n).map((_, v) => (v % SMALL_DIMS[0] > 5 && v % SMALL_DIMS[0] < 10 && Math.floor(v / 256) === 4 ? 1 : 0));
    writeFileSync(path.join(dir, 'roi.nii'), withShiftedQform(writeNifti({ grid: smallGrid(), data: roi }), -0.5));

    const replay = await startSession({ id: 'forms', source: { kind: 'replay', path: path.join(dir, 'run.nii'), speed: 0 }, masks: [{ name: 'roi', path: path.join(dir, 'roi.nii') }], events: [] });
    expect((await replay.ended).state).toBe('ended');
    const records = replay.records as TrRecord[];
    expect(records.filter(isErrorRecord)).toEqual([]);
    // The run's own header warning comes with its first record; the mask fits (sform to sform) and is used.
    expect(records[0]!.warnings.filter((w) => w.code === 'HEADER_FORM_DISAGREE')).toHaveLength(1);
    expect(records.flatMap((r) => r.warnings).map((w) => w.code)).not.toContain('MASK_GRID_MISMATCH');
    for (const r of records) expect(Number.isFinite(r.roi.roi)).toBe(true);
    // The mask's warning is told once, when the session starts.
    const told = replay.statuses.filter((s) => s.detail.startsWith('HEADER_FORM_DISAGREE: mask roi:'));
    expect(told).toHaveLength(1);
    expect(told[0]!.afterRecords).toBe(0);
  });
});

describe('K28 a volume on another grid mid-run', () => {
  it('K28 the same dimensions, the grid moved by 2 mm: an error record with both times; later TRs register to the old reference', async () => {
    const moved = fromRows(toRows(SMALL_AFFINE()).map((row, i) => (i === 0 ? [row[0]!, row[1]!, row[2]!, row[3]! + 2] : row)));
    const volumes = [0, 1, 2, 3, 4, 5].map((t) => smallVolume(t, t === 3 ? { grid: smallGrid(moved), receivedAt: 1_700_000_000_003 } : {}));
    const out = await processItems(volumes.map(volumeOf));
    expect(out.items.map(labelOf)).toEqual(['v0', 'v1', 'v2', 'VOLUME_GRID_MISMATCH 3', 'v4', 'v5']);
    const failed = out.items[3]!;
    expect(failed.kind === 'failed' && failed.record).toMatchObject({ tr: 3, acquisitionTime: 40_006, receivedAt: 1_700_000_000_003 });
    expect(failed.kind === 'failed' && failed.record.error.message).toMatch(/reference TR 0/);
    // The reference is still TR 0: TR 4 and 5 are registered to it, converged, with a good fit.
    for (const item of out.items.slice(4)) {
      expect(item.kind === 'tr' && item.ctx.motion!.converged).toBe(true);
      expect(item.kind === 'tr' && item.ctx.motion!.similarity).toBeGreaterThan(0.9);
    }
  });

  it('K28 a DICOM of the same series whose slab moved 5 mm (ImagePositionPatient) is a VOLUME_GRID_MISMATCH record for its TR; the run goes on', async () => {
    const dir = temp.make('moved-slab');
    for (const n of [1, 2, 3, 4, 6, 7]) copyFileSync(rtFile(n), path.join(dir, rtName(n)));
    const bytes = rtBytes(5);
    const position = textOf(bytes, find(bytes, 0x00200032)!).split('\\').map(Number);
    const movedPosition = [position[0]! + 5, position[1]!, position[2]!].map((v) => v.toFixed(3)).join('\\');
    writeFileSync(path.join(dir, rtName(5)), edit(bytes, [{ tag: 0x00200032, value: dicomText(movedPosition, 'DS') }]));

    const replay = await startSession({ id: 'moved-slab', source: { kind: 'replay', path: dir, speed: 0 }, masks: [], events: [] });
    expect((await replay.ended).state).toBe('ended');
    expect(replay.records.map((r) => r.tr)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(replay.records.filter(isErrorRecord).map((r) => [r.tr, r.error.code])).toEqual([[4, 'VOLUME_GRID_MISMATCH']]);
    const moved = replay.records[4] as ErrorRecord;
    expect(moved.acquisitionTime).toBeGreaterThan(0);
    expect(moved.receivedAt).toBeGreaterThan(0);
    const after = replay.records.slice(5) as TrRecord[];
    for (const r of after) expect(r.quality!.similarity).toBeGreaterThan(0.99);
  });
});
