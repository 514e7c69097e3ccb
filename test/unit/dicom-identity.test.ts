/**
 * Identity from the header, never the file name (invariant 2): series key, instance hash, run index.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BoldstreamError } from '../../src/errors.js';
import { type DicomVolume, readDicom } from '../../src/ingest/dicom/index.js';
import { dicomText, edit } from '../helpers/dicom-fixtures.js';
import { dataPath } from '../helpers/paths.js';

const rtDir = () => dataPath('rtcloud-faces', 'dicom');
const load = (name: string) => new Uint8Array(readFileSync(path.join(rtDir(), name)));

describe('DICOM identity (rt-cloud real-time export)', () => {
  let byName: Map<string, DicomVolume>;
  beforeAll(() => {
    byName = new Map(readdirSync(rtDir()).map((f) => [f, readDicom(load(f), f)]));
  });

  it('K12 duplicate file has the same identity (…_000000.dcm is a byte copy of …_000010.dcm)', () => {
    const copy = byName.get('001_000013_000000.dcm')!;
    const original = byName.get('001_000013_000010.dcm')!;
    expect(copy.volume.identity).toEqual(original.volume.identity);
    expect(copy.volume.identity.index).toBe(9);
    expect(copy.volume.data).toEqual(original.volume.data);
  });

  it('index is InstanceNumber - 1: the ten distinct volumes take 0..9, whatever the file names say', () => {
    const distinct = [...byName.entries()].filter(([f]) => f !== '001_000013_000000.dcm').map(([, v]) => v);
    expect(distinct.map((v) => v.volume.identity.index).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (const v of distinct) {
      expect(v.volume.identity.index).toBe(v.instanceNumber! - 1);
      expect(v.acquisitionNumber).toBe(v.instanceNumber); // plain fMRI: both count volumes
    }
    expect(new Set(distinct.map((v) => v.volume.identity.instance)).size).toBe(10);
    expect(new Set(distinct.map((v) => v.seriesKey))).toEqual(new Set([distinct[0]!.volume.identity.series]));
    expect(distinct[0]!.seriesKey).toMatch(/^[0-9a-f]{16}$/);
  });

  it('K13 a misleading file name does not change the index', () => {
    const v = readDicom(load('001_000013_000003.dcm'), '001_000013_000007.dcm');
    expect(v.volume.identity.index).toBe(2);
  });

  it('K04 a restarted run (new SeriesInstanceUID or series number) gets another series key', () => {
    const base = load('001_000013_000001.dcm');
    const key = readDicom(base).seriesKey;
    const newUid = edit(base, [{ tag: 0x0020000e, value: dicomText('1.2.826.0.1.3680043.2.1125.1.99', 'UI') }]);
    const newNumber = edit(base, [{ tag: 0x00200011, value: dicomText('14', 'IS') }]);
    expect(readDicom(newUid).seriesKey).not.toBe(key);
    expect(readDicom(newNumber).seriesKey).not.toBe(key);
    expect(readDicom(newNumber).seriesNumber).toBe(14);
  });

  it('K12 without InstanceNumber the AcquisitionNumber places the volume; without both it is an error', () => {
    const base = load('001_000013_000004.dcm');
    const noInstance = edit(base, [{ tag: 0x00200013, value: null }]);
    expect(readDicom(noInstance).volume.identity.index).toBe(3);
    expect(readDicom(noInstance).instanceNumber).toBeNull();
    const neither = edit(noInstance, [{ tag: 0x00200012, value: null }]);
    expect(() => readDicom(neither)).toThrow(BoldstreamError);
    expect(() => readDicom(neither)).toThrow(/InstanceNumber/);
  });
});
