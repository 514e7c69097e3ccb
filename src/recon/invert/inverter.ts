/**
 * Feature inversion (Mahendran & Vedaldi 2015; Shen et al. 2019): the image whose features, in a
 * feature space, match decoded ones. docs/reconstruction.md gives the method and the numbers behind
 * each choice; in short:
 *
 *   loss(x) = Σ_l w_l ‖mask_l ⊙ (φ_l(x) − t_l)‖² / ‖t_l‖²  +  λ_TV · TV_β(x)  +  λ_range · R_α(x)
 *   x = sigmoid(z), z optimised by Adam
 *
 * The sigmoid keeps every pixel displayable without clipping (clipping stops the gradient of the
 * clipped pixels, and a penalty alone lets them wander out); the range prior keeps pixels off the
 * saturated ends, where the sigmoid's slope would stall them. A new trial starts from its instant
 * pixels frame; a refined estimate of the same trial keeps the image and Adam's moments (warm start).
 */
import type * as TF from '@tensorflow/tfjs';
import { BoldstreamError } from '../../errors.js';
import { createPixelsSpace, PIXELS_LAYER } from '../network/pixels.js';
import type { FeatureSpace } from '../network/types.js';
import { Adam } from './adam.js';
import { concatenated, pearson } from './correlation.js';
import { pixelsGrid, validateEstimate, type Estimate } from './estimate.js';
import { instantImage } from './first-frame.js';
import { rangePrior, totalVariation } from './priors.js';
import { decodedUnits, disposeTarget, layerDistance, layerTarget, type LayerTarget } from './targets.js';

export interface InverterOptions {
  /** Side of the reconstructed image, px; default the space's `inputSize` (other sizes are resized to it, bilinear). */
  readonly imageSize?: number;
  /** Adam's step on the logits; default 0.05. */
  readonly learningRate?: number;
  /** τ of the step's decay over a trial, lr / √(1 + t/τ), in iterations; default 100. */
  readonly decayIterations?: number;
  /** λ_TV; default 2. */
  readonly tvWeight?: number;
  /** β of the total variation; default 2. */
  readonly tvBeta?: number;
  /** λ_range; default 0.2. */
  readonly rangeWeight?: number;
  /** α of the range prior; default 6. */
  readonly rangeAlpha?: number;
  /** Weight of each layer's normalised distance, by layer name (`pixels` included); default 1. */
  readonly layerWeights?: Readonly<Record<string, number>>;
  /** A starting image is clamped to [margin, 1 − margin] before its logit is taken; default 0.02. */
  readonly initMargin?: number;
}

export const INVERTER_DEFAULTS = { learningRate: 0.05, decayIterations: 100, tvWeight: 2, tvBeta: 2, rangeWeight: 0.2, rangeAlpha: 6, initMargin: 0.02 } as const;

export interface InversionStep {
  /** RGB [size, size, 3] in [0, 1], interleaved. */
  readonly image: Float32Array;
  /** Loss of this image (features + priors). */
  readonly loss: number;
  /** Pearson correlation of this image's decoded units with their targets, pooled over layers. */
  readonly featureCorrelation: number;
  /** Optimiser iterations since the trial's first estimate. */
  readonly iteration: number;
}

/** A target in the space itself, or in the pixels space beside it (for a CNN space's `pixels` layer). */
interface Term {
  readonly target: LayerTarget;
  readonly auxiliary: boolean;
}

export class Inverter {
  readonly size: number;
  private readonly settings: Required<Omit<InverterOptions, 'imageSize' | 'layerWeights'>>;
  private readonly logits: TF.Variable;
  private readonly adam: Adam;
  private terms: Term[] = [];
  private pixelsSpace: FeatureSpace | null = null;
  private trial: number | null = null;
  private iterations = 0;

  constructor(
    private readonly tf: typeof TF,
    readonly space: FeatureSpace,
    private readonly options: InverterOptions = {},
  ) {
    this.size = options.imageSize ?? space.inputSize;
    if (!(Number.isInteger(this.size) && this.size >= 8)) throw new RangeError(`image size must be an integer ≥ 8, not ${this.size}`);
    this.settings = { ...INVERTER_DEFAULTS, ...definedOnly(options) };
    this.logits = tf.tidy(() => tf.variable(tf.zeros([1, this.size, this.size, 3]), true));
    this.adam = new Adam(tf, this.logits, { learningRate: this.settings.learningRate, decayIterations: this.settings.decayIterations });
  }

