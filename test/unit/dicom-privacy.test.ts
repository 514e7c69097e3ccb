/**
 * Hard rule: identifying values never leave the DICOM reader, whether it returns a volume or throws.
 * The values to look for are read independently with pydicom, for every attribute in IDENTIFYING_TAGS.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BoldstreamError } from '../../src/errors.js';
import { IDENTIFYING_TAGS, readDicom } from '../../src/ingest/dicom/index.js';
import { dicomText, edit, find, python } from '../helpers/dicom-fixtures.js';
import { dataPath } from '../helpers/paths.js';

const rtDir = () => dataPath('rtcloud-faces', 'dicom');

/** Every identifying value in the files, as pydicom reads it (person names also split into their parts). */
function identifyingValues(files: string[]): string[] {
  const out = python(
    `import sys, json, pydicom
tags = [int(t, 16) for t in json.loads(sys.argv[1])]
found = set()
for f in sys.argv[2:]:
    ds = pydicom.dcmread(f)
    for t in tags:
        el = ds.get(t) if t >> 16 != 2 else ds.file_meta.get(t)
        if el is None or el.VR == 'SQ' or el.value in (None, ''):
            continue
        values = el.value if isinstance(el.value, pydicom.multival.MultiValue) else [el.value]
        for v in values:
            s = str(v).strip()
            found.add(s)
            if el.VR == 'PN':
                found.update(p.strip() for p in s.split('^'))
print(json.dumps(sorted(v for v in found if v)))`,
    JSON.stringify(IDENTIFYING_TAGS.map((t) => t.tag)),
    ...files,
  );
  return JSON.parse(out) as string[];
}

/** All string leaves of a JSON value with their paths. */
function stringLeaves(value: unknown, at = '$'): [string, string][] {
  if (typeof value === 'string') return [[at, value]];
  if (Array.isArray(value)) return value.flatMap((v, i) => stringLeaves(v, `${at}[${i}]`));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => stringLeaves(v, `${at}.${k}`));
  return [];
}

/**
 * Long values must not occur anywhere in the text; values of 1-3 characters (a sex code "M", a study ID
 * "1") occur by chance inside other words, so they must not be a whole string value, except in ImageType
 * where "M" is the DICOM term for a magnitude image.
 */
function expectNoLeak(output: unknown, secrets: readonly string[]): void {
  const json = JSON.stringify(output, (_k, v: unknown) => (v instanceof Float32Array || v instanceof Float64Array ? Array.from(v) : v));
  for (const secret of secrets.filter((s) => s.length >= 4)) expect(json.includes(secret), `leaked "${secret}"`).toBe(false);
  const leaves = stringLeaves(JSON.parse(json)).filter(([at]) => !/imageType\[\d+\]$/.test(at));
  for (const secret of secrets.filter((s) => s.length < 4)) expect(leaves.filter(([, v]) => v === secret), `leaked "${secret}"`).toEqual([]);
}

function errorOutput(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(BoldstreamError);
    const err = e as BoldstreamError;
    return { json: err.toJSON(), message: err.message, text: String(err), stack: err.stack ?? '' };
  }
  return { noError: true };
}

describe('privacy: identifying values never leave the reader', () => {
  let files: string[];
  let secrets: string[];
  beforeAll(() => {
    files = readdirSync(rtDir()).map((f) => path.join(rtDir(), f));
    secrets = identifyingValues(files);
  });

  it('the rt-cloud headers do carry a name, birth date, sex, age, size, weight and an address (the test has teeth)', () => {
    for (const expected of ['1988', '030Y', '1.778', '81.6466', 'Princeton']) expect(secrets.some((s) => s.includes(expected))).toBe(true);
    expect(secrets.length).toBeGreaterThan(15);
  });

  it('everything a read returns (volume, identity, summary, warnings) is free of identifying values', () => {
    for (const file of files) {
      const result = readDicom(new Uint8Array(readFileSync(file)), file);
      expectNoLeak(result, secrets);
      expect(Object.keys(result.summary.identifying)).toEqual(expect.arrayContaining(['PatientName', 'PatientBirthDate', 'PatientWeight']));
      expect(new Set(Object.values(result.summary.identifying))).toEqual(new Set(['[redacted]']));
    }
  });

  it('errors thrown for truncated, flipped and edited variants are free of identifying values', () => {
    const bytes = new Uint8Array(readFileSync(files[1]!));
    const name = path.basename(files[1]!);
    const variants: Uint8Array[] = [];
    for (let cut = 0; cut < bytes.length; cut += 4099) variants.push(bytes.subarray(0, cut));
    const patient = find(bytes, 0x00100010)!;
    for (let at = patient.start; at < patient.end; at++) {
      const flipped = bytes.slice();
      flipped[at]! ^= 0x5a;
      variants.push(flipped);
    }
    // The patient's name moved into fields that error messages talk about.
    const realName = dicomText(secrets.find((s) => s.includes('greenEyes')) ?? 'x');
    variants.push(edit(bytes, [{ tag: 0x00080070, value: realName }]));
    variants.push(edit(bytes, [{ tag: 0x00020010, value: realName }]));
    variants.push(edit(bytes, [{ tag: 0x00080016, value: realName }]));
    variants.push(edit(bytes, [{ tag: 0x00200013, value: realName }, { tag: 0x00200012, value: null }]));
    let errors = 0;
    for (const variant of variants) {
      const output = errorOutput(() => readDicom(variant, name));
      if (!(output as { noError?: boolean }).noError) errors++;
      expectNoLeak(output, secrets);
    }
    expect(errors).toBeGreaterThan(variants.length / 2);
  });
});
