/**
 * Runs a Keras-style layers model ourselves, layer by layer, so that the pixel gradient costs what
 * it should.
 *
 * Why not `model.predict` / `apply`: tfjs-layers runs Conv2D through `tf.fused.conv2d`, and under
 * `tf.grad` a fused convolution with a linear activation (every Conv2D followed by a BN layer, i.e.
 * all of MobileNetV2's) computes the filter gradient along with the input gradient, although the
 * weights are constants to us. Measured on the cpu backend at 112 px: 30 of 35 s of one MobileNetV2
 * gradient went to Conv2DBackpropFilter. Here convolutions are plain `tf.conv2d` /
 * `tf.depthwiseConv2d`, whose registered gradients are computed only for the inputs on the path
 * from the image, and a batch norm that follows a convolution is folded into it (fold-batchnorm.ts).
 * Every other layer runs through its own tfjs `apply`, so any layer tfjs supports still works.
 *
 * Only the layers needed for the requested outputs run, so asking for an early layer is cheap.
 */
import type * as TF from '@tensorflow/tfjs';
import { foldBatchNorm } from './fold-batchnorm.js';

type Layer = TF.layers.Layer;
type Op = (inputs: TF.Tensor[]) => TF.Tensor | TF.Tensor[];

interface Step {
  readonly inputs: readonly { readonly layer: string; readonly index: number }[];
  readonly run: Op;
}

export interface LayersGraph {
  /** Evaluates the named layers' outputs for a preprocessed [N,H,W,C] input (call inside tidy or grad). */
  run(input: TF.Tensor4D, outputs: readonly string[]): Record<string, TF.Tensor>;
  /** How many BN layers were folded into their convolution. */
  readonly folded: number;
  dispose(): void;
}

/** Thrown when a model uses what the plan cannot express; the caller falls back to tfjs's apply. */
export class UnplannableModel extends Error {}

type Activation = (x: TF.Tensor) => TF.Tensor;

function activations(tf: typeof TF): Record<string, Activation> {
  return {
    linear: (x) => x,
    relu: (x) => tf.relu(x),
    relu6: (x) => tf.relu6(x),
    elu: (x) => tf.elu(x),
    selu: (x) => tf.selu(x),
    sigmoid: (x) => tf.sigmoid(x),
    tanh: (x) => tf.tanh(x),
    softplus: (x) => tf.softplus(x),
    softsign: (x) => tf.div(x, tf.add(tf.abs(x), 1)),
    swish: (x) => tf.mul(x, tf.sigmoid(x)),
  };
}

interface ConvConfig {
  readonly depthwise: boolean;
  readonly strides: [number, number];
  readonly padding: 'valid' | 'same';
  readonly dilations: [number, number];
  readonly activation: Activation;
}

const pair = (v: unknown): [number, number] | null =>
  typeof v === 'number' ? [v, v] : Array.isArray(v) && v.length === 2 && v.every((n) => typeof n === 'number') ? [v[0] as number, v[1] as number] : null;

/** The convolution's settings when we can run it unfused; null leaves it to tfjs. */
function convConfig(tf: typeof TF, layer: Layer): ConvConfig | null {
  const cls = layer.getClassName();
  if (cls !== 'Conv2D' && cls !== 'DepthwiseConv2D') return null;
  const c = layer.getConfig() as Record<string, unknown>;
  const strides = pair(c['strides']);
  const dilations = pair(c['dilationRate'] ?? 1);
  const activation = activations(tf)[String(c['activation'] ?? 'linear')];
  const padding = c['padding'];
  if (!strides || !dilations || !activation || (padding !== 'valid' && padding !== 'same')) return null;
  if (c['dataFormat'] !== undefined && c['dataFormat'] !== 'channelsLast') return null;
  return { depthwise: cls === 'DepthwiseConv2D', strides, padding, dilations, activation };
}

function convOp(tf: typeof TF, cfg: ConvConfig, kernel: TF.Tensor4D, bias: TF.Tensor1D | null): Op {
  return ([x]) => {
    const x4 = x as TF.Tensor4D;
    const y = cfg.depthwise
      ? tf.depthwiseConv2d(x4, kernel, cfg.strides, cfg.padding, 'NHWC', cfg.dilations)
      : tf.conv2d(x4, kernel, cfg.strides, cfg.padding, 'NHWC', cfg.dilations);
    return cfg.activation(bias ? tf.add(y, bias) : y);
  };
}

