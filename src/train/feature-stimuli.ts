/**
 * The true features of every stimulus: the events' `stim_file` found on disk (BIDS: a path relative
 * to the dataset's `stimuli/` folder), the feature spaces built, the decoded units chosen, and the
 * features of each image computed in batches on the compute backend.
 *
 * Units: all of the `pixels` layer (it is the picture itself, and the first frame of a
 * reconstruction); for network layers a seeded random subset, 1000 by default — Horikawa & Kamitani
 * (2017) decoded 1000 random units per layer: enough to carry a layer's information, few enough
 * to fit one decoder each. The seed is stored, and each layer draws from its own stream, so adding
 * a layer does not change the units of the others.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type * as TF from '@tensorflow/tfjs';
import { BoldstreamError } from '../errors.js';
import type { FeatureSpaceSpec } from '../decode/features/bundle.js';
import { datasetRoot } from '../ingest/bids/sidecar.js';
import { createPixelsSpace, featuresOfImages, loadBundledNetwork, loadFeatureSpace, PIXELS_LAYER, type BundledNetworkName, type FeatureSpace, type PixelColor, type Preprocessing } from '../recon/network/index.js';
import { Random } from '../synth/random.js';

/** 'pixels' alone, a network bundled with the product, or a tfjs model on disk. */
export type NetworkChoice = 'pixels' | BundledNetworkName | { readonly modelJson: string; readonly preprocessing: Preprocessing };

export interface SpaceRequest {
  readonly network: NetworkChoice;
  /** Network layers to decode; default every layer the network offers (bundled presets), required for a model.json. */
  readonly layers?: readonly string[];
  /** Random units per network layer; default 1000. */
  readonly units?: number;
  /** Network input side, px; default the network's own. */
  readonly inputSize?: number;
  /** Side of the pixels layer; default 32. */
  readonly pixels?: number;
  readonly pixelsColor?: PixelColor;
  readonly seed?: number;
}

export interface LayerFeatures {
  readonly name: string;
  readonly space: 'pixels' | 'network';
  readonly shape: readonly number[];
  readonly unitIndices: Int32Array;
  /** stimuli × units, row-major, in the order of the images given. */
  readonly values: Float32Array;
}

/** Where the events' stim_file values live: `<dataset root>/stimuli`, else the nearest `stimuli/` above the run. */
export async function stimuliFolder(runFile: string): Promise<string> {
  const folder = path.dirname(path.resolve(runFile));
  const candidates = [path.join(await datasetRoot(folder, folder), 'stimuli')];
  for (let dir = folder, up = 0; up <= 4; up++, dir = path.dirname(dir)) candidates.push(path.join(dir, 'stimuli'));
  for (const c of candidates) if (await stat(c).then((s) => s.isDirectory(), () => false)) return c;
  throw new BoldstreamError('INPUT_NOT_FOUND', `no stimuli/ folder for ${runFile} (BIDS stim_file paths are relative to the dataset's stimuli/ folder)`);
}

/** Absolute paths of the stim_file values, every one checked, all missing ones named at once. */
export async function resolveStimuli(folder: string, files: readonly string[]): Promise<string[]> {
  const paths = files.map((f) => path.resolve(folder, f));
  const missing = (await Promise.all(paths.map(async (p) => ((await stat(p).then((s) => s.isFile(), () => false)) ? null : p)))).filter((p) => p !== null);
  if (missing.length) throw new BoldstreamError('INPUT_NOT_FOUND', `${missing.length} stimulus images missing: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}`);
  return paths;
}

/** `k` distinct indices below `n`, ascending (Floyd's algorithm: O(k) however large the layer). */
export function randomUnits(n: number, k: number, seed: number, name: string): Int32Array {
  if (k >= n) return Int32Array.from({ length: n }, (_, i) => i);
  let h = seed >>> 0;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  const random = new Random(h);
  const chosen = new Set<number>();
  for (let j = n - k; j < n; j++) {
    const t = Math.floor(random.next() * (j + 1));
    chosen.add(chosen.has(t) ? j : t);
  }
  return Int32Array.from(chosen).sort();
}

async function loadNetwork(tf: typeof TF, request: SpaceRequest): Promise<FeatureSpace | null> {
  const { network } = request;
  if (network === 'pixels') return null;
  const size = request.inputSize !== undefined ? { inputSize: request.inputSize } : {};
  if (typeof network === 'string') return loadBundledNetwork(tf, network, { ...size, ...(request.layers ? { layers: request.layers } : {}) });
  if (!request.layers?.length) throw new BoldstreamError('CLI_USAGE', `${network.modelJson}: name the layers to decode (--layers)`);
  return loadFeatureSpace(tf, { modelJson: network.modelJson, layers: request.layers, preprocessing: network.preprocessing, ...size });
}

/** Builds the spaces, computes every layer's features of `images`, and describes the spaces for the bundle. */
export async function stimulusFeatures(tf: typeof TF, request: SpaceRequest, images: readonly string[]): Promise<{ spec: FeatureSpaceSpec; layers: LayerFeatures[] }> {
  const seed = request.seed ?? 1;
  const pixels = createPixelsSpace(tf, { size: request.pixels ?? 32, color: request.pixelsColor ?? 'rgb' });
  let network: FeatureSpace | null = null;
  try {
    network = await loadNetwork(tf, request);
    const px = pixels.layers[0]!;
    const layers: LayerFeatures[] = [];
    const pixelValues = await featuresOfImages(tf, pixels, images, { layers: [PIXELS_LAYER] });
    layers.push({ name: PIXELS_LAYER, space: 'pixels', shape: px.shape, unitIndices: randomUnits(px.units, px.units, seed, PIXELS_LAYER), values: pixelValues[PIXELS_LAYER]! });
    if (network) {
      const picked = network.layers.map((l) => ({ layer: l, units: randomUnits(l.units, request.units ?? 1000, seed, l.name) }));
      const values = await featuresOfImages(tf, network, images, { unitIndices: Object.fromEntries(picked.map((p) => [p.layer.name, p.units])) });
      for (const p of picked) layers.push({ name: p.layer.name, space: 'network', shape: p.layer.shape, unitIndices: p.units, values: values[p.layer.name]! });
    }
    const pixelsSpec = { size: px.shape[0]!, color: request.pixelsColor ?? 'rgb', inputSize: pixels.inputSize } as const;
    const choice = request.network;
    const networkSpec: FeatureSpaceSpec['network'] = !network
      ? null
      : typeof choice === 'string' && choice !== 'pixels'
        ? { source: 'bundled', name: choice, inputSize: network.inputSize }
        : typeof choice === 'object'
          ? { source: 'model', name: network.name, modelJson: path.resolve(choice.modelJson), preprocessing: choice.preprocessing, inputSize: network.inputSize }
          : null;
    return { spec: { name: network?.name ?? pixels.name, network: networkSpec, pixels: pixelsSpec }, layers };
  } finally {
    pixels.dispose();
    network?.dispose();
  }
}
