/**
 * Lets `tf.grad` pass through batch normalisation without a scale or an offset (Keras
 * `scale: false` / `center: false`, as in InceptionV3's conv blocks and many exported models),
 * on every backend.
 *
 * Why it fails (tfjs 4.22, tensorflow/tfjs#2868, open since 2020): `tf.batchNorm` hands the
 * FusedBatchNorm kernel `{scale: undefined, offset: undefined}` when they are absent. Under the
 * gradient tape the engine then clones every input the gradient saves (x, mean, variance, scale)
 * and reads the id of every input it recorded, so an absent one crashes the forward pass
 * ("Cannot read properties of undefined (reading 'dataId' | 'dtype' | 'id')"), although the
 * gradient function itself already treats a missing scale as 1.
 *
 * The fix gives the kernel what "absent" means: scale 1 and offset 0 per channel, filled in at
 * the engine's one entry for kernels, so every caller of tf.batchNorm (layers models, graph
 * models, our own code) is covered. The cost is two small [C] tensors and one multiply-add per
 * channel, nothing next to the convolution feeding it. It wraps one public engine method, so
 * verify.ts checks the gradient numerically at start and the backend choice reports a failure.
 *
 * Folding inference-mode batch norm into the preceding convolution when a model is loaded would
 * also avoid the bug (and save that multiply-add), but only for models going through our loader
 * and only where a convolution feeds the batch norm alone; this fix holds for every caller.
 */
import type * as TF from '@tensorflow/tfjs';

type RunKernel = (kernelName: string, inputs: TF.NamedTensorMap, attrs?: TF.NamedAttrMap) => TF.Tensor | TF.Tensor[];
interface KernelEngine {
  runKernel: RunKernel;
}

const FUSED_BATCH_NORM = 'FusedBatchNorm';
const patched = new WeakSet<object>();

/** Installs the fix on this tfjs instance's engine, once. */
export function defaultBatchNormParameters(tf: typeof TF): void {
  const engine = tf.engine() as unknown as KernelEngine;
  if (patched.has(engine)) return;
  const run: RunKernel = engine.runKernel.bind(engine);
  engine.runKernel = (kernelName, inputs, attrs) => {
    if (kernelName !== FUSED_BATCH_NORM || (inputs['scale'] != null && inputs['offset'] != null)) return run(kernelName, inputs, attrs);
    const mean = inputs['mean']!;
    const made: TF.Tensor[] = [];
    const filled = (tensor: TF.Tensor | undefined, value: number): TF.Tensor => {
      if (tensor != null) return tensor;
      const stand = tf.fill(mean.shape, value, 'float32');
      made.push(stand);
      return stand;
    };
    try {
      return run(kernelName, { ...inputs, scale: filled(inputs['scale'], 1), offset: filled(inputs['offset'], 0) }, attrs);
    } finally {
      // The tape keeps its own clone of what the gradient needs, so ours can go at once.
      for (const t of made) t.dispose();
    }
  };
  patched.add(engine);
}
