/**
 * Conv2DBackpropFilter as matrix products on the backend's GEMM. With P = batch·outH·outW output
 * positions, the gradient of tap (a, b) is windowᵀ(P × Cin) · dy(P × Cout), where the window is
 * the strided view of the padded input that the tap saw in the forward pass.
 *
 * Two layouts of the same sum: when the patches fit in a small budget, the windows of all taps
 * are laid side by side (im2col, P × taps·Cin) and one product gives the filter in its own layout;
 * otherwise one product per tap keeps memory at one window (VGG's first layers at 224 px would need
 * ~115 MB of patches). A 1×1, stride-1, unpadded filter needs no window at all: it is xᵀ · dy.
 */
import type * as TF from '@tensorflow/tfjs';
import { composer, type Composer, type TensorInfo } from './compose.js';
import { convAttrs, convInfo, inputWindowPads, shape4, type ConvInfo } from './geometry.js';
import { padOrCropNhwc, strideWindow } from './spatial.js';

/** Patches up to this many floats (16 MB) are built whole; larger ones go tap by tap. */
const IM2COL_BUDGET = 4 * 1024 * 1024;

export function conv2dBackpropFilterKernel(tf: typeof TF, backendName: string): TF.KernelFunc {
  return ({ inputs, backend, attrs = {} }) => {
    const c = composer(tf, backendName, backend);
    const channelsFirst = attrs['dataFormat'] === 'NCHW';
    // The backend's convolutions are NHWC only; NCHW callers pay two transposes.
    const x = channelsFirst ? c.run('Transpose', { x: inputs['x']! }, { perm: [0, 2, 3, 1] }) : c.reshape(inputs['x']!, inputs['x']!.shape);
    const dy = channelsFirst ? c.run('Transpose', { x: inputs['dy']! }, { perm: [0, 2, 3, 1] }) : c.reshape(inputs['dy']!, inputs['dy']!.shape);
    const filterShape = shape4(attrs['filterShape'], 'filterShape');
    const info = convInfo(tf, shape4(x.shape, 'x shape'), filterShape, convAttrs(attrs), false);
    const positions = info.batchSize * info.outHeight * info.outWidth;
    const dyFlat = c.reshape(dy, [1, positions, info.outChannels]);
    c.free(dy);

    const padded = padOrCropNhwc(
      c,
      x,
      inputWindowPads(info.inHeight, info.outHeight, info.filterHeight, info.strideHeight, info.dilationHeight, info.padInfo.top),
      inputWindowPads(info.inWidth, info.outWidth, info.filterWidth, info.strideWidth, info.dilationWidth, info.padInfo.left),
    );
    c.free(x);
    const windows = (i: number, j: number): TensorInfo =>
      strideWindow(c, padded, i * info.dilationHeight, j * info.dilationWidth, info.outHeight, info.outWidth, info.strideHeight, info.strideWidth);
    const taps = info.filterHeight * info.filterWidth;
    const product = positions * taps * info.inChannels <= IM2COL_BUDGET ? im2col(c, info, windows, dyFlat, positions) : tapByTap(c, info, windows, dyFlat, positions);
    c.free(padded, dyFlat);
    const out = c.reshape(product, filterShape);
    c.free(product);
    return out;
  };
}

type Windows = (i: number, j: number) => TensorInfo;

function gradientOf(c: Composer, patches: TensorInfo, dyFlat: TensorInfo): TensorInfo {
  return c.run('BatchMatMul', { a: patches, b: dyFlat }, { transposeA: true, transposeB: false });
}

function im2col(c: Composer, info: ConvInfo, windows: Windows, dyFlat: TensorInfo, positions: number): TensorInfo {
  const parts: TensorInfo[] = [];
  for (let i = 0; i < info.filterHeight; i++) for (let j = 0; j < info.filterWidth; j++) parts.push(windows(i, j));
  const side = parts.length === 1 ? c.reshape(parts[0]!, parts[0]!.shape) : c.run('Concat', parts, { axis: 3 });
  c.free(...parts);
  const patches = c.reshape(side, [1, positions, info.filterHeight * info.filterWidth * info.inChannels]);
  c.free(side);
  const product = gradientOf(c, patches, dyFlat);
  c.free(patches);
  return product;
}

function tapByTap(c: Composer, info: ConvInfo, windows: Windows, dyFlat: TensorInfo, positions: number): TensorInfo {
  const perTap: TensorInfo[] = [];
  for (let i = 0; i < info.filterHeight; i++) {
    for (let j = 0; j < info.filterWidth; j++) {
      const window = windows(i, j);
      const patches = c.reshape(window, [1, positions, info.inChannels]);
      perTap.push(gradientOf(c, patches, dyFlat));
      c.free(window, patches);
    }
  }
  const stacked = c.run('Concat', perTap, { axis: 0 });
  c.free(...perTap);
  return stacked;
}
