/**
 * The gradient kernels we register for wasm (src/recon/kernels/), on random shapes, strides,
 * paddings, dilations and channel multipliers, against two references: the cpu backend's own
 * kernel (tight), and central differences of the forward op (loose; a convolution is linear in
 * each argument, so ⟨dy, conv(x + h·e) − conv(x − h·e)⟩ / 2h is its exact derivative up to float32
 * rounding). The cpu backend's depthwise backprop kernels ignore dilation (tfjs 4.22), so dilated
 * cases are checked against the forward op only. The finite differences use the cpu forward op:
 * wasm's own forward convolution is wrong on some degenerate shapes (a dimension of 1 or 2 with a
 * non-square filter or stride and 'same' padding, e.g. x 1×8×1, filter 1×2, strides [2, 1] gives
 * zeros), which this property found; square filters and strides, as CNNs use, are not affected.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { installGradientSupport } from '../../src/recon/grad/install.js';

type Shape4 = [number, number, number, number];
type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
interface Case {
  readonly depthwise: boolean;
  readonly x: Shape4;
  readonly f: Shape4;
  readonly strides: [number, number];
  readonly dilations: [number, number];
  readonly pad: Pad;
}

/** Deterministic values in [-1, 1], the same on every backend. */
const wave = (size: number, phase: number): Float32Array => Float32Array.from({ length: size }, (_, i) => Math.sin(i * 12.9898 + phase * 78.233));
const sizeOf = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

function forward(c: Case, x: tf.Tensor4D, f: tf.Tensor4D): tf.Tensor4D {
  return c.depthwise ? tf.depthwiseConv2d(x, f, c.strides, c.pad, 'NHWC', c.dilations) : tf.conv2d(x, f, c.strides, c.pad, 'NHWC', c.dilations);
}

/** The two backprop kernels of a case, run through the engine on the current backend. */
function backprop(c: Case, x: tf.Tensor4D, f: tf.Tensor4D, dy: tf.Tensor4D): [tf.Tensor, tf.Tensor] {
  const attrs = { strides: c.strides, pad: c.pad, dilations: c.dilations, dataFormat: 'NHWC' };
  const run = (name: string, inputs: tf.NamedTensorMap, more: object): tf.Tensor => tf.engine().runKernel(name, inputs, { ...attrs, ...more } as unknown as tf.NamedAttrMap);
  if (c.depthwise) {
    return [
      run('DepthwiseConv2dNativeBackpropInput', { dy, filter: f }, { inputShape: c.x }),
      run('DepthwiseConv2dNativeBackpropFilter', { x, dy }, { filterShape: c.f }),
    ];
  }
  return [run('Conv2DBackpropInput', { dy, filter: f }, { inputShape: c.x }), run('Conv2DBackpropFilter', { x, dy }, { filterShape: c.f })];
}

interface Result {
  readonly dx: Float32Array;
  readonly df: Float32Array;
}

/** Central differences at a few entries of x and f: [index, derivative]. */
interface Numeric {
  readonly x: [number, number][];
  readonly f: [number, number][];
}

function inputs(c: Case): { x: tf.Tensor4D; f: tf.Tensor4D; dy: tf.Tensor4D } {
  const x = tf.tensor4d(wave(sizeOf(c.x), 1), c.x);
  const f = tf.tensor4d(wave(sizeOf(c.f), 2), c.f);
  const y = forward(c, x, f);
  return { x, f, dy: tf.tensor4d(wave(y.size, 3), y.shape as Shape4) };
}

async function compute(backend: 'cpu' | 'wasm', c: Case): Promise<Result> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const { x, f, dy } = inputs(c);
    const [dx, df] = backprop(c, x, f, dy);
    return { dx: dx.dataSync() as Float32Array, df: df.dataSync() as Float32Array };
  });
}

async function finiteDifferences(c: Case): Promise<Numeric> {
  await tf.setBackend('cpu');
  return tf.tidy(() => {
    const { x, f, dy } = inputs(c);
    const h = 0.5;
    const numeric = (of: 'x' | 'f', size: number): [number, number][] =>
      [0, Math.floor(size / 3), Math.floor((2 * size) / 3), size - 1].map((i) => {
        const bump = (sign: number): number => {
          const unit = new Float32Array(size);
          unit[i] = sign * h;
          const e = tf.tensor4d(unit, of === 'x' ? c.x : c.f);
          return tf.sum(tf.mul(of === 'x' ? forward(c, tf.add(x, e), f) : forward(c, x, tf.add(f, e)), dy)).dataSync()[0]!;
        };
        return [i, (bump(1) - bump(-1)) / (2 * h)];
      });
    return { x: numeric('x', sizeOf(c.x)), f: numeric('f', sizeOf(c.f)) };
  });
}

/** Worst difference relative to the reference's largest magnitude. */
function relativeError(got: Float32Array, want: Float32Array): number {
  expect(got.length).toBe(want.length);
  const scale = Math.max(1, ...Array.from(want, Math.abs));
  return Math.max(0, ...Array.from(got, (g, i) => Math.abs(g - want[i]!))) / scale;
}

