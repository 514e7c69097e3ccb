/**
 * The evaluation metrics of boldstream, for decoded features and for reconstructed images: one
 * import for the decoders, the `evaluate` command and the benches. docs/evaluation.md defines each
 * one and says how to read it; the API below is kept stable.
 *
 *   matrices (samples × units)  profileCorrelation      per unit, across samples     Score over units
 *                               patternCorrelation      per sample, across units     Score over samples; optionally
 *                                                       z-scored per unit by the training features' moments
 *                               pairwiseIdentification  own vs other candidates      Score over samples, chance 0.5
 *                               correlationMatrix       every row against every row
 *                               unitMoments, MomentsAccumulator   per-unit mean and sd, for that z-scoring
 *   images                      pixelCorrelation        Pearson over all pixel values
 *                               ssim                    Wang et al. 2004, Gaussian σ 1.5; RGB: mean of channels
 *                               imageScores             one image metric over pairs, as a Score
 *   spread                      bootstrapInterval       percentile bootstrap of a Score's mean (seeded)
 */
export { sampleMatrix, stackRows, unitMoments, MomentsAccumulator, type SampleMatrix, type UnitMoments, type Values } from './matrix.js';
export { scoreOf, bootstrapInterval, type Score, type Interval, type BootstrapOptions } from './score.js';
export { pearson, patternCorrelation, profileCorrelation, correlationMatrix, type PatternOptions } from './correlation.js';
export { pairwiseIdentification, type IdentificationOptions } from './identification.js';
export { image, toGray, pixelCorrelation, imageScores, type Image } from './image.js';
export { ssim, type SsimOptions } from './ssim.js';
