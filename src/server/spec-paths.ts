/**
 * The paths inside a session spec (source file or folder, mask files) are checked and made absolute
 * before a session is built, so that the factory receives only paths inside the allowed folders.
 */
import type { SessionSpec } from '../generated/boldstream.js';
import { resolveInside } from './paths.js';

export interface SpecRoots {
  /** Folders a source or mask may be read from (config.dataDir first, then extra folders). */
  readonly data: readonly string[];
  /** Recordings may also be replayed from here (source kind `recording`). */
  readonly recordings: string;
}

export function checkSpecPaths<T extends SessionSpec>(spec: T, roots: SpecRoots): T {
  // A recording is named by its session id, or by a path in the data folders.
  const sourceRoots = spec.source.kind === 'recording' ? [roots.recordings, ...roots.data] : roots.data;
  const source = spec.source.path === undefined ? spec.source : { ...spec.source, path: resolveInside(spec.source.path, sourceRoots) };
  const masks = spec.masks.map((m) => (m.path === undefined ? m : { ...m, path: resolveInside(m.path, roots.data) }));
  return { ...spec, source, masks };
}
