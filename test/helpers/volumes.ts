import { identity4 } from '../../src/geometry/mat4.js';
import type { SourceItem } from '../../src/ingest/sources/source.js';
import type { Volume } from '../../src/volume.js';

/** A tiny volume whose identity is all that matters (sequencing tests). */
export function fakeVolume(index: number, options: { series?: string; instance?: string; value?: number } = {}): Volume {
  return {
    identity: { series: options.series ?? 's1', index, instance: options.instance ?? `i${index}` },
    grid: { dims: [2, 2, 1], voxelSize: [1, 1, 1], affine: identity4() },
    data: new Float32Array(4).fill(options.value ?? index),
    acquisitionTime: index * 2,
    receivedAt: Date.now(),
    repetitionTime: 2,
    warnings: [],
  };
}

export function volumeItem(index: number, options?: Parameters<typeof fakeVolume>[1]): SourceItem {
  return { kind: 'volume', volume: fakeVolume(index, options) };
}
