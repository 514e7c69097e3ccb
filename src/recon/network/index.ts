/**
 * Feature spaces for reconstruction: the image → features functions that decoders predict and the
 * optimiser inverts. docs/feature-networks.md is the user's guide.
 *
 *   pixels          createPixelsSpace, pixelsToImage     the image itself, downsampled
 *   bundled CNN     loadBundledNetwork                    MobileNetV2 from the nsfwjs package
 *   any tfjs model  loadFeatureSpace                      model.json + shards from disk
 *   training        featuresOfImages, loadImage           many stimuli → feature matrices
 */
export type { FeatureLayer, FeatureSpace } from './types.js';
export { featureLayer } from './types.js';
export { createPixelsSpace, pixelsToImage, PIXELS_LAYER, type PixelColor, type PixelsOptions, type PixelsToImageOptions } from './pixels.js';
export { loadBundledNetwork, BUNDLED_NETWORKS, type BundledNetworkName, type BundledNetworkOptions } from './bundled.js';
export { loadFeatureSpace, type LoadFeatureSpaceOptions } from './load.js';
export { createLayersSpace, type NetworkSpaceOptions } from './layers-space.js';
export { createGraphSpace } from './graph-space.js';
export { fileModelHandler } from './model-files.js';
export { nsfwjsArtifacts, type NsfwjsModelName } from './nsfwjs-bundle.js';
export { featuresOfImages, type FeaturesOfImagesOptions, type ImageInput } from './features.js';
export { loadImage, decodeImage, type LoadImageOptions } from './image.js';
export { affineOf, preprocessor, type Preprocessing, type PreprocessingName, type AffinePreprocessing } from './preprocess.js';
export { areaFootprints, areaMatrix, resizeArea } from './area.js';
