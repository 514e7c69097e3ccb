/**
 * Fills the gradient kernels a backend lacks with the composite kernels of this folder.
 *
 * The wasm backend of tfjs 4.22 has the forward convolutions and Conv2DBackpropInput but not
 * Conv2DBackpropFilter nor the two depthwise backprop kernels, so `tf.grad` through any conv net
 * stops there: fused convolutions (what tfjs-layers' Conv2D runs) compute the filter gradient even
 * when only the input gradient is asked for. Each kernel here is built from kernels the backend
 * has (GEMM, forward depthwise, pad, slice), so the gradient stays in wasm memory and speed.
 * A kernel the backend already has is left alone (a later tfjs that ships its own wins) unless
 * the caller names it for replacement: wasm's MaxPoolGrad is wrong for negative inputs and cpu's
 * Conv2DBackpropFilter is a plain loop (see grad/install.ts).
 */
import type * as TF from '@tensorflow/tfjs';
import { conv2dBackpropFilterKernel } from './conv2d-backprop-filter.js';
import { depthwiseBackpropFilterKernel } from './depthwise-backprop-filter.js';
import { depthwiseBackpropInputKernel } from './depthwise-backprop-input.js';
import { maxPoolGradKernel } from './max-pool-grad.js';

type Factory = (tf: typeof TF, backendName: string) => TF.KernelFunc;

/** Kernel name → composite implementation; names are tfjs's kernel names (kernel_names.ts). */
export const compositeKernels: Readonly<Record<string, Factory>> = {
  Conv2DBackpropFilter: conv2dBackpropFilterKernel,
  DepthwiseConv2dNativeBackpropInput: depthwiseBackpropInputKernel,
  DepthwiseConv2dNativeBackpropFilter: depthwiseBackpropFilterKernel,
  MaxPoolGrad: maxPoolGradKernel,
};

/** Kernels the composites run; a backend without them cannot take the composites. */
const BUILDING_BLOCKS = ['Reshape', 'PadV2', 'Slice', 'StridedSlice', 'Reverse', 'DepthwiseConv2dNative', 'Multiply', 'BatchMatMul', 'Concat', 'Fill', 'Sum', 'Transpose'];

export function hasKernel(tf: typeof TF, kernelName: string, backendName: string): boolean {
  return tf.getKernel(kernelName, backendName) !== undefined;
}

/**
 * Registers every composite kernel `backendName` lacks and returns the names registered (empty
 * when nothing was missing, or on a second call). `replace` also swaps out kernels the backend has,
 * which tests and the benchmark use to compare against the backend's own.
 */
export function registerCompositeKernels(tf: typeof TF, backendName: string, replace: readonly string[] = []): string[] {
  const missingBlocks = BUILDING_BLOCKS.filter((name) => !hasKernel(tf, name, backendName));
  if (missingBlocks.length > 0) throw new Error(`backend "${backendName}" lacks ${missingBlocks.join(', ')}, which the gradient kernels are built from`);
  const registered: string[] = [];
  for (const [kernelName, factory] of Object.entries(compositeKernels)) {
    const present = hasKernel(tf, kernelName, backendName);
    if (present && !replace.includes(kernelName)) continue;
    if (present) tf.unregisterKernel(kernelName, backendName);
    tf.registerKernel({ kernelName, backendName, kernelFunc: factory(tf, backendName) });
    registered.push(kernelName);
  }
  return registered;
}
