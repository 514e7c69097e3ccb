/**
 * What GET /health calls degraded: the server is up and answers, but something it would rather have
 * is missing. Each entry names `what` is affected and `kind` of trouble, so that a monitor can alert
 * on one without parsing messages:
 *
 *   compute-backend  fallback | gradients   the backend chosen at start is not the preferred one (recon/backend.ts)
 *   source           behind | stalled       a running session's volumes come late or not at all (watch-arrival.ts, K27)
 *   disk             low | unknown          free space under recordingsDir is below health.minFreeDiskMb
 *
 * Disk space is read at most once every few seconds: a monitor polling /health must not make the
 * server stat the disk on every request.
 */
import { mkdir, statfs } from 'node:fs/promises';
import type { StalledSession } from './hub.js';

export interface Degradation {
  readonly what: 'compute-backend' | 'source' | 'disk';
  readonly kind: string;
  readonly message: string;
  readonly session?: string;
  readonly freeMb?: number;
}

export interface DiskSpace {
  readonly freeMb: number | null;
  readonly error?: string;
}

const DISK_CACHE_MS = 5000;

/** Free space of the file system holding `dir`, cached for a few seconds. */
export function diskWatcher(dir: string): () => Promise<DiskSpace> {
  let last: { at: number; value: DiskSpace } | null = null;
  return async () => {
    if (last && Date.now() - last.at < DISK_CACHE_MS) return last.value;
    let value: DiskSpace;
    try {
      // The folder is made by the first session; before that, ask about the place it will be.
      await mkdir(dir, { recursive: true });
      const fs = await statfs(dir);
      value = { freeMb: Math.floor((fs.bavail * fs.bsize) / (1024 * 1024)) };
    } catch (error) {
      value = { freeMb: null, error: (error as Error).message };
    }
    last = { at: Date.now(), value };
    return value;
  };
}

export function degradations(input: {
  readonly backend: { readonly kind: string; readonly message: string } | null | undefined;
  readonly stalled: readonly StalledSession[];
  readonly disk: DiskSpace;
  readonly minFreeDiskMb: number;
}): Degradation[] {
  const out: Degradation[] = [];
  if (input.backend) out.push({ what: 'compute-backend', ...input.backend });
  for (const s of input.stalled) {
    out.push({ what: 'source', kind: s.detail === 'stalled' ? 'stalled' : 'behind', session: s.session, message: s.detail === 'stalled' ? 'no volume has arrived for longer than the stall deadline' : s.detail });
  }
  const { disk } = input;
  if (disk.freeMb === null) out.push({ what: 'disk', kind: 'unknown', message: `cannot read free space of the recordings folder: ${disk.error ?? 'unknown error'}` });
  else if (disk.freeMb < input.minFreeDiskMb) {
    out.push({ what: 'disk', kind: 'low', freeMb: disk.freeMb, message: `${disk.freeMb} MB free under the recordings folder, below health.minFreeDiskMb (${input.minFreeDiskMb} MB)` });
  }
  return out;
}