function expectMatchesFiniteDifferences(result: Result, numeric: Numeric): void {
  const scale = (a: Float32Array): number => Math.max(1, ...Array.from(a, Math.abs));
  for (const [i, d] of numeric.x) expect(Math.abs(result.dx[i]! - d) / scale(result.dx), `dx[${i}]`).toBeLessThan(2e-3);
  for (const [i, d] of numeric.f) expect(Math.abs(result.df[i]! - d) / scale(result.df), `df[${i}]`).toBeLessThan(2e-3);
}

async function check(c: Case): Promise<void> {
  const wasm = await compute('wasm', c);
  expectMatchesFiniteDifferences(wasm, await finiteDifferences(c));
  const dilated = c.dilations[0] > 1 || c.dilations[1] > 1;
  if (dilated) return;
  const cpu = await compute('cpu', c);
  expect(relativeError(wasm.dx, cpu.dx), 'input gradient vs cpu').toBeLessThan(1e-5);
  expect(relativeError(wasm.df, cpu.df), 'filter gradient vs cpu').toBeLessThan(1e-5);
}

const table: Case[] = [
  // MobileNetV2's shapes in small: stride-2 'same' 3×3, 1×1 projections, multiplier-1 depthwise.
  { depthwise: false, x: [1, 9, 9, 3], f: [3, 3, 3, 4], strides: [2, 2], dilations: [1, 1], pad: 'valid' },
  { depthwise: false, x: [2, 8, 8, 6], f: [1, 1, 6, 5], strides: [1, 1], dilations: [1, 1], pad: 'same' },
  { depthwise: false, x: [1, 8, 7, 4], f: [3, 3, 4, 6], strides: [2, 1], dilations: [1, 1], pad: [[0, 0], [2, 0], [1, 3], [0, 0]] },
  { depthwise: true, x: [1, 8, 8, 5], f: [3, 3, 5, 1], strides: [2, 2], dilations: [1, 1], pad: 'same' },
  { depthwise: true, x: [2, 7, 9, 3], f: [3, 2, 3, 3], strides: [1, 3], dilations: [1, 1], pad: 'valid' },
  { depthwise: true, x: [1, 10, 10, 4], f: [5, 5, 4, 2], strides: [2, 2], dilations: [1, 1], pad: [[0, 0], [4, 4], [0, 5], [0, 0]] },
  { depthwise: true, x: [1, 9, 9, 2], f: [3, 3, 2, 3], strides: [1, 1], dilations: [2, 2], pad: 'same' },
  { depthwise: true, x: [1, 11, 8, 2], f: [2, 3, 2, 1], strides: [1, 1], dilations: [3, 2], pad: 'valid' },
];

beforeAll(async () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    await tf.setBackend(backend);
    installGradientSupport(tf, backend);
  }
});

describe('gradient kernels registered for wasm', () => {
  it.each(table.map((c) => [`${c.depthwise ? 'depthwise' : 'conv2d'} x${c.x} f${c.f} s${c.strides} d${c.dilations} ${JSON.stringify(c.pad)}`, c] as const))('%s', async (_name, c) => {
    await check(c);
  });

  const caseArbitrary = fc
    .record({
      depthwise: fc.boolean(),
      batch: fc.integer({ min: 1, max: 2 }),
      h: fc.integer({ min: 1, max: 9 }),
      w: fc.integer({ min: 1, max: 9 }),
      inC: fc.integer({ min: 1, max: 4 }),
      outC: fc.integer({ min: 1, max: 4 }),
      fh: fc.integer({ min: 1, max: 4 }),
      fw: fc.integer({ min: 1, max: 4 }),
      strides: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
      dilation: fc.integer({ min: 1, max: 2 }),
      pad: fc.oneof(fc.constant<'same'>('same'), fc.constant<'valid'>('valid'), fc.tuple(fc.nat(3), fc.nat(3), fc.nat(3), fc.nat(3))),
    })
    .map((r): Case => ({
      depthwise: r.depthwise,
      x: [r.batch, r.h, r.w, r.inC],
      f: [r.fh, r.fw, r.inC, r.outC],
      strides: r.strides,
      // tfjs allows dilation only with stride 1, and conv2d's backprop kernels take no dilation.
      dilations: r.depthwise && r.strides[0] === 1 && r.strides[1] === 1 ? [r.dilation, r.dilation] : [1, 1],
      pad: typeof r.pad === 'string' ? r.pad : [[0, 0], [r.pad[0], r.pad[1]], [r.pad[2], r.pad[3]], [0, 0]],
    }))
    .filter((c) => {
      // The filter (with dilation) must fit in the padded input, or there is no output.
      const [top, bottom, left, right] = c.pad === 'same' ? [9, 9, 9, 9] : c.pad === 'valid' ? [0, 0, 0, 0] : [c.pad[1][0], c.pad[1][1], c.pad[2][0], c.pad[2][1]];
      return c.x[1] + top + bottom >= (c.f[0] - 1) * c.dilations[0] + 1 && c.x[2] + left + right >= (c.f[1] - 1) * c.dilations[1] + 1;
    });

  it('agree with cpu and with finite differences on random geometry', async () => {
    await fc.assert(fc.asyncProperty(caseArbitrary, check), { numRuns: 150, seed: 20240607 });
  });
});
