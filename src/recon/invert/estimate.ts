/**
 * The estimate: what the feature decoders give reconstruction for one trial at one TR, refined with
 * every TR of the trial (docs/reconstruction.md).
 *
 * Values are decoded unit activations, already rescaled to the training features' spread, so that
 * they are comparable with what the network computes for an image (Horikawa & Kamitani 2017
 * normalise the same way). Decoders predict a subset of a layer's units (Kamitani-lab decoders use a
 * few hundred to a few thousand per layer), hence `unitIndices`. A `pixels` layer is always there:
 * it gives the instant first frame and the optimiser's starting image for a new trial.
 */
import { BoldstreamError } from '../../errors.js';
import { PIXELS_LAYER, type PixelColor } from '../network/pixels.js';

export interface EstimateLayer {
  /** A layer of the feature space (as `FeatureSpace.layers`), or `pixels`. */
  readonly name: string;
  /**
   * Indices into the layer's flattened activation, in the space's row-major (height, width,
   * channel) order at the space's `inputSize`, one per value, no repeats; `null`: every unit, in order
   * (the `pixels` layer always gives every unit: null or 0, 1, 2, …).
   */
  readonly unitIndices: Int32Array | null;
  readonly values: Float32Array;
}

export interface Estimate {
  /** Trial index (as `TrRecord.trial.index`); a new trial restarts the optimiser from its pixels frame. */
  readonly trial: number;
  /** The newest TR whose activity went into these values. */
  readonly tr: number;
  /** Name of the feature space the decoders predict (`FeatureSpace.name`, e.g. 'mobilenet_v2', 'pixels-32-gray'). */
  readonly space: string;
  readonly layers: readonly EstimateLayer[];
}

/** Grid of a decoded pixels layer: `size` × `size` grey (1 value per cell) or RGB (3 values). */
export interface PixelsGrid {
  readonly size: number;
  readonly color: PixelColor;
  readonly values: Float32Array;
}

const invalid = (detail: string): BoldstreamError => new BoldstreamError('RECON_ESTIMATE_INVALID', detail);

/**
 * The pixels layer's grid. Its shape is told by its length alone: n² (grey) and 3m² (RGB) never
 * coincide for integers n and m, since √3 is irrational.
 */
export function pixelsGrid(estimate: Estimate): PixelsGrid {
  const layer = estimate.layers.find((l) => l.name === PIXELS_LAYER);
  if (!layer) throw invalid(`trial ${estimate.trial}: no "${PIXELS_LAYER}" layer`);
  const n = layer.values.length;
  if (layer.unitIndices !== null && !isIdentity(layer.unitIndices, n)) throw invalid(`the "${PIXELS_LAYER}" layer must give every unit in order (unitIndices null or 0, 1, 2, …)`);
  const grey = Math.round(Math.sqrt(n));
  if (grey >= 1 && grey * grey === n) return { size: grey, color: 'gray', values: layer.values };
  const rgb = Math.round(Math.sqrt(n / 3));
  if (rgb >= 1 && 3 * rgb * rgb === n) return { size: rgb, color: 'rgb', values: layer.values };
  throw invalid(`the "${PIXELS_LAYER}" layer holds ${n} values, neither n² (grey) nor 3n² (RGB)`);
}

function isIdentity(indices: Int32Array, n: number): boolean {
  if (indices.length !== n) return false;
  for (let i = 0; i < n; i++) if (indices[i] !== i) return false;
  return true;
}

/**
 * Checks what can be checked without the feature space: indices, trial and TR, lengths, finite
 * values, unique names and a usable pixels layer. `Inverter.setTarget` checks layers and unit ranges.
 */
export function validateEstimate(estimate: Estimate): Estimate {
  if (!(Number.isInteger(estimate.trial) && estimate.trial >= 0)) throw invalid(`trial must be a non-negative integer, not ${estimate.trial}`);
  if (!(Number.isInteger(estimate.tr) && estimate.tr >= 0)) throw invalid(`tr must be a non-negative integer, not ${estimate.tr}`);
  const names = new Set<string>();
  for (const layer of estimate.layers) {
    if (names.has(layer.name)) throw invalid(`layer "${layer.name}" appears twice`);
    names.add(layer.name);
    if (!(layer.values instanceof Float32Array) || layer.values.length === 0) throw invalid(`layer "${layer.name}": values must be a non-empty Float32Array`);
    if (layer.unitIndices !== null) {
      if (!(layer.unitIndices instanceof Int32Array)) throw invalid(`layer "${layer.name}": unitIndices must be an Int32Array or null`);
      if (layer.unitIndices.length !== layer.values.length) throw invalid(`layer "${layer.name}": ${layer.unitIndices.length} unit indices for ${layer.values.length} values`);
    }
    for (let i = 0; i < layer.values.length; i++) if (!Number.isFinite(layer.values[i]!)) throw invalid(`layer "${layer.name}": value ${i} is not finite`);
  }
  pixelsGrid(estimate);
  return estimate;
}

/** Unit indices of `layer` checked against a layer of `units` units: in range and without repeats. */
export function checkedUnits(layer: EstimateLayer, units: number): Int32Array | null {
  if (layer.unitIndices === null) {
    if (layer.values.length !== units) throw invalid(`layer "${layer.name}" has ${units} units; ${layer.values.length} values without unit indices`);
    return null;
  }
  const seen = new Uint8Array(units);
  for (const index of layer.unitIndices) {
    if (!(index >= 0 && index < units)) throw invalid(`layer "${layer.name}": unit ${index} is outside its ${units} units`);
    // A repeated unit would count twice in the distance and once in the dense target (targets.ts).
    if (seen[index]) throw invalid(`layer "${layer.name}": unit ${index} is given twice`);
    seen[index] = 1;
  }
  return layer.unitIndices;
}