/** BN weights in tfjs-layers' order: gamma (if scale), beta (if center), moving mean, moving variance. */
function batchNormWeights(layer: Layer) {
  const c = layer.getConfig() as Record<string, unknown>;
  const axis = c['axis'];
  if (axis !== -1 && axis !== 3 && !(Array.isArray(axis) && axis.length === 1 && (axis[0] === -1 || axis[0] === 3))) return null;
  const w = [...(layer.getWeights() as TF.Tensor1D[])];
  const gamma = c['scale'] === false ? null : w.shift()!;
  const beta = c['center'] === false ? null : w.shift()!;
  const [mean, variance] = w;
  if (!mean || !variance) return null;
  return { gamma, beta, mean, variance, epsilon: Number(c['epsilon'] ?? 1e-3) };
}

export function planLayersGraph(tf: typeof TF, model: TF.LayersModel): LayersGraph {
  const steps = new Map<string, Step>();
  const owned: TF.Tensor[] = [];
  let folded = 0;
  let inputName: string | null = null;

  const edgesOf = (layer: Layer) => {
    if (layer.inboundNodes.length !== 1) throw new UnplannableModel(`layer "${layer.name}" is used ${layer.inboundNodes.length} times (shared layer or nested model)`);
    const node = layer.inboundNodes[0]!;
    return node.inboundLayers.map((from, i) => {
      if (node.nodeIndices[i] !== 0) throw new UnplannableModel(`layer "${layer.name}" reads a shared layer`);
      return { from, index: node.tensorIndices[i] ?? 0 };
    });
  };

  const visit = (layer: Layer): void => {
    if (steps.has(layer.name)) return;
    const edges = edgesOf(layer);
    for (const e of edges) visit(e.from);
    const inputs = edges.map((e) => ({ layer: e.from.name, index: e.index }));
    if (edges.length === 0) {
      if (inputName !== null) throw new UnplannableModel('the model has more than one input');
      inputName = layer.name;
      steps.set(layer.name, { inputs, run: ([x]) => x! });
      return;
    }
    const conv = convConfig(tf, layer);
    if (conv) {
      const [kernel, bias] = layer.getWeights() as [TF.Tensor4D, TF.Tensor1D | undefined];
      steps.set(layer.name, { inputs, run: convOp(tf, conv, kernel, bias ?? null) });
      return;
    }
    const source = edges.length === 1 ? edges[0]!.from : null;
    const sourceConv = source && layer.getClassName() === 'BatchNormalization' ? convConfig(tf, source) : null;
    const bn = sourceConv ? batchNormWeights(layer) : null;
    // Fold only when the convolution is linear and feeds this BN alone; otherwise it runs anyway.
    if (source && sourceConv && bn && source.outboundNodes.length === 1 && (source.getConfig() as { activation?: unknown }).activation === 'linear') {
      const [kernel, bias] = source.getWeights() as [TF.Tensor4D, TF.Tensor1D | undefined];
      const f = foldBatchNorm(tf, { kernel, bias: bias ?? null }, bn);
      owned.push(tf.keep(f.kernel), tf.keep(f.bias));
      steps.set(layer.name, { inputs: steps.get(source.name)!.inputs, run: convOp(tf, sourceConv, f.kernel, f.bias) });
      folded++;
      return;
    }
    steps.set(layer.name, { inputs, run: (xs) => layer.apply(xs.length === 1 ? xs[0]! : xs) as TF.Tensor | TF.Tensor[] });
  };

  for (const layer of model.layers) visit(layer);
  if (inputName === null) throw new UnplannableModel('the model has no input layer');
  const input: string = inputName;

  const run = (image: TF.Tensor4D, outputs: readonly string[]): Record<string, TF.Tensor> => {
    const values = new Map<string, TF.Tensor | TF.Tensor[]>([[input, image]]);
    const evaluate = (name: string): TF.Tensor | TF.Tensor[] => {
      const known = values.get(name);
      if (known) return known;
      const step = steps.get(name);
      if (!step) throw new RangeError(`no layer "${name}"`);
      const args = step.inputs.map(({ layer, index }) => {
        const v = evaluate(layer);
        return Array.isArray(v) ? v[index]! : v;
      });
      const out = step.run(args);
      values.set(name, out);
      return out;
    };
    return Object.fromEntries(
      outputs.map((name) => {
        const v = evaluate(name);
        return [name, Array.isArray(v) ? v[0]! : v];
      }),
    );
  };

  return {
    run: (image, outputs) => tf.tidy(() => run(image, outputs)),
    folded,
    dispose: () => {
      for (const t of owned) t.dispose();
      owned.length = 0;
    },
  };
}
