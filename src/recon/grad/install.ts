/**
 * Everything a tfjs instance needs before reconstruction can take gradients of CNN features with
 * respect to pixels, per backend (what each fixes, and the numbers, are in the files it calls):
 *
 *   every backend   batch norm without scale/offset works under the tape   batchnorm-defaults.ts
 *                   FusedBatchNorm's gradient is lazy and broadcast          batchnorm-gradient.ts
 *   wasm            Conv2DBackpropFilter and the two depthwise backprop      kernels/register.ts
 *                   kernels exist (built from wasm's GEMM and forward conv);
 *                   MaxPoolGrad is replaced: wasm's is wrong for negative    kernels/max-pool-grad.ts
 *                   inputs
 *   cpu             Conv2DBackpropFilter is the GEMM one: tfjs's own is a    kernels/register.ts
 *                   plain loop, 13.5 of 15.3 s of a MobileNetV2 gradient at
 *                   112 px; the GEMM one took 0.42 s for the same sums
 *
 * Idempotent: a second call registers nothing and returns an empty list.
 */
import type * as TF from '@tensorflow/tfjs';
import { registerCompositeKernels } from '../kernels/register.js';
import { batchNormGradient } from './batchnorm-gradient.js';
import { defaultBatchNormParameters } from './batchnorm-defaults.js';

/** Kernels a backend has but that ours replace (see above). */
const REPLACEMENTS: Readonly<Record<string, readonly string[]>> = {
  wasm: ['MaxPoolGrad'],
  cpu: ['Conv2DBackpropFilter'],
};

const gradientsInstalled = new WeakSet<object>();

/** Installs the fixes for `backendName` and returns the kernels registered for it. */
export function installGradientSupport(tf: typeof TF, backendName: string): string[] {
  const engine: object = tf.engine();
  if (!gradientsInstalled.has(engine)) {
    defaultBatchNormParameters(tf);
    tf.registerGradient(batchNormGradient(tf));
    gradientsInstalled.add(engine);
  }
  // Native TensorFlow has every kernel, and its own are the fast ones.
  if (backendName !== 'wasm' && backendName !== 'cpu') return [];
  return registerCompositeKernels(tf, backendName, replacedOnce(engine, backendName));
}

// Replacing happens once per backend: a second call must not swap our own kernel for itself.
const replaced = new WeakMap<object, Set<string>>();
function replacedOnce(engine: object, backendName: string): readonly string[] {
  const done = replaced.get(engine) ?? new Set<string>();
  replaced.set(engine, done);
  if (done.has(backendName)) return [];
  done.add(backendName);
  return REPLACEMENTS[backendName] ?? [];
}
