/**
 * Motion correction speed on the real rtcloud run (64x64x27, 3x3x4 mm, oblique): the per-TR cost of
 * `estimate` (warm-started from the previous volume, as the pipeline calls it) and of `realign` over
 * the brain voxels. Run alone with `npx tsx bench/motion.ts [--passes N]`; `npm run bench` folds it in.
 *
 * The volumes come from nibabel through the motion test fixture (test/fixtures/motion), so the bench
 * does not depend on our own readers. Each pass replays the 9 volumes after the reference in order.
 * Wall time is what the budget is about; CPU time (process.cpuUsage) is printed beside it because on a
 * shared machine other processes stretch the wall clock, not the work done.
 */
import { MotionCorrector, type MotionEstimate } from '../src/preprocess/motion/index.js';
import { loadMotionFixture } from '../test/fixtures/motion/fixtures.js';
import { finish, measure, numberArgument } from './lib/child.js';
import { dist, type Row, single } from './lib/report.js';
import { summarise } from './lib/stats.js';

const passes = numberArgument('passes', 60);
const warmup = 5;

type Stage = 'estimate' | 'realign' | 'estimate + realign' | 'estimate (cold start)';
const stages: Stage[] = ['estimate', 'realign', 'estimate + realign', 'estimate (cold start)'];

async function motion(notes: string[]): Promise<Row[]> {
  const fixture = loadMotionFixture('rtcloud-run');
  const [reference, ...volumes] = fixture.volumes;
  if (reference === undefined || fixture.mask === undefined) throw new Error('rtcloud fixture is incomplete');
  const mask = fixture.mask;
  const brain = Uint32Array.from(Array.from(mask.keys()).filter((i) => mask[i] === 1));
  const out = new Float32Array(brain.length);

  const t0 = performance.now();
  const corrector = new MotionCorrector({ grid: fixture.grid, data: reference.data });
  const setupMs = performance.now() - t0;

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
  notes.push(`${volumes.length} volumes × ${passes} passes after ${warmup} warm-up passes; ${brain.length} brain voxels realigned; mean full-resolution iterations ${(iterations / (passes * volumes.length)).toFixed(2)}`);
  // CPU time has the clock's coarse grain (often 1 ms steps on Linux), so only its median is telling.
  notes.push(`CPU time median / p99 (ms): ${stages.map((s) => `${s} ${summarise(cpu.get(s)!).median.toFixed(2)} / ${summarise(cpu.get(s)!).p99.toFixed(2)}`).join('; ')}`);
  return [single('reference set-up (pyramid, gradients)', 'ms', setupMs), ...stages.map((s) => dist(`${s}, wall`, 'ms', wall.get(s)!))];
}

await finish(measure('motion', '5. Motion correction alone: rt-cloud run via nibabel (test fixture), estimate + realign', motion));
