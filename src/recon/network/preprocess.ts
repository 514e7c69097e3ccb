/**
 * The input scaling a pretrained network was trained with, applied inside `forward` so that every
 * feature space takes the same image: RGB in [0, 1]. Getting this wrong does not fail loudly — the
 * network still runs — it only makes the features worse, so each network states its own.
 */
import type * as TF from '@tensorflow/tfjs';

export type PreprocessingName =
  /** RGB in [0, 1] unchanged (the nsfwjs networks, which divide 8-bit values by 255). */
  | 'unit'
  /** RGB in [-1, 1]: Keras MobileNet, MobileNetV2, Inception, Xception `preprocess_input`. */
  | 'symmetric'
  /** BGR, 0–255, ImageNet mean subtracted: Keras VGG16, VGG19, ResNet50 (Caffe-trained weights). */
  | 'caffe'
  /** RGB, ImageNet mean and standard deviation: PyTorch/torchvision weights, Keras DenseNet. */
  | 'torch';

/** Per-channel `x · scale + offset` (on [0, 1] RGB), then optionally RGB → BGR. */
export interface AffinePreprocessing {
  readonly scale: number | readonly [number, number, number];
  readonly offset: number | readonly [number, number, number];
  readonly bgr?: boolean;
}

export type Preprocessing = PreprocessingName | AffinePreprocessing;

const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
const IMAGENET_STD = [0.229, 0.224, 0.225] as const;
// Caffe means are given in BGR order on 0–255 values; listed here in RGB order.
const CAFFE_MEAN_RGB = [123.68, 116.779, 103.939] as const;

export function affineOf(preprocessing: Preprocessing): AffinePreprocessing {
  if (typeof preprocessing !== 'string') return preprocessing;
  switch (preprocessing) {
    case 'unit':
      return { scale: 1, offset: 0 };
    case 'symmetric':
      return { scale: 2, offset: -1 };
    case 'caffe':
      return { scale: 255, offset: [-CAFFE_MEAN_RGB[0], -CAFFE_MEAN_RGB[1], -CAFFE_MEAN_RGB[2]], bgr: true };
    case 'torch':
      return {
        scale: [1 / IMAGENET_STD[0], 1 / IMAGENET_STD[1], 1 / IMAGENET_STD[2]],
        offset: [-IMAGENET_MEAN[0] / IMAGENET_STD[0], -IMAGENET_MEAN[1] / IMAGENET_STD[1], -IMAGENET_MEAN[2] / IMAGENET_STD[2]],
      };
  }
}

const isIdentity = (p: AffinePreprocessing): boolean => p.scale === 1 && p.offset === 0 && !p.bgr;

/** Returns a differentiable function [N,H,W,3] → preprocessed [N,H,W,3]. */
export function preprocessor(tf: typeof TF, preprocessing: Preprocessing): (image: TF.Tensor4D) => TF.Tensor4D {
  const affine = affineOf(preprocessing);
  if (isIdentity(affine)) return (image) => image;
  const asTensor = (v: number | readonly number[]): TF.Tensor => (typeof v === 'number' ? tf.scalar(v) : tf.tensor1d([...v]));
  return (image) =>
    tf.tidy(() => {
      const scaled = tf.add(tf.mul(image, asTensor(affine.scale)), asTensor(affine.offset)) as TF.Tensor4D;
      return affine.bgr ? tf.reverse(scaled, -1) : scaled;
    });
}
