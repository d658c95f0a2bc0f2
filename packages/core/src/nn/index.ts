import { Activation, ELU, GELU, Identity, KerasLeakyReLU, LeakyReLU, LogSoftmax, ReLU, SELU, Sigmoid, Softmax, Softplus, Tanh, type ActivationSpec } from './layers/activations';
import { Conv2D, Conv2d, type Conv2DArgs } from './layers/conv';
import { Dense, Linear, type DenseArgs } from './layers/dense';
import { Dropout, TorchDropout } from './layers/dropout';
import { Embedding, TorchEmbedding } from './layers/embedding';
import {
  BatchNorm1d, BatchNorm2d, BatchNormalization, LayerNorm, LayerNormalization, Normalization, type BatchNormalizationArgs, type NormalizationArgs,
} from './layers/normalization';
import { AdaptiveAvgPool2d, AveragePooling2D, AvgPool2d, GlobalAveragePooling2D, MaxPool2d, MaxPooling2D, type Pooling2DArgs } from './layers/pooling';
import { Add, Concatenate, Flatten, Reshape, TorchFlatten } from './layers/reshaping';
import {
  GaussianNoise, RandomContrast, RandomFlip, RandomRotation, RandomTranslation, RandomZoom,
  type AugmentArgs, type RandomContrastArgs, type RandomFlipArgs, type ResampleArgs,
} from './layers/preprocessing';
import type { LayerArgs } from './layer';

/**
 * The Keras door: layer factories under their Keras names, with Keras defaults. Each returns a
 * callable layer: `layers.Dense(64, { activation: 'relu' })(inputs)`.
 */
export const layers = {
  Dense: (units: number, args?: DenseArgs) => new Dense(units, args),
  Activation: (activation: ActivationSpec, args?: LayerArgs) => new Activation(activation, args),
  Dropout: (rate: number, args?: LayerArgs & { seed?: number }) => new Dropout(rate, args),
  BatchNormalization: (args?: BatchNormalizationArgs) => new BatchNormalization(args),
  LayerNormalization: (args?: LayerArgs & { axis?: number; epsilon?: number; center?: boolean; scale?: boolean }) => new LayerNormalization(args),
  Normalization: (args?: NormalizationArgs) => new Normalization(args),
  Flatten: (args?: LayerArgs) => new Flatten(args),
  Reshape: (targetShape: readonly number[], args?: LayerArgs) => new Reshape(targetShape, args),
  Concatenate: (args?: LayerArgs & { axis?: number }) => new Concatenate(args),
  Add: (args?: LayerArgs) => new Add(args),
  Conv2D: (filters: number, kernelSize: number | readonly [number, number], args?: Conv2DArgs) => new Conv2D(filters, kernelSize, args),
  MaxPooling2D: (args?: Pooling2DArgs) => new MaxPooling2D(args),
  AveragePooling2D: (args?: Pooling2DArgs) => new AveragePooling2D(args),
  GlobalAveragePooling2D: (args?: LayerArgs) => new GlobalAveragePooling2D(args),
  Embedding: (inputDim: number, outputDim: number, args?: LayerArgs) => new Embedding(inputDim, outputDim, args),
  /** Keras `LeakyReLU` layer (negative_slope 0.3 by default in Keras). */
  LeakyReLU: (args: LayerArgs & { negativeSlope?: number } = {}) => new KerasLeakyReLU(args),
  ReLU: (args?: LayerArgs) => new Activation('relu', args),
  Softmax: (args?: LayerArgs) => new Activation('softmax', args),
  // Image augmentation (Keras preprocessing layers): active only in training, seeded.
  RandomFlip: (args?: RandomFlipArgs) => new RandomFlip(args),
  RandomTranslation: (heightFactor: number | readonly [number, number], widthFactor: number | readonly [number, number], args?: ResampleArgs) => new RandomTranslation(heightFactor, widthFactor, args),
  RandomRotation: (factor: number | readonly [number, number], args?: ResampleArgs) => new RandomRotation(factor, args),
  RandomZoom: (heightFactor: number | readonly [number, number], widthFactor?: number | readonly [number, number] | null, args?: ResampleArgs) => new RandomZoom(heightFactor, widthFactor ?? null, args),
  RandomContrast: (factor: number | readonly [number, number], args?: RandomContrastArgs) => new RandomContrast(factor, args),
  GaussianNoise: (stddev: number, args?: AugmentArgs) => new GaussianNoise(stddev, args),
};

export {
  Activation, Conv2D, Conv2d, Dense, Linear, Dropout, TorchDropout, Embedding, TorchEmbedding, BatchNorm1d, BatchNorm2d,
  BatchNormalization, LayerNorm, LayerNormalization, Normalization, AdaptiveAvgPool2d, AveragePooling2D, AvgPool2d,
  GlobalAveragePooling2D, MaxPool2d, MaxPooling2D, Add, Concatenate, Flatten, Reshape, TorchFlatten,
  ReLU, Sigmoid, Tanh, SELU, Softplus, Identity, LeakyReLU, ELU, GELU, Softmax, LogSoftmax, KerasLeakyReLU,
  RandomFlip, RandomTranslation, RandomRotation, RandomZoom, RandomContrast, GaussianNoise,
};
