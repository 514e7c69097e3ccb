/**
 * Geometry of a 2-D convolution's backward pass, from tfjs's own forward geometry
 * (`backend_util.computeConv2DInfo`), so that 'same', 'valid', explicit padding and rounding modes
 * mean exactly what they mean in the forward kernel whose gradient we compute.
 *
 * Forward (per spatial axis): out[o] = Σ_a x[o·s − padBefore + a·d] · f[a].
 * Backward to the input is then a stride-1 correlation of the output gradient, dilated by s, with
 * the flipped filter at dilation d; `fullCorrelationPads` gives the padding that makes its output
 * exactly the input's size. Backward to the filter, per tap a: Σ_o x[o·s − padBefore + a·d] · dy[o],
 * i.e. a strided window of the padded input against dy; `inputWindowPads` pads x so that every
 * tap's window is in range.
 */
import type * as TF from '@tensorflow/tfjs';

export type ConvInfo = ReturnType<typeof TF.backend_util.computeConv2DInfo>;
export type Shape4 = [number, number, number, number];
export type Pad = TF.Conv2DAttrs['pad'];
export type Rounding = TF.Conv2DAttrs['dimRoundingMode'];

export interface ConvAttrs {
  readonly strides: number | [number, number];
  readonly dilations: number | [number, number];
  readonly pad: Pad;
  readonly dimRoundingMode: Rounding;
}

/** Kernel attributes as tfjs passes them (dilations are absent for the plain conv2d kernels). */
export function convAttrs(attrs: TF.NamedAttrMap): ConvAttrs {
  const a = attrs as Partial<Record<keyof ConvAttrs, unknown>>;
  return {
    strides: a.strides as ConvAttrs['strides'],
    dilations: (a.dilations ?? 1) as ConvAttrs['dilations'],
    pad: a.pad as Pad,
    dimRoundingMode: a.dimRoundingMode as Rounding,
  };
}

export function shape4(value: unknown, what: string): Shape4 {
  if (!Array.isArray(value) || value.length !== 4 || !value.every((v) => Number.isInteger(v) && v >= 0)) {
    throw new Error(`${what} must be four non-negative integers, got ${JSON.stringify(value)}`);
  }
  return value as Shape4;
}

export function convInfo(tf: typeof TF, xShape: Shape4, filterShape: Shape4, attrs: ConvAttrs, depthwise: boolean): ConvInfo {
  return tf.backend_util.computeConv2DInfo(xShape, filterShape, attrs.strides, attrs.dilations, attrs.pad, attrs.dimRoundingMode, depthwise);
}

/** Before/after padding per axis; a negative value means that many rows or columns are cut off. */
export interface AxisPads {
  readonly before: number;
  readonly after: number;
}

/**
 * Pads for the correlation that maps a gradient of `length` rows (already dilated by the stride)
 * back onto `inSize` input rows through a filter of `size` taps at dilation `dilation`.
 */
export function fullCorrelationPads(inSize: number, length: number, size: number, dilation: number, padBefore: number): AxisPads {
  const reach = (size - 1) * dilation;
  const before = reach - padBefore;
  return { before, after: inSize + reach - before - length };
}

/** Pads of x so that tap a's window x[a·d + o·s], o < outSize, lies inside the padded input. */
export function inputWindowPads(inSize: number, outSize: number, size: number, stride: number, dilation: number, padBefore: number): AxisPads {
  const needed = (size - 1) * dilation + (outSize - 1) * stride + 1;
  return { before: padBefore, after: Math.max(0, needed - padBefore - inSize) };
}
