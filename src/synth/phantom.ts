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
  readonly minRadius: number;
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
    const shape = (centre: [number, number, number], radii: [number, number, number], weight: number): Ellipsoid => ({ centre, radii, weight, minRadius: Math.min(...radii) });
    this.shapes = [
      shape([0, 0, 0], [72, 90, 66], 300), // scalp and skull rim
      shape([0, 0, 2], [64, 82, 58], 600), // brain
      shape([-8, 4, 10], [6, 22, 10], -500), // ventricles
      shape([8, 4, 10], [6, 22, 10], -500),
    ];
    for (let i = 0; i < 14; i++) {
      this.shapes.push(
        shape([random.uniform(-45, 45), random.uniform(-60, 60), random.uniform(-35, 35)], [random.uniform(6, 14), random.uniform(6, 14), random.uniform(6, 14)], random.uniform(-150, 150)),
      );
    }
  }

  /** Baseline intensity at a world position (mm), tissue coordinates (head at rest). */
  intensity(x: number, y: number, z: number): number {
    let value = 20; // background noise floor lives elsewhere; this keeps air above zero
    for (const s of this.shapes) {
      const dx = (x - s.centre[0]) / s.radii[0];
      const dy = (y - s.centre[1]) / s.radii[1];
      const dz = (z - s.centre[2]) / s.radii[2];
      // Smooth edge about 3 mm wide: registration needs gradients, not steps.
      const edge = ((Math.sqrt(dx * dx + dy * dy + dz * dz) - 1) * s.minRadius) / 1.5;
      // Beyond 12 edge widths outside a shape it adds less than 1e-5 of its weight: skip the exp.
      if (edge < 12) value += s.weight / (1 + Math.exp(edge));
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
