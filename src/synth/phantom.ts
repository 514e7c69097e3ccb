/**
 * A continuous head phantom for synthetic sessions: smooth-edged ellipsoids (scalp, brain, ventricles,
 * a few grey-matter blobs for texture) evaluated at any world position. Because it is a function and
 * not an image, a moved head is sampled exactly at moved positions: the true motion of a synthetic
 * run is known without any resampling error, which makes it a fair test of motion correction.
 */
import { Random } from './random.js';

interface Ellipsoid {
  readonly centre: readonly [number, number, number];
  readonly radii: readonly [number, number, number];
  /** Intensity added inside (negative carves). */
  readonly weight: number;
}

interface Blob {
  readonly centre: readonly [number, number, number];
  readonly sigma: number;
  readonly weight: number;
}

export class Phantom {
  private readonly shapes: Ellipsoid[];

  constructor(seed = 7) {
    const random = new Random(seed);
    this.shapes = [
      { centre: [0, 0, 0], radii: [72, 90, 66], weight: 300 }, // scalp and skull rim
      { centre: [0, 0, 2], radii: [64, 82, 58], weight: 600 }, // brain
      { centre: [-8, 4, 10], radii: [6, 22, 10], weight: -500 }, // ventricles
      { centre: [8, 4, 10], radii: [6, 22, 10], weight: -500 },
    ];
    for (let i = 0; i < 14; i++) {
      this.shapes.push({
        centre: [random.uniform(-45, 45), random.uniform(-60, 60), random.uniform(-35, 35)],
        radii: [random.uniform(6, 14), random.uniform(6, 14), random.uniform(6, 14)],
        weight: random.uniform(-150, 150),
      });
    }
  }

  /** Baseline intensity at a world position (mm), tissue coordinates (head at rest). */
  intensity(x: number, y: number, z: number): number {
    let value = 20; // background noise floor lives elsewhere; this keeps air above zero
    for (const s of this.shapes) {
      const r = Math.hypot((x - s.centre[0]) / s.radii[0], (y - s.centre[1]) / s.radii[1], (z - s.centre[2]) / s.radii[2]);
      // Smooth edge about 3 mm wide: registration needs gradients, not steps.
      value += s.weight / (1 + Math.exp(((r - 1) * Math.min(...s.radii)) / 1.5));
    }
    return value;
  }
}

/** A spatial activity pattern: a sum of Gaussian blobs with signs, unique per class. */
export class ActivityPattern {
  private readonly blobs: Blob[];

  constructor(random: Random, region: { centre: readonly [number, number, number]; radius: number }, count = 8) {
    this.blobs = Array.from({ length: count }, () => ({
      centre: [
        region.centre[0] + random.uniform(-region.radius, region.radius),
        region.centre[1] + random.uniform(-region.radius, region.radius),
        region.centre[2] + random.uniform(-region.radius / 2, region.radius / 2),
      ] as const,
      sigma: random.uniform(4, 8),
      weight: random.next() < 0.7 ? 1 : -0.6,
    }));
  }

  /** Relative signal change at a tissue position (about ±1 at blob centres). */
  at(x: number, y: number, z: number): number {
    let sum = 0;
    for (const b of this.blobs) {
      const d2 = (x - b.centre[0]) ** 2 + (y - b.centre[1]) ** 2 + (z - b.centre[2]) ** 2;
      sum += b.weight * Math.exp(-d2 / (2 * b.sigma * b.sigma));
    }
    return sum;
  }
}
