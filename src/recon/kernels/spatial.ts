/**
 * Spatial reshuffles the backward kernels share, each built from kernels every backend has
 * (Reshape, PadV2, Slice, StridedSlice), so the composite kernels stay in the backend's memory.
 */
import type { AxisPads } from './geometry.js';
import type { Composer, TensorInfo } from './compose.js';

/**
 * Spreads an NHWC gradient to stride spacing: rows o·s hold dy[o], the rows between are zero,
 * and s − 1 zero rows trail the last one (callers account for them in their pads). One PadV2 on
 * a rank-6 view does it, so no scatter kernel is needed.
 */
export function dilateNhwc(c: Composer, dy: TensorInfo, strideH: number, strideW: number): TensorInfo {
  if (strideH === 1 && strideW === 1) return c.reshape(dy, dy.shape);
  const [n, h, w, ch] = dy.shape as [number, number, number, number];
  const view = c.reshape(dy, [n, h, 1, w, 1, ch]);
  const spread = c.run('PadV2', { x: view }, { paddings: [[0, 0], [0, 0], [0, strideH - 1], [0, 0], [0, strideW - 1], [0, 0]], constantValue: 0 });
  c.free(view);
  const out = c.reshape(spread, [n, h * strideH, w * strideW, ch]);
  c.free(spread);
  return out;
}

/**
 * Pads (positive) or crops (negative) the two spatial axes of an NHWC tensor. Returns a new
 * reference in every case so that the caller always frees what it got.
 */
export function padOrCropNhwc(c: Composer, x: TensorInfo, rows: AxisPads, cols: AxisPads): TensorInfo {
  const [n, h, w, ch] = x.shape as [number, number, number, number];
  const cut = (p: AxisPads): [number, number] => [Math.max(0, -p.before), Math.max(0, -p.after)];
  const [cutTop, cutBottom] = cut(rows);
  const [cutLeft, cutRight] = cut(cols);
  let current = c.reshape(x, x.shape);
  if (cutTop + cutBottom + cutLeft + cutRight > 0) {
    const cropped = c.run('Slice', { x: current }, { begin: [0, cutTop, cutLeft, 0], size: [n, h - cutTop - cutBottom, w - cutLeft - cutRight, ch] });
    c.free(current);
    current = cropped;
  }
  const grow = (p: AxisPads): [number, number] => [Math.max(0, p.before), Math.max(0, p.after)];
  const padRows = grow(rows);
  const padCols = grow(cols);
  if (padRows[0] + padRows[1] + padCols[0] + padCols[1] > 0) {
    const padded = c.run('PadV2', { x: current }, { paddings: [[0, 0], padRows, padCols, [0, 0]], constantValue: 0 });
    c.free(current);
    current = padded;
  }
  return current;
}

/** The window x[:, top + o·sh, left + p·sw, :] for o < outH, p < outW (one filter tap's view). */
export function strideWindow(c: Composer, x: TensorInfo, top: number, left: number, outH: number, outW: number, strideH: number, strideW: number): TensorInfo {
  const [n, h, w, ch] = x.shape as [number, number, number, number];
  // A 1×1 stride-1 filter's only window is the input itself: share it rather than copy it.
  if (top === 0 && left === 0 && outH === h && outW === w) return c.reshape(x, x.shape);
  if (strideH === 1 && strideW === 1) {
    return c.run('Slice', { x }, { begin: [0, top, left, 0], size: [n, outH, outW, ch] });
  }
  return c.run('StridedSlice', { x }, {
    begin: [0, top, left, 0],
    end: [n, top + (outH - 1) * strideH + 1, left + (outW - 1) * strideW + 1, ch],
    strides: [1, strideH, strideW, 1],
    beginMask: 0,
    endMask: 0,
    ellipsisMask: 0,
    newAxisMask: 0,
    shrinkAxisMask: 0,
  });
}
