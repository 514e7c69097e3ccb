/**
 * The writer, checked by nibabel: what we write, nibabel reads with the same affine (from the sform
 * and from the qform alone), TR, datatype and values; and what we write, we read back unchanged.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BoldstreamError } from '../../src/errors.js';
import { fromRows, type Mat4 } from '../../src/geometry/mat4.js';
import { readNifti, readNiftiFile, writeNifti, writeNiftiFile, type NiftiWritable } from '../../src/ingest/nifti/index.js';
import type { VoxelGrid } from '../../src/volume.js';
import { dataPath } from '../helpers/paths.js';
import { flat, nibabelDescribe, temporaryFolder } from '../fixtures/nifti/nibabel.js';

const folder = temporaryFolder();
const at = (name: string): string => path.join(folder.dir, name);
afterAll(() => folder.remove());

/** Rotation about an oblique axis times voxel sizes; `flip` mirrors the k axis (qfac -1 in the qform). */
function obliqueGrid(flip: boolean): VoxelGrid {
  const [ax, ay, az] = [0.3, -0.5, 0.81].map((v) => v / Math.hypot(0.3, -0.5, 0.81)) as [number, number, number];
  const angle = 0.4;
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  const t = 1 - c;
  const r = [
    [t * ax * ax + c, t * ax * ay - s * az, t * ax * az + s * ay],
    [t * ax * ay + s * az, t * ay * ay + c, t * ay * az - s * ax],
    [t * ax * az - s * ay, t * ay * az + s * ax, t * az * az + c],
  ];
  const size = [3, 3.25, flip ? -4 : 4];
  const rows = r.map((row, i) => [...row.map((v, j) => v * size[j]!), [92.1, -111.9, -23.96][i]!]);
  return { dims: [7, 6, 5], voxelSize: [3, 3.25, 4], affine: fromRows([...rows, [0, 0, 0, 1]]) };
}

function ramp<T extends Float32Array | Int16Array | Uint8Array>(make: new (n: number) => T, n: number, scale: number): T {
  const out = new make(n);
  for (let i = 0; i < n; i++) out[i] = ((i * 37) % 211) * scale - (out instanceof Uint8Array ? 0 : 50);
  return out;
}

const maxDiff = (rows: number[][] | null, affine: Mat4): number => Math.max(...flat(rows!).map((v, i) => Math.abs(v - affine[i]!)));

const CASES = [
  { name: 'float32, NIfTI-1, gzip', version: 1, gzip: true, data: () => ramp(Float32Array, 7 * 6 * 5 * 3, 0.37), flip: true },
  { name: 'float32, NIfTI-2, plain', version: 2, gzip: false, data: () => ramp(Float32Array, 7 * 6 * 5 * 3, 0.37), flip: false },
  { name: 'int16, NIfTI-1, plain', version: 1, gzip: false, data: () => ramp(Int16Array, 7 * 6 * 5 * 3, 150), flip: false },
  { name: 'int16, NIfTI-2, gzip', version: 2, gzip: true, data: () => ramp(Int16Array, 7 * 6 * 5 * 3, 150), flip: true },
  { name: 'uint8 mask, NIfTI-1, gzip', version: 1, gzip: true, data: () => ramp(Uint8Array, 7 * 6 * 5, 1), flip: true },
] as const;

describe.each(CASES)('writer round trip: $name', ({ version, gzip, data, flip }) => {
  const image: NiftiWritable = { grid: obliqueGrid(flip), data: data(), repetitionTime: 1.5, description: 'boldstream test' };
  const file = at(`${version}-${image.data.constructor.name}-${flip}.nii${gzip ? '.gz' : ''}`);

  it('nibabel reads the same affine (sform and qform), TR, datatype and values', async () => {
    await writeNiftiFile(file, image, { version });
    const reference = nibabelDescribe(file);
    const frames = image.data.length / (7 * 6 * 5);
    expect(reference.shape).toEqual([7, 6, 5, frames]);
    expect(maxDiff(reference.sform, image.grid.affine)).toBeLessThanOrEqual(1e-4);
    expect(maxDiff(reference.qform, image.grid.affine)).toBeLessThanOrEqual(1e-4);
    expect([reference.sformCode, reference.qformCode]).toEqual([1, 1]);
    expect([reference.pixdim[4], reference.timeUnit]).toEqual([1.5, 'sec']);
    expect(reference.dtype).toBe({ Float32Array: 'float32', Int16Array: 'int16', Uint8Array: 'uint8' }[image.data.constructor.name]);
    expect(reference.values).toEqual(Float32Array.from(image.data));
  });

  it('we read back what we wrote, without warnings', () => {
    const bytes = readFileSync(file);
    expect(bytes[0] === 0x1f && bytes[1] === 0x8b).toBe(gzip);
    const back = readNifti(bytes);
    expect(back.header.version).toBe(version);
    expect(back.header.description).toBe('boldstream test');
    expect(back.warnings).toEqual([]);
    expect(back.repetitionTime).toBe(1.5);
    expect(back.grid.dims).toEqual(image.grid.dims);
    back.grid.voxelSize.forEach((v, i) => expect(v).toBeCloseTo(image.grid.voxelSize[i]!, 5));
    expect(maxDiff([...Array(4).keys()].map((r) => Array.from(back.grid.affine.subarray(r * 4, r * 4 + 4))), image.grid.affine)).toBeLessThanOrEqual(1e-4);
    expect(back.data).toEqual(Float32Array.from(image.data));
  });
});

describe('writer details', () => {
  it('a real run written back out keeps nibabel\'s affine and every value', async () => {
    const run = await readNiftiFile(dataPath('rtcloud-faces', 'rtcloud_faces_run01.nii.gz'));
    const file = at('rtcloud-copy.nii.gz');
    await writeNiftiFile(file, { grid: run.grid, data: run.data, repetitionTime: run.repetitionTime });
    const original = nibabelDescribe(dataPath('rtcloud-faces', 'rtcloud_faces_run01.nii.gz'));
    const copy = nibabelDescribe(file);
    expect(copy.shape).toEqual(original.shape);
    expect(maxDiff(copy.affine, fromRows(original.affine))).toBeLessThanOrEqual(1e-4);
    expect(copy.values).toEqual(original.values);
  });

  it('a 3D image without TR is written as 3D', () => {
    const grid = obliqueGrid(false);
    const back = readNifti(writeNifti({ grid, data: new Uint8Array(7 * 6 * 5) }));
    expect([back.header.dims.length, back.frames, back.repetitionTime]).toEqual([3, 1, null]);
  });

  it('refuses data that does not fill whole frames, and singular affines', () => {
    const grid = obliqueGrid(false);
    const codeOf = (write: () => unknown): string | undefined => {
      try {
        write();
      } catch (thrown) {
        return thrown instanceof BoldstreamError ? thrown.code : 'other';
      }
      return undefined;
    };
    expect(codeOf(() => writeNifti({ grid, data: new Float32Array(7 * 6 * 5 + 1) }))).toBe('NIFTI_BAD_DIMS');
    expect(codeOf(() => writeNifti({ grid: { ...grid, affine: new Float64Array(16) }, data: new Float32Array(7 * 6 * 5) }))).toBe('NIFTI_BAD_AFFINE');
  });
});
