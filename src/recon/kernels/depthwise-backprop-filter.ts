/**
 * DepthwiseConv2dNativeBackpropFilter, one filter tap at a time: the tap (a, b) sees the strided
 * window of the padded input that it multiplied in the forward pass; its gradient is that window
 * times dy, summed over batch and positions, separately per channel (and per multiplier). Per tap
 * that is one Multiply and one reduction over positions; the reduction is a [1, P] × [P, C·M]
 * matrix product with ones, which the backend's GEMM does faster than its transposing Sum.
 * The work equals the forward pass's; memory stays at one window (P × C·M) at a time.
 */
import type * as TF from '@tensorflow/tfjs';
import { composer, type TensorInfo } from './compose.js';
import { convAttrs, convInfo, inputWindowPads, shape4 } from './geometry.js';
import { padOrCropNhwc, strideWindow } from './spatial.js';

export function depthwiseBackpropFilterKernel(tf: typeof TF, backendName: string): TF.KernelFunc {
  return ({ inputs, backend, attrs = {} }) => {
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const a = convAttrs(attrs);
    const filterShape = shape4(attrs['filterShape'], 'filterShape');
    const info = convInfo(tf, shape4(x.shape, 'x shape'), filterShape, a, true);
    const [fh, fw, channels, multiplier] = filterShape;
    const { outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
    const positions = info.batchSize * oh * ow;
    const c = composer(tf, backendName, backend);

    const padded = padOrCropNhwc(
      c,
      x,
      inputWindowPads(info.inHeight, oh, fh, sh, dh, info.padInfo.top),
      inputWindowPads(info.inWidth, ow, fw, sw, dw, info.padInfo.left),
    );
    const dyGrouped = c.reshape(dy, [positions, channels, multiplier]);
    const ones = c.run('Fill', {}, { shape: [1, 1, positions], value: 1, dtype: 'float32' });
    const taps: TensorInfo[] = [];
    for (let i = 0; i < fh; i++) {
      for (let j = 0; j < fw; j++) {
        const window = strideWindow(c, padded, i * dh, j * dw, oh, ow, sh, sw);
        const column = c.reshape(window, [positions, channels, 1]);
        const product = c.run('Multiply', { a: column, b: dyGrouped });
        const flat = c.reshape(product, [1, positions, channels * multiplier]);
        taps.push(c.run('BatchMatMul', { a: ones, b: flat }, { transposeA: false, transposeB: false }));
        c.free(window, column, product, flat);
      }
    }
    c.free(padded, dyGrouped, ones);
    const stacked = taps.length === 1 ? c.reshape(taps[0]!, taps[0]!.shape) : c.run('Concat', taps, { axis: 0 });
    c.free(...taps);
    const out = c.reshape(stacked, filterShape);
    c.free(stacked);
    return out;
  };
}
