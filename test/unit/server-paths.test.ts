import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertSafeName, resolveInside } from '../../src/server/paths.js';

const codeOf = (thunk: () => unknown): string | undefined => {
  try {
    thunk();
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
};

describe('resolveInside', () => {
  let root: string;
  let data: string;
  let extra: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'boldstream-paths-'));
    data = path.join(root, 'data');
    extra = path.join(root, 'extra');
    await mkdir(path.join(data, 'sub-01'), { recursive: true });
    await mkdir(extra);
    await mkdir(path.join(root, 'data2'));
    await symlink('/etc', path.join(data, 'escape'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('resolves relative paths against the data folder', () => {
    expect(resolveInside('sub-01/run.nii.gz', [data])).toBe(path.join(data, 'sub-01', 'run.nii.gz'));
    expect(resolveInside(path.join(data, 'sub-01'), [data])).toBe(path.join(data, 'sub-01'));
  });

  it('accepts paths inside an extra folder', () => {
    expect(resolveInside(path.join(extra, 'mask.nii'), [data, extra])).toBe(path.join(extra, 'mask.nii'));
  });

  it('refuses climbing out, absolute paths elsewhere, sibling folders with a common prefix and symlinks out', () => {
    expect(codeOf(() => resolveInside('../secret', [data]))).toBe('PATH_OUTSIDE_DATA');
    expect(codeOf(() => resolveInside('sub-01/../../secret', [data]))).toBe('PATH_OUTSIDE_DATA');
    expect(codeOf(() => resolveInside('/etc/passwd', [data]))).toBe('PATH_OUTSIDE_DATA');
    expect(codeOf(() => resolveInside(path.join(root, 'data2', 'x'), [data]))).toBe('PATH_OUTSIDE_DATA');
    expect(codeOf(() => resolveInside('escape/passwd', [data]))).toBe('PATH_OUTSIDE_DATA');
    expect(codeOf(() => resolveInside('a\0b', [data]))).toBe('PATH_OUTSIDE_DATA');
  });
});

describe('assertSafeName', () => {
  it('accepts plain names', () => {
    for (const name of ['faces-v1', 'model_2.bundle', 'bundle.json', 'A']) expect(assertSafeName(name)).toBe(name);
  });

  it('calls anything that could change folders PATH_OUTSIDE_DATA', () => {
    for (const name of ['..', '.', '../x', 'a/b', 'a\\b']) expect(codeOf(() => assertSafeName(name))).toBe('PATH_OUTSIDE_DATA');
  });

  it('calls other bad names HTTP_BAD_REQUEST', () => {
    for (const name of ['', 'with space', 'x'.repeat(65), 'ü']) expect(codeOf(() => assertSafeName(name))).toBe('HTTP_BAD_REQUEST');
  });
});

describe('relative paths over several data folders', () => {
  it('name the first folder where they exist', async () => {
    const a = await mkdtemp(path.join(tmpdir(), 'roots-a-'));
    const b = await mkdtemp(path.join(tmpdir(), 'roots-b-'));
    await mkdir(path.join(b, 'incoming'));
    expect(resolveInside('incoming', [a, b])).toBe(path.join(b, 'incoming'));
    expect(resolveInside('absent', [a, b])).toBe(path.join(a, 'absent'));
    expect(() => resolveInside('../elsewhere', [a, b])).toThrow(/PATH_OUTSIDE_DATA|not inside/);
    await rm(a, { recursive: true });
    await rm(b, { recursive: true });
  });
});
