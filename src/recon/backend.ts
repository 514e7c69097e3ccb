/**
 * Compute backend for the CNN work: the best tfjs backend that loads here, chosen once at start.
 *
 * Order: tfjs-node-gpu (CUDA), tfjs-node (libtensorflow on the CPU), wasm, plain JS cpu. The two
 * native ones are optional dependencies because their install script downloads libtensorflow, which
 * fails on machines without access to that host; when they are absent we fall through, and the
 * choice (with the reason each better one was skipped) goes to the log and to /health.
 */
import type * as TF from '@tensorflow/tfjs';

export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';
export type BackendPreference = 'auto' | BackendName;

export interface BackendChoice {
  readonly name: BackendName;
  /** Why each better backend was not used. */
  readonly skipped: readonly { readonly name: BackendName; readonly reason: string }[];
  readonly tf: typeof TF;
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
    const skipped: { name: BackendName; reason: string }[] = [];
    const candidates = preference === 'auto' ? attempts : attempts.filter((a) => a.name === preference || a.name === 'cpu');
    for (const attempt of candidates) {
      try {
        const tf = await attempt.load();
        return { name: attempt.name, skipped, tf };
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