  /** The trial whose estimate is the target, or null before the first. */
  get currentTrial(): number | null {
    return this.trial;
  }

  get iteration(): number {
    return this.iterations;
  }

  /**
   * Makes `estimate` the target. A new trial restarts from its instant pixels frame with fresh
   * optimiser state; the same trial keeps the current image (warm start). Returns whether it did.
   */
  setTarget(estimate: Estimate): { warm: boolean } {
    validateEstimate(estimate);
    if (estimate.space !== this.space.name) throw new BoldstreamError('RECON_ESTIMATE_INVALID', `estimate is for space "${estimate.space}", the inverter's is "${this.space.name}"`);
    const terms = this.termsOf(estimate);
    for (const term of this.terms) disposeTarget(term.target);
    this.terms = terms;
    const warm = this.trial === estimate.trial;
    if (!warm) {
      this.setImage(instantImage(estimate, this.size));
      this.trial = estimate.trial;
    }
    return { warm };
  }

  /** Restarts from `image` (RGB [size, size, 3] in [0, 1]) with fresh optimiser state and iteration 0. */
  setImage(image: Float32Array): void {
    if (image.length !== this.size * this.size * 3) throw new RangeError(`image of ${image.length} values, not ${this.size}² × 3`);
    const m = this.settings.initMargin;
    const logits = new Float32Array(image.length);
    for (let i = 0; i < image.length; i++) {
      const p = Math.min(1 - m, Math.max(m, image[i]!));
      logits[i] = Math.log(p / (1 - p));
    }
    this.tf.tidy(() => this.logits.assign(this.tf.tensor4d(logits, [1, this.size, this.size, 3])));
    this.adam.reset();
    this.iterations = 0;
  }

  /** Runs `n` Adam iterations, then evaluates the image reached. */
  step(n = 1): InversionStep {
    this.iterate(n);
    return { ...this.evaluate(), iteration: this.iterations };
  }

  /** Runs `n` Adam iterations without reading anything back. */
  iterate(n = 1): void {
    this.requireTarget();
    const tf = this.tf;
    const objective = (z: TF.Tensor): TF.Scalar => this.lossOf(tf.sigmoid(z) as TF.Tensor4D).loss;
    for (let i = 0; i < n; i++) {
      tf.tidy(() => this.adam.apply(tf.valueAndGrad(objective)(this.logits).grad));
      this.iterations += 1;
    }
  }

  /**
   * Runs one iteration and returns the image it started from, with that image's loss and feature
   * correlation, read from the iteration's own forward pass. A separate evaluation costs one more
   * forward pass: 12–35 % of an iteration at 224 px on wasm (bench/recon.ts), paid on every
   * iteration there, since each one outlasts the 200 ms frame interval.
   */
  iterateObserved(): InversionStep {
    this.requireTarget();
    const tf = this.tf;
    const iteration = this.iterations;
    let seen: { image: TF.Tensor; units: TF.Tensor[] } | null = null;
    const objective = (z: TF.Tensor): TF.Scalar => {
      const x = tf.sigmoid(z) as TF.Tensor4D;
      const { loss, features } = this.lossOf(x);
      // Kept past the gradient's own tidy; the gathers are off the loss's path, so they add no backward work.
      seen = { image: tf.keep(x), units: this.terms.map((t) => tf.keep(decodedUnits(tf, features[t.target.name]!, t.target))) };
      return loss;
    };
    const loss = tf.tidy(() => {
      const { value, grad } = tf.valueAndGrad(objective)(this.logits);
      this.adam.apply(grad);
      return value.dataSync()[0]!;
    });
    this.iterations += 1;
    const kept = seen as { image: TF.Tensor; units: TF.Tensor[] } | null;
    if (!kept) throw new Error('Inverter: the forward pass did not run');
    try {
      return { image: kept.image.dataSync() as Float32Array, loss, featureCorrelation: this.correlationOf(kept.units), iteration };
    } finally {
      tf.dispose([kept.image, ...kept.units]);
    }
  }

  /** The current image with its loss and feature correlation, without moving it (one forward pass). */
  evaluate(): Omit<InversionStep, 'iteration'> {
    this.requireTarget();
    const tf = this.tf;
    return tf.tidy(() => {
      const x = tf.sigmoid(this.logits) as TF.Tensor4D;
      const { loss, features } = this.lossOf(x);
      const units = this.terms.map((t) => decodedUnits(tf, features[t.target.name]!, t.target));
      return { image: x.dataSync() as Float32Array, loss: loss.dataSync()[0]!, featureCorrelation: this.correlationOf(units) };
    });
  }

