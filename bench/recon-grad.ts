/**
 * Reconstruction's inner step, per backend: the gradient of a feature-matching loss with respect to
 * a 1×H×W×3 image through MobileNetV2, forward and backward, in iterations per second at 64, 112
 * and 224 px. Run with `npx tsx bench/recon-grad.ts [--sizes 64,112] [--seconds 4] [--random]`.
 *
 * The network is the pretrained MobileNetV2 bundled by nsfwjs (cut at `out_relu`, input size left
 * free) when the package is installed, else the same architecture with random weights built with
 * tf.layers (or with --random); the table says which. The loss matches four layers (block_3/6/13_expand_relu,
 * out_relu), each squared distance normalised by the target's norm, as the optimiser does. Both
 * backends get what `chooseBackend` installs (src/recon/grad/install.ts).
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { installGradientSupport } from '../src/recon/grad/install.js';

const LAYERS = ['block_3_expand_relu', 'block_6_expand_relu', 'block_13_expand_relu', 'out_relu'];

function argument(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] ? process.argv[at + 1]! : fallback;
}
const sizes = argument('sizes', '64,112,224').split(',').map(Number);
const seconds = Number(argument('seconds', '4'));

interface Topology {
  model_config: { config: { layers: { name: string; config: Record<string, unknown> }[]; output_layers: unknown } };
}

/** The bundled pretrained network with a free input size, or null when nsfwjs is not installed. */
async function pretrained(): Promise<tf.LayersModel | null> {
  let artifacts: tf.io.ModelArtifacts;
  try {
    const { nsfwjsArtifacts } = await import('../src/recon/network/nsfwjs-bundle.js');
    artifacts = nsfwjsArtifacts('mobilenet_v2');
  } catch {
    return null;
  }
  const topology = structuredClone(artifacts.modelTopology) as unknown as Topology;
  const config = topology.model_config.config;
  config.layers[0]!.config['batch_input_shape'] = [null, null, null, 3];
  config.layers = config.layers.slice(0, config.layers.findIndex((l) => l.name === 'out_relu') + 1);
  config.output_layers = [['out_relu', 0, 0]];
  const model = await tf.loadLayersModel(tf.io.fromMemory({ ...artifacts, modelTopology: topology as unknown as tf.io.ModelArtifacts['modelTopology'] }), { strict: false });
  return tf.model({ inputs: model.inputs, outputs: LAYERS.map((name) => model.getLayer(name).output as tf.SymbolicTensor) });
}

/** Keras MobileNetV2 (alpha 1) up to out_relu, random weights, same layer names. */
function randomMobileNetV2(): tf.LayersModel {
  const input = tf.input({ shape: [null, null, 3] });
  const named = new Map<string, tf.SymbolicTensor>();
  const relu6 = (x: tf.SymbolicTensor, name: string): tf.SymbolicTensor => {
    const out = tf.layers.reLU({ maxValue: 6, name }).apply(x) as tf.SymbolicTensor;
    named.set(name, out);
    return out;
  };
  const bnRelu = (x: tf.SymbolicTensor, name: string, relu = true): tf.SymbolicTensor => {
    const bn = tf.layers.batchNormalization({ name: `${name}_BN` }).apply(x) as tf.SymbolicTensor;
    return relu ? relu6(bn, `${name}_relu`) : bn;
  };
  const conv = (x: tf.SymbolicTensor, filters: number, kernelSize: number, strides: number, name: string): tf.SymbolicTensor =>
    tf.layers.conv2d({ filters, kernelSize, strides, padding: 'same', useBias: false, name }).apply(x) as tf.SymbolicTensor;
  let x = bnRelu(conv(input, 32, 3, 2, 'Conv1'), 'Conv1');
  let channels = 32;
  const blocks: [number, number, number, number][] = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1]];
  let id = 0;
  for (const [expansion, out, repeats, firstStride] of blocks) {
    for (let r = 0; r < repeats; r++, id++) {
      const name = id === 0 ? 'expanded_conv' : `block_${id}`;
      const stride = r === 0 ? firstStride : 1;
      let h = x;
      if (expansion !== 1) h = bnRelu(conv(h, channels * expansion, 1, 1, `${name}_expand`), `${name}_expand`);
      h = tf.layers.depthwiseConv2d({ kernelSize: 3, strides: stride, padding: 'same', useBias: false, name: `${name}_depthwise` }).apply(h) as tf.SymbolicTensor;
      h = bnRelu(h, `${name}_depthwise`);
      h = bnRelu(conv(h, out, 1, 1, `${name}_project`), `${name}_project`, false);
      x = stride === 1 && channels === out ? (tf.layers.add({ name: `${name}_add` }).apply([x, h]) as tf.SymbolicTensor) : h;
      channels = out;
    }
  }
  relu6(tf.layers.batchNormalization({ name: 'Conv_1_bn' }).apply(conv(x, 1280, 1, 1, 'Conv_1')) as tf.SymbolicTensor, 'out_relu');
  return tf.model({ inputs: input, outputs: LAYERS.map((name) => named.get(name)!) });
}

