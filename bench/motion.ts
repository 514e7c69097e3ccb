/**
 * Motion correction speed on the real rtcloud run (64x64x27, 3x3x4 mm, oblique): the per-TR cost of
 * `estimate` (warm-started from the previous volume, as the pipeline calls it) and of `realign` over
 * the brain voxels. Run with `npx tsx bench/motion.ts [passes]`.
 *
 * The volumes come from nibabel through the motion test fixture (test/fixtures/motion), so the bench
 * does not depend on our own readers. Each pass replays the 9 volumes after the reference in order.
 * Wall time is what the budget is about; CPU time (process.cpuUsage) is printed beside it because on a
 * shared machine other processes stretch the wall clock, not the work done.
 */
import { MotionCorrector, type MotionEstimate } from '../src/preprocess/motion/index.js';
import { loadMotionFixture } from '../test/fixtures/motion/fixtures.js';

const passes = Number(process.argv[2] ?? 60);
const warmup = 5;
const fixture = loadMotionFixture('rtcloud-run');
const [reference, ...volumes] = fixture.volumes;
if (reference === undefined || fixture.mask === undefined) throw new Error('rtcloud fixture is incomplete');
const brain = Uint32Array.from(Array.from(fixture.mask.keys()).filter((i) => fixture.mask![i] === 1));
const out = new Float32Array(brain.length);

const t0 = performance.now();
const corrector = new MotionCorrector({ grid: fixture.grid, data: reference.data });
const setupMs = performance.now() - t0;

type Stage = 'estimate' | 'realign' | 'estimate + realign' | 'estimate (cold start)';
const stages: Stage[] = ['estimate', 'realign', 'estimate + realign', 'estimate (cold start)'];
const wall = new Map<Stage, number[]>(stages.map((s) => [s, []]));
const cpu = new Map<Stage, number[]>(stages.map((s) => [s, []]));
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
let iterations = 0;
for (let pass = 0; pass < warmup + passes; pass++) {
  let previous: MotionEstimate | undefined;
  for (const volume of volumes) {
    const [w0, c0] = [performance.now(), cpuMs()];
    const estimate = corrector.estimate(volume.data, previous);
    const [w1, c1] = [performance.now(), cpuMs()];
    corrector.realign(volume.data, estimate, brain, out);
    const [w2, c2] = [performance.now(), cpuMs()];
    corrector.estimate(volume.data);
    const [w3, c3] = [performance.now(), cpuMs()];
    previous = estimate;
    if (pass < warmup) continue;
    const record = (stage: Stage, w: number, c: number): void => {
      wall.get(stage)!.push(w);
      cpu.get(stage)!.push(c);
    };
    record('estimate', w1 - w0, c1 - c0);
    record('realign', w2 - w1, c2 - c1);
    record('estimate + realign', w2 - w0, c2 - c0);
    record('estimate (cold start)', w3 - w2, c3 - c2);
    iterations += estimate.iterations;
  }
}

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
console.log(`motion correction, rtcloud run ${fixture.grid.dims.join('x')}, ${volumes.length} volumes x ${passes} passes, ${brain.length} brain voxels realigned`);
console.log(`reference setup ${setupMs.toFixed(1)} ms; mean full-resolution iterations ${(iterations / (passes * volumes.length)).toFixed(2)}`);
console.log('stage                  wall median  wall p99   cpu median   cpu p99   (ms)');
const cell = (x: number): string => x.toFixed(2).padStart(10);
for (const stage of stages) {
  const w = wall.get(stage)!, c = cpu.get(stage)!;
  console.log(`${stage.padEnd(22)} ${cell(quantile(w, 0.5))} ${cell(quantile(w, 0.99))} ${cell(quantile(c, 0.5))} ${cell(quantile(c, 0.99))}`);
}
