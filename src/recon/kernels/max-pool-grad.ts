/**
 * MaxPoolGrad as a plain loop, replacing the wasm backend's own, which routes the gradient of a
 * window whose maximum is negative to the wrong place (tfjs 4.22: for [[-1,-2,-3],[-4,-5,-6],
 * [-7,-8,-9]] with 2×2 windows at stride 1 it puts all four gradients on the -1, where cpu puts
 * them on -1, -2, -4, -5). After a ReLU the inputs are never negative, which is why it goes
 * unnoticed; before one (a pooled feature layer, a pooled loss term) it silently breaks the
 * gradient. Pooling gradients are a small share of a conv net's backward pass, so the loop costs
 * little; ties go to the first maximum in scan order, as on the cpu backend.
 */
import type * as TF from '@tensorflow/tfjs';
import { shape4 } from './geometry.js';

interface DataBackend {
  readSync(dataId: object): unknown;
  write(values: Float32Array, shape: number[], dtype: 'float32'): object;
}

function floats(backend: DataBackend, info: TF.TensorInfo): Float32Array {
  const values = backend.readSync(info.dataId);
  if (!(values instanceof Float32Array)) throw new Error('MaxPoolGrad takes float32 tensors');
  return values;
}

export function maxPoolGradKernel(tf: typeof TF): TF.KernelFunc {
  return ({ inputs, backend, attrs = {} }) => {
    const data = backend as DataBackend;
    const { dy, input } = inputs as { dy: TF.TensorInfo; input: TF.TensorInfo };
    const a = attrs as unknown as TF.MaxPoolGradAttrs;
    const info = tf.backend_util.computePool2DInfo(shape4(input.shape, 'input shape'), a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
    const x = floats(data, input);
    const g = floats(data, dy);
    const dx = new Float32Array(x.length);
    const { batchSize, inHeight, inWidth, inChannels: ch, outHeight, outWidth } = info;
    for (let b = 0; b < batchSize; b++) {
      for (let oy = 0; oy < outHeight; oy++) {
        const y0 = oy * info.strideHeight - info.padInfo.top;
        for (let ox = 0; ox < outWidth; ox++) {
          const x0 = ox * info.strideWidth - info.padInfo.left;
          const outBase = ((b * outHeight + oy) * outWidth + ox) * ch;
          for (let c = 0; c < ch; c++) {
            let best = -Infinity;
            let at = -1;
            for (let fy = 0; fy < info.effectiveFilterHeight; fy += info.dilationHeight) {
              const iy = y0 + fy;
              if (iy < 0 || iy >= inHeight) continue;
              for (let fx = 0; fx < info.effectiveFilterWidth; fx += info.dilationWidth) {
                const ix = x0 + fx;
                if (ix < 0 || ix >= inWidth) continue;
                const k = ((b * inHeight + iy) * inWidth + ix) * ch + c;
                if (x[k]! > best) {
                  best = x[k]!;
                  at = k;
                }
              }
            }
            if (at >= 0) dx[at]! += g[outBase + c]!;
          }
        }
      }
    }
    return { dataId: data.write(dx, input.shape, 'float32'), shape: input.shape, dtype: 'float32' };
  };
}
