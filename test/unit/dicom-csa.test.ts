/**
 * The Siemens CSA header parser: real CSA2 headers against nibabel's reader, a CSA1 header built to the
 * SPM layout, and damaged headers, which must give DICOM_CSA_MALFORMED and nothing else, quickly.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BoldstreamError } from '../../src/errors.js';
import { csaNumbers, parseCsa } from '../../src/ingest/dicom/csa.js';
import { readDicom } from '../../src/ingest/dicom/index.js';
import { find, python } from '../helpers/dicom-fixtures.js';
import { dataPath } from '../helpers/paths.js';

const files = () => [
  dataPath('rtcloud-faces', 'dicom', '001_000013_000001.dcm'),
  path.join(dataPath('siemens-trio-motion-pair', 'In', 'Orientation', 'ax', 'axasc35'), 'MR.1.3.12.2.1107.5.2.32.35131.2014031012493950715786673'),
  dataPath('nibabel', 'dicom', '0.dcm'),
];

function csaBytes(file: string): Uint8Array {
  const bytes = new Uint8Array(readFileSync(file));
  const el = find(bytes, 0x00291010)!;
  return bytes.slice(el.valueStart, el.end);
}

type NibabelCsa = Record<string, { vr: string; items: (string | number)[] }>;

function nibabelCsa(file: string): NibabelCsa {
  return JSON.parse(
    python(
      `import sys, json, warnings, pydicom
warnings.simplefilter('ignore')
from nibabel.nicom import csareader
tags = csareader.get_csa_header(pydicom.dcmread(sys.argv[1]), 'image')['tags']
print(json.dumps({k: {'vr': v['vr'], 'items': v['items']} for k, v in tags.items()}, default=lambda b: b.split(b'\\0')[0].decode('latin1')))`,
      file,
    ),
  ) as NibabelCsa;
}

/** Parse result or the error code; any other exception fails the test. */
function outcome(bytes: Uint8Array): 'parsed' | 'DICOM_CSA_MALFORMED' {
  try {
    parseCsa(bytes);
    return 'parsed';
  } catch (e) {
    expect(e).toBeInstanceOf(BoldstreamError);
    expect((e as BoldstreamError).code).toBe('DICOM_CSA_MALFORMED');
    return 'DICOM_CSA_MALFORMED';
  }
}

describe('CSA header parser', () => {
  it.each(files().map((f) => [path.basename(f).slice(0, 24), f]))('CSA2 of %s reads like nibabel, element by element', (_name, file) => {
    const ours = parseCsa(csaBytes(file));
    const theirs = nibabelCsa(file);
    expect([...ours.keys()].sort()).toEqual(Object.keys(theirs).sort());
    for (const [name, { vr, items }] of Object.entries(theirs)) {
      const mine = ours.get(name)!;
      expect(mine.vr, name).toBe(vr);
      const expected = items.filter((v) => v !== '');
      if (expected.every((v) => typeof v === 'number')) expect(csaNumbers(ours, name), name).toEqual(expected);
      else expect(mine.items, name).toEqual(expected.map((v) => String(v).trim()));
    }
  });

  it('CSA1 (no SV10 marker; item length = first word minus the first tag\u2019s item count; 4-byte padding)', () => {
    // Built to the layout SPM's reader documents for CSA1; no real CSA1 file is among the test scans.
    const tags: [string, string, string[]][] = [
      ['EchoLinePosition', 'IS', ['32']],
      ['NumberOfImagesInMosaic', 'US', ['27']],
      ['SliceNormalVector', 'FD', ['0', '-0.1', '0.99']],
    ];
    const firstItems = tags[0]![2].length;
    const parts: Buffer[] = [];
    const u32 = (...v: number[]) => Buffer.from(new Int32Array(v).buffer);
    parts.push(u32(tags.length, 0));
    for (const [name, vr, items] of tags) {
      const head = Buffer.alloc(84);
      head.write(name, 0, 'latin1');
      head.writeInt32LE(items.length, 64);
      head.write(vr, 68, 'latin1');
      head.writeInt32LE(items.length, 76);
      head.writeInt32LE(77, 80);
      parts.push(head);
      for (const item of items) {
        const value = Buffer.from(`${item}\0`, 'latin1');
        parts.push(u32(value.length + firstItems, 0, 77, 0), value, Buffer.alloc(4 - (value.length % 4)));
      }
    }
    const csa = parseCsa(new Uint8Array(Buffer.concat(parts)));
    expect(csaNumbers(csa, 'NumberOfImagesInMosaic')).toEqual([27]);
    expect(csaNumbers(csa, 'SliceNormalVector')).toEqual([0, -0.1, 0.99]);
    expect(csaNumbers(csa, 'EchoLinePosition')).toEqual([32]);
  });

  it('a CSA header cut at every byte parses or gives DICOM_CSA_MALFORMED', () => {
    const bytes = csaBytes(files()[0]!);
    for (let cut = 0; cut < bytes.length; cut++) outcome(bytes.subarray(0, cut));
  });

  it('absurd counts are refused at once, not looped over', () => {
    const bytes = csaBytes(files()[0]!);
    const huge = bytes.slice();
    new DataView(huge.buffer).setUint32(8, 0x7fffffff, true);
    const started = performance.now();
    expect(outcome(huge)).toBe('DICOM_CSA_MALFORMED');
    const items = bytes.slice();
    new DataView(items.buffer).setInt32(16 + 76, 0x7fffffff, true);
    expect(outcome(items)).toBe('DICOM_CSA_MALFORMED');
    expect(performance.now() - started).toBeLessThan(50);
  });

  it('property: random flips and random bytes give a header or DICOM_CSA_MALFORMED, quickly', () => {
    const bytes = csaBytes(files()[1]!);
    fc.assert(
      fc.property(fc.array(fc.record({ at: fc.nat({ max: bytes.length - 1 }), xor: fc.integer({ min: 1, max: 255 }) }), { maxLength: 8 }), (flips) => {
        const damaged = bytes.slice();
        for (const { at, xor } of flips) damaged[at]! ^= xor;
        const started = performance.now();
        outcome(damaged);
        expect(performance.now() - started).toBeLessThan(200);
      }),
      { numRuns: 500, seed: 7 },
    );
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2000 }), (random) => void outcome(random)), { numRuns: 500, seed: 8 });
  });

  it('a malformed CSA inside a real file stops the read with DICOM_CSA_MALFORMED', () => {
    const file = new Uint8Array(readFileSync(files()[0]!));
    const el = find(file, 0x00291010)!;
    new DataView(file.buffer).setUint32(el.valueStart + 8, 5000, true); // tag count
    expect(() => readDicom(file)).toThrow(expect.objectContaining({ code: 'DICOM_CSA_MALFORMED' }) as BoldstreamError);
  });
});