  private correlationOf(units: readonly TF.Tensor[]): number {
    return pearson(concatenated(units.map((u) => u.dataSync() as Float32Array)), concatenated(this.terms.map((t) => t.target.values)));
  }

  /** Loss and its gradient with respect to the pixels of `image` (RGB [size, size, 3]); for checks. */
  lossAndGradient(image: Float32Array): { loss: number; gradient: Float32Array } {
    this.requireTarget();
    const tf = this.tf;
    return tf.tidy(() => {
      const x = tf.tensor4d(image, [1, this.size, this.size, 3]);
      const { value, grad } = tf.valueAndGrad((t: TF.Tensor) => this.lossOf(t as TF.Tensor4D).loss)(x);
      return { loss: value.dataSync()[0]!, gradient: grad.dataSync() as Float32Array };
    });
  }

  dispose(): void {
    for (const term of this.terms) disposeTarget(term.target);
    this.terms = [];
    this.pixelsSpace?.dispose();
    this.adam.dispose();
    this.logits.dispose();
  }

  private lossOf(x: TF.Tensor4D): { loss: TF.Scalar; features: Record<string, TF.Tensor> } {
    const tf = this.tf;
    const own = this.terms.filter((t) => !t.auxiliary).map((t) => t.target.name);
    // Decoders were trained on features at the space's input size; the pixels space takes any size.
    const atInput = own.length === 0 || this.size === this.space.inputSize || isPixelsSpace(this.space) ? x : tf.image.resizeBilinear(x, [this.space.inputSize, this.space.inputSize], false, true);
    const features: Record<string, TF.Tensor> = own.length > 0 ? { ...this.space.forward(atInput, own) } : {};
    if (this.pixelsSpace) Object.assign(features, this.pixelsSpace.forward(x));
    const distances = this.terms.map((t) => layerDistance(tf, features[t.target.name]!, t.target));
    const s = this.settings;
    const loss = tf.addN([...distances, tf.mul(totalVariation(tf, x, s.tvBeta), s.tvWeight), tf.mul(rangePrior(tf, x, s.rangeAlpha), s.rangeWeight)]) as TF.Scalar;
    return { loss, features };
  }

  private termsOf(estimate: Estimate): Term[] {
    const terms: Term[] = [];
    try {
      for (const layer of estimate.layers) {
        const weight = this.options.layerWeights?.[layer.name] ?? 1;
        if (weight === 0) continue;
        const own = this.space.layers.find((l) => l.name === layer.name);
        if (own) terms.push({ target: layerTarget(this.tf, layer, own.units, weight), auxiliary: false });
        else if (layer.name === PIXELS_LAYER) terms.push({ target: layerTarget(this.tf, layer, this.auxiliaryPixels(estimate).layers[0]!.units, weight), auxiliary: true });
        else throw new BoldstreamError('RECON_ESTIMATE_INVALID', `${this.space.name} has no layer "${layer.name}"`);
      }
    } catch (thrown) {
      for (const term of terms) disposeTarget(term.target);
      throw thrown;
    }
    return terms;
  }

  /** The pixels space of a CNN estimate's pixels layer, made again only when the grid changes. */
  private auxiliaryPixels(estimate: Estimate): FeatureSpace {
    const grid = pixelsGrid(estimate);
    const name = `pixels-${grid.size}-${grid.color}`;
    if (this.pixelsSpace?.name !== name) {
      this.pixelsSpace?.dispose();
      this.pixelsSpace = createPixelsSpace(this.tf, { size: grid.size, color: grid.color });
    }
    return this.pixelsSpace;
  }

  private requireTarget(): void {
    if (this.trial === null) throw new Error('Inverter: setTarget before step');
  }
}

function isPixelsSpace(space: FeatureSpace): boolean {
  return space.layers.length === 1 && space.layers[0]!.name === PIXELS_LAYER;
}

function definedOnly(options: InverterOptions): Partial<typeof INVERTER_DEFAULTS> {
  const out: Record<string, number> = {};
  for (const key of Object.keys(INVERTER_DEFAULTS) as (keyof typeof INVERTER_DEFAULTS)[]) {
    const value = options[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}
