/**
 * DepthwiseConv2dNativeBackpropInput from the backend's own forward depthwise kernel: the input
 * gradient of a depthwise convolution is a stride-1 depthwise correlation of the output gradient,
 * spread to the forward stride, with the spatially flipped filter at the forward dilation
 * (geometry.ts). A channel multiplier M > 1 is handled by treating the C·M gradient channels as
 * C·M depthwise channels of multiplier one and summing each input channel's M results.
 */
import type * as TF from '@tensorflow/tfjs';
import { composer, type TensorInfo } from './compose.js';
import { convAttrs, convInfo, fullCorrelationPads, shape4 } from './geometry.js';
import { dilateNhwc, padOrCropNhwc } from './spatial.js';

export function depthwiseBackpropInputKernel(tf: typeof TF, backendName: string): TF.KernelFunc {
  return ({ inputs, backend, attrs = {} }) => {
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    const a = convAttrs(attrs);
    const inputShape = shape4(attrs['inputShape'], 'inputShape');
    const info = convInfo(tf, inputShape, shape4(filter.shape, 'filter shape'), a, true);
    const [fh, fw, channels, multiplier] = filter.shape as [number, number, number, number];
    const c = composer(tf, backendName, backend);

    const spread = dilateNhwc(c, dy, info.strideHeight, info.strideWidth);
    const rows = fullCorrelationPads(info.inHeight, spread.shape[1]!, fh, info.dilationHeight, info.padInfo.top);
    const cols = fullCorrelationPads(info.inWidth, spread.shape[2]!, fw, info.dilationWidth, info.padInfo.left);
    // Pads go to the convolution itself (no copy); only cuts need a Slice first.
    const cropped = padOrCropNhwc(c, spread, { before: Math.min(0, rows.before), after: Math.min(0, rows.after) }, { before: Math.min(0, cols.before), after: Math.min(0, cols.after) });
    c.free(spread);

    const flipped = c.run('Reverse', { x: filter }, { dims: [0, 1] });
    const asChannels = c.reshape(flipped, [fh, fw, channels * multiplier, 1]);
    c.free(flipped);
    const explicit = [[0, 0], [Math.max(0, rows.before), Math.max(0, rows.after)], [Math.max(0, cols.before), Math.max(0, cols.after)], [0, 0]];
    const perChannel = c.run('DepthwiseConv2dNative', { x: cropped, filter: asChannels }, {
      strides: [1, 1],
      dilations: [info.dilationHeight, info.dilationWidth],
      pad: explicit,
      dataFormat: 'NHWC',
    });
    c.free(cropped, asChannels);
    if (multiplier === 1) return perChannel;

    const grouped = c.reshape(perChannel, [info.batchSize, info.inHeight, info.inWidth, channels, multiplier]);
    c.free(perChannel);
    const summed = c.run('Sum', { x: grouped }, { axis: [4], keepDims: false });
    c.free(grouped);
    return summed;
  };
}
