/**
 * Independent seeded streams, one per purpose: `stream(seed, 'texture', 17)` gives the same numbers
 * whatever else the simulation draws, so the 17th training image does not change when the number of
 * runs does, and a run simulated without motion has exactly the noise of its moving twin.
 */
import { Random } from '../random.js';

/** FNV-1a over the text of the parts, then a murmur3 finaliser so nearby seeds land far apart. */
export function streamSeed(seed: number, ...parts: readonly (string | number)[]): number {
  let h = 0x811c9dc5;
  for (const ch of [seed, ...parts].join('/')) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export function stream(seed: number, ...parts: readonly (string | number)[]): Random {
  return new Random(streamSeed(seed, ...parts));
}
