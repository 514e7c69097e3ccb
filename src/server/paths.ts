/**
 * Paths and names that clients hand us. A client may name a file (SourceSpec.path, MaskSpec.path) or
 * a folder name (session id, model name), and each must stay inside the folders the operator allowed:
 * a server on the scanner network must never become a way to read or write elsewhere on the disk.
 */
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { BoldstreamError } from '../errors.js';

/** A single folder or file name: letters, digits, dot, underscore, dash; never `.` or `..`. */
export const safeNamePattern = /^(?!\.{1,2}$)[A-Za-z0-9._-]{1,64}$/;

/**
 * Checks a name that becomes one path segment (model name, session id, bundle file name).
 * Anything that could climb or descend folders is PATH_OUTSIDE_DATA; any other bad name is
 * HTTP_BAD_REQUEST, so that a client learns which rule it broke.
 */
export function assertSafeName(name: string, what = 'name'): string {
  if (name === '.' || name === '..' || /[/\\\0]/.test(name)) {
    throw new BoldstreamError('PATH_OUTSIDE_DATA', `${what} ${JSON.stringify(name)} is a path, not a name`);
  }
  if (!safeNamePattern.test(name)) {
    throw new BoldstreamError('HTTP_BAD_REQUEST', `${what} ${JSON.stringify(name)} must match ${safeNamePattern.source}`);
  }
  return name;
}

/** The real location of a path: symlinks resolved for the part that exists, the rest appended. */
function realLocation(target: string): string {
  let existing = target;
  const rest: string[] = [];
  for (;;) {
    try {
      return path.join(realpathSync(existing), ...rest.reverse());
    } catch {
      const parent = path.dirname(existing);
      if (parent === existing) return target;
      rest.push(path.basename(existing));
      existing = parent;
    }
  }
}

function isInside(candidate: string, root: string): boolean {
  const rel = path.relative(root, candidate);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * Resolves a client-given path against the first root and returns its absolute form when it lies
 * inside one of `roots` (after following symlinks, so a link inside the data folder that points
 * elsewhere is refused too). Throws PATH_OUTSIDE_DATA otherwise.
 */
export function resolveInside(given: string, roots: readonly string[]): string {
  if (roots.length === 0) throw new BoldstreamError('PATH_OUTSIDE_DATA', 'no data folder is configured');
  if (given.includes('\0')) throw new BoldstreamError('PATH_OUTSIDE_DATA', 'path contains a NUL byte');
  // A relative path names a place in the first folder where it exists (else in the first folder), so
  // "rtcloud-faces/dicom" and "incoming" work with the scans in one folder and exports in another.
  const candidates = path.isAbsolute(given) ? [path.resolve(given)] : roots.map((r) => path.resolve(r, given));
  const lexical = candidates.find((c) => existsSync(c)) ?? candidates[0]!;
  const real = realLocation(lexical);
  for (const root of roots) {
    const absRoot = path.resolve(root);
    if (isInside(lexical, absRoot) && isInside(real, realLocation(absRoot))) return lexical;
  }
  throw new BoldstreamError('PATH_OUTSIDE_DATA', `${JSON.stringify(given)} is not inside ${roots.map((r) => path.resolve(r)).join(' or ')}`);
}
