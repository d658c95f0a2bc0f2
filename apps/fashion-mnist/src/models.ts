import { Input, Model, layers, nn, type FunctionalModel, type Tensor } from '@nn/core';

/** The shipped configuration (z-scored inputs, two hidden layers, BN, dropout). */
export interface ModelConfig {
  hidden: [number, number];
  dropout: number;
}

export const DEFAULT_CONFIG: ModelConfig = { hidden: [512, 256], dropout: 0.2 };

/**
 * `--augment`: a random left–right flip and a shift of up to 10% (≈ 3 px) each way, the uncovered
 * border filled with `fill` (the z-scored value of a black pixel). Training only.
 */
export interface AugmentConfig {
  fill: number;
}

/** Keras style: functional API (with `augment`, Keras augmentation layers in front, active only in training). */
export function kerasModel(cfg: ModelConfig = DEFAULT_CONFIG, augment?: AugmentConfig): FunctionalModel {
  const inputs = Input({ shape: [784], name: 'pixels' });
  let x = inputs;
  if (augment) {
    x = layers.Reshape([28, 28, 1], { name: 'to_image' })(x);
    x = layers.RandomFlip({ mode: 'horizontal', seed: 11, name: 'random_flip' })(x);
    x = layers.RandomTranslation(0.1, 0.1, { fillMode: 'constant', fillValue: augment.fill, seed: 12, name: 'random_translation' })(x);
    x = layers.Flatten({ name: 'to_pixels' })(x);
  }
  let h = layers.Dense(cfg.hidden[0], { activation: 'relu', name: 'dense_1' })(x);
  h = layers.BatchNormalization({ name: 'batch_norm' })(h);
  h = layers.Dropout(cfg.dropout, { name: 'dropout_1' })(h);
  h = layers.Dense(cfg.hidden[1], { activation: 'relu', name: 'dense_2' })(h);
  h = layers.Dropout(cfg.dropout, { name: 'dropout_2' })(h);
  const outputs = layers.Dense(10, { name: 'logits' })(h);
  return Model({ inputs, outputs, name: 'fmnist_mlp' });
}

/** The same network PyTorch style. */
export class TorchMlp extends nn.Module {
  fc1: nn.Linear;
  bn: nn.BatchNorm1d;
  drop1: nn.Dropout;
  fc2: nn.Linear;
  drop2: nn.Dropout;
  fc3: nn.Linear;
  constructor(cfg: ModelConfig = DEFAULT_CONFIG) {
    super();
    this.fc1 = new nn.Linear(784, cfg.hidden[0]);
    this.bn = new nn.BatchNorm1d(cfg.hidden[0]);
    this.drop1 = new nn.Dropout(cfg.dropout);
    this.fc2 = new nn.Linear(cfg.hidden[0], cfg.hidden[1]);
    this.drop2 = new nn.Dropout(cfg.dropout);
    this.fc3 = new nn.Linear(cfg.hidden[1], 10);
  }
  override forward(x: Tensor): Tensor {
    const h = this.drop1(this.bn(this.fc1(x).relu()));
    return this.fc3(this.drop2(this.fc2(h).relu()));
  }
}
