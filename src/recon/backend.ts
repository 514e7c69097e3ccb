/**
 * Compute backend for the CNN work: the best tfjs backend that loads here, chosen once at start.
 *
 * Order: tfjs-node-gpu (CUDA), tfjs-node (libtensorflow on the CPU), wasm, plain JS cpu. The two
 * native ones are optional dependencies because their install script downloads libtensorflow, which
 * fails on machines without access to that host; when they are absent we fall through, and the
 * choice (with the reason each better one was skipped) goes to the log and to /health.
 *
 * Whatever loads, reconstruction needs gradients with respect to pixels through conv nets, which
 * tfjs 4.22 cannot give on wasm (missing backprop kernels) nor, through batch norm without scale,
 * on any backend: `installGradientSupport` (grad/install.ts) fills those gaps for the chosen
 * backend, and `verifyGradients` (grad/verify.ts) checks the result numerically before we report
 * the backend as able to reconstruct.
 */
import type * as TF from '@tensorflow/tfjs';
import { installGradientSupport } from './grad/install.js';
import { verifyGradients, type GradientCheck } from './grad/verify.js';

export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';
export type BackendPreference = 'auto' | BackendName;

export interface BackendChoice {
  readonly name: BackendName;
  /** Why each better backend was not used. */
  readonly skipped: readonly { readonly name: BackendName; readonly reason: string }[];
  readonly tf: typeof TF;
  /** Kernels of ours registered for this backend (grad/install.ts says why each). */
  readonly kernels: readonly string[];
  /** Whether gradients through a small conv net matched finite differences at start. */
  readonly gradients: GradientCheck;
  /** Milliseconds from the first attempt to a verified backend (wasm: ~0.3 s here). */
  readonly initMs: number;
}

/** Why reconstruction runs slower (or not at all) than it could; `null` when nothing is wrong. */
export interface BackendDegradation {
  readonly backend: BackendName;
  /** `fallback`: a faster backend did not load; `gradients`: the gradient check failed. */
  readonly kind: 'fallback' | 'gradients';
  readonly message: string;
}

type Attempt = { name: BackendName; load: () => Promise<typeof TF> };

// Module names kept in variables so bundlers and the type checker do not require the optional packages.
const NODE_GPU = '@tensorflow/tfjs-node-gpu';
const NODE_CPU = '@tensorflow/tfjs-node';

async function viaNative(moduleName: string): Promise<typeof TF> {
  const tf = (await import(moduleName)) as typeof TF;
  if (!(await tf.setBackend('tensorflow'))) throw new Error('backend "tensorflow" did not initialise');
  return tf;
}

async function viaRegistered(name: 'wasm' | 'cpu'): Promise<typeof TF> {
  const tf = await import('@tensorflow/tfjs');
  if (name === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
  if (!(await tf.setBackend(name))) throw new Error(`backend "${name}" did not initialise`);
  await tf.ready();
  return tf;
}

const attempts: readonly Attempt[] = [
  { name: 'tensorflow-gpu', load: () => viaNative(NODE_GPU) },
  { name: 'tensorflow', load: () => viaNative(NODE_CPU) },
  { name: 'wasm', load: () => viaRegistered('wasm') },
  { name: 'cpu', load: () => viaRegistered('cpu') },
];

let chosen: Promise<BackendChoice> | null = null;

/** Picks the backend once per process; later calls return the same choice. */
export function chooseBackend(preference: BackendPreference = 'auto'): Promise<BackendChoice> {
  chosen ??= (async () => {
    const started = performance.now();
    const skipped: { name: BackendName; reason: string }[] = [];
    const candidates = preference === 'auto' ? attempts : attempts.filter((a) => a.name === preference || a.name === 'cpu');
    for (const attempt of candidates) {
      try {
        const tf = await attempt.load();
        // Kernels are registered per backend name; native TensorFlow reports itself as 'tensorflow'.
        const kernels = installGradientSupport(tf, tf.getBackend());
        const gradients = verifyGradients(tf);
        return { name: attempt.name, skipped, tf, kernels, gradients, initMs: Math.round(performance.now() - started) };
      } catch (error) {
        skipped.push({ name: attempt.name, reason: firstLine(error) });
      }
    }
    throw new Error(`no tfjs backend loads: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
  })();
  return chosen;
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0]!.slice(0, 200);
}

/** Backends that run reconstruction at native speed; wasm is ~5–20× slower, cpu far more. */
const NATIVE: readonly BackendName[] = ['tensorflow-gpu', 'tensorflow'];

/**
 * The degraded state of a choice, for /health and the log: a native backend was wanted (`auto`, or
 * asked for by name) but wasm or cpu runs instead, or gradients failed their check at start.
 */
export function backendDegradation(choice: BackendChoice): BackendDegradation | null {
  if (!choice.gradients.verified) {
    return { backend: choice.name, kind: 'gradients', message: `gradients on ${choice.name} failed their check at start, so reconstruction cannot be trusted: ${choice.gradients.detail}` };
  }
  const fellBack = choice.skipped.length > 0 && !NATIVE.includes(choice.name);
  if (!fellBack) return null;
  const reasons = choice.skipped.map((s) => `${s.name}: ${s.reason}`).join('; ');
  return { backend: choice.name, kind: 'fallback', message: `reconstruction runs on ${choice.name}, slower than native TensorFlow, which did not load (${reasons})` };
}

let announced = false;

/** Hands the degraded state to `warn` the first time it is called in this process, then never. */
export function announceDegradation(choice: BackendChoice, warn: (degradation: BackendDegradation) => void): BackendDegradation | null {
  const degradation = backendDegradation(choice);
  if (degradation && !announced) {
    announced = true;
    warn(degradation);
  }
  return degradation;
}
