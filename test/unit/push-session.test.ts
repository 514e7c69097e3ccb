import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config.js';
import { PushSource } from '../../src/ingest/sources/push.js';
import { createLogger } from '../../src/log.js';
import { PipelineSessionFactory } from '../../src/session/factory.js';
import type { SessionRecord } from '../../src/session/types.js';

function push(session: string, index: number, valid = true) {
  const dims = [8, 8, 4];
  const data = new Float32Array(8 * 8 * 4).map((_, i) => 500 + ((i * 37) % 101) + index);
  return {
    session,
    index,
    dims,
    voxelSize: [3, 3, 3],
    affine: [3, 0, 0, 0, 0, 3, 0, 0, 0, 0, 3, 0, 0, 0, 0, 1],
    dtype: 'float32',
    data: valid ? new Uint8Array(data.buffer) : new Uint8Array(12),
    warnings: [],
  };
}

describe('push sessions', () => {
  it('keep what a client pushes before the pipeline has started, and end when asked at once', async () => {
    const factory = new PipelineSessionFactory({ config: defaultConfig(), logger: createLogger({ logLevel: 'silent' }), record: false });
    const session = await factory.create({ id: 'eager', source: { kind: 'push' }, masks: [], events: [] });
    const records: SessionRecord[] = [];
    session.records$.subscribe((r) => records.push(r));
    // All in the same turn of the event loop as `start`: nothing may be lost.
    session.pushVolume(push('eager', 0));
    session.pushVolume(push('eager', 1, false));
    session.pushVolume(push('eager', 2));
    await session.stop();
    expect(records.map((r) => r.tr)).toEqual([0, 1, 2]);
    expect(records.map((r) => ('error' in r && r.error ? r.error.code : 'ok'))).toEqual(['ok', 'VOLUME_INVALID', 'ok']);
    expect(session.info().state).toBe('ended');
  });

  it('a push source flushes early items to its first subscriber, then streams', () => {
    const source = new PushSource('s');
    source.push(push('s', 0));
    const seen: number[] = [];
    let completed = false;
    source.items().subscribe({ next: (i) => seen.push(i.kind === 'volume' ? i.volume.identity.index : -1), complete: () => (completed = true) });
    source.push(push('s', 1));
    source.end();
    expect(seen).toEqual([0, 1]);
    expect(completed).toBe(true);
  });

  it('a pushed affine that is not a voxel-to-world transform (singular, or a wrong last row) is VOLUME_INVALID naming why', () => {
    const source = new PushSource('s');
    const seen: string[] = [];
    source.items().subscribe((i) => seen.push(i.kind === 'problem' ? `${i.error.code}: ${i.error.message}` : i.kind));
    source.push({ ...push('s', 0), affine: new Array<number>(16).fill(0) });
    source.push({ ...push('s', 1), affine: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1] });
    source.push(push('s', 2));
    expect(seen).toHaveLength(3);
    expect(seen[0]).toMatch(/^VOLUME_INVALID: .*pushed TR 0: affine must end with the row 0 0 0 1/);
    expect(seen[1]).toMatch(/^VOLUME_INVALID: .*pushed TR 1: affine must be invertible/);
    expect(seen[2]).toBe('volume');
  });
});