function image(size: number, phase: number): tf.Tensor4D {
  return tf.tidy(() => tf.tensor4d(Float32Array.from({ length: size * size * 3 }, (_, i) => 0.5 + 0.4 * Math.sin(i * 0.013 + phase)), [1, size, size, 3]));
}

/** Iterations per second of one gradient step, timed for about `seconds` after one warm-up. */
async function measure(model: tf.LayersModel, size: number): Promise<{ perSecond: number; msPerIteration: number; iterations: number }> {
  const targets = tf.tidy(() => model.predict(image(size, 1)) as tf.Tensor[]);
  const norms = targets.map((t) => tf.tidy(() => tf.sum(tf.square(t)).dataSync()[0]!));
  const loss = (x: tf.Tensor): tf.Scalar =>
    tf.addN((model.apply(x) as tf.Tensor[]).map((f, k) => tf.div(tf.sum(tf.squaredDifference(f, targets[k]!)), norms[k]! + 1e-8))) as tf.Scalar;
  const gradient = tf.grad(loss);
  const x = image(size, 2);
  const step = async (): Promise<void> => {
    const g = tf.tidy(() => gradient(x));
    await g.data();
    g.dispose();
  };
  await step();
  const started = performance.now();
  let iterations = 0;
  while (iterations < 2 || performance.now() - started < seconds * 1000) {
    await step();
    iterations++;
  }
  const ms = (performance.now() - started) / iterations;
  tf.dispose([x, ...targets]);
  return { perSecond: 1000 / ms, msPerIteration: ms, iterations };
}

const rows: string[] = [];
let network = '';
for (const backend of ['wasm', 'cpu'] as const) {
  await tf.setBackend(backend);
  await tf.ready();
  installGradientSupport(tf, backend);
  const loaded = process.argv.includes('--random') ? null : await pretrained();
  const model = loaded ?? randomMobileNetV2();
  network = loaded ? 'pretrained MobileNetV2 (nsfwjs 4.3)' : 'MobileNetV2 architecture, random weights';
  for (const size of sizes) {
    const tensorsBefore = tf.memory().numTensors;
    const r = await measure(model, size);
    const leaked = tf.memory().numTensors - tensorsBefore;
    rows.push(`| ${backend.padEnd(4)} | ${String(size).padStart(4)} | ${r.perSecond.toFixed(2).padStart(7)} | ${r.msPerIteration.toFixed(0).padStart(8)} | ${String(r.iterations).padStart(5)} | ${String(leaked).padStart(6)} |`);
    console.error(rows.at(-1));
  }
  model.dispose();
}
console.log(`\nfeature-matching gradient w.r.t. a 1×H×W×3 image through ${network}, 4 layers\n`);
console.log('| backend | px | iter/s | ms/iter | iters | leaked tensors |');
console.log('|---|---|---|---|---|---|');
for (const row of rows) console.log(row);
