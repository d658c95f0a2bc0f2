import { ValueError } from '../../errors';
import * as o from '../../ops';
import type { Tensor } from '../../tensor';
import { Layer, type LayerArgs } from '../layer';
import { reviveArgs, serializeActivation, type Config } from '../config';
import { Module } from '../module';

/** Activation names accepted by Keras-style layers (camelCase or snake_case). */
export type ActivationName =
  | 'linear' | 'relu' | 'sigmoid' | 'tanh' | 'softmax' | 'logSoftmax' | 'log_softmax' | 'elu' | 'selu'
  | 'gelu' | 'softplus' | 'leakyRelu' | 'leaky_relu' | 'swish' | 'silu';
/** An activation: a name or a function. */
export type ActivationSpec = ActivationName | ((x: Tensor) => Tensor) | null | undefined;

const ACTS: Record<string, (x: Tensor) => Tensor> = {
  linear: (x) => x,
  relu: o.relu,
  sigmoid: o.sigmoid,
  tanh: o.tanh,
  softmax: (x) => o.softmax(x, -1),
  logSoftmax: (x) => o.logSoftmax(x, -1),
  elu: (x) => o.elu(x),
  selu: o.selu,
  gelu: (x) => o.gelu(x),
  softplus: o.softplus,
  leakyRelu: (x) => o.leakyRelu(x, 0.2), // Keras's activations.leaky_relu default negative_slope 0.2
  swish: (x) => o.mul(x, o.sigmoid(x)),
  silu: (x) => o.mul(x, o.sigmoid(x)),
};

/** Resolve an activation name or function. */
export function getActivation(a: ActivationSpec): (x: Tensor) => Tensor {
  if (!a) return ACTS.linear!;
  if (typeof a === 'function') return a;
  const key = a.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  const f = ACTS[key];
  if (!f) throw new ValueError(`Unknown activation "${a}". Known: ${Object.keys(ACTS).join(', ')}.`, 'activation');
  return f;
}

/** Applies an activation function (Keras `Activation`). */
export class Activation extends Layer {
  /** The registered (saved) class name, explicit so bundlers that rename classes cannot change it. */
  static override className = 'Activation';
  readonly fn: (x: Tensor) => Tensor;
  constructor(readonly activation: ActivationSpec, args: LayerArgs = {}) {
    super(args);
    this.fn = getActivation(activation);
  }
  override call(x: Tensor): Tensor {
    return this.fn(x);
  }
  override getConfig(): Config {
    return { ...super.getConfig(), activation: serializeActivation(this.activation, this.describe()) };
  }
  static override fromConfig(config: Config): Activation {
    const { activation, ...rest } = reviveArgs(config);
    return new Activation((activation ?? null) as ActivationName | null, rest);
  }
}

/**
 * Keras `LeakyReLU` layer: `x` for x > 0, `negativeSlope · x` otherwise.
 *
 * @param args.negativeSlope - @default 0.3 (Keras's layer default; the `leaky_relu` activation uses 0.2)
 * @example
 * ```ts
 * const y = layers.LeakyReLU({ negativeSlope: 0.1 })(x);
 * ```
 */
export class KerasLeakyReLU extends Layer {
  static override className = 'LeakyReLU';
  readonly negativeSlope: number;
  constructor(args: LayerArgs & { negativeSlope?: number } = {}) {
    super(args);
    this.negativeSlope = args.negativeSlope ?? 0.3;
    if (!(this.negativeSlope >= 0)) throw new ValueError(`LeakyReLU: negativeSlope must be ≥ 0, got ${this.negativeSlope}.`, this.name);
  }
  override call(x: Tensor): Tensor {
    return o.leakyRelu(x, this.negativeSlope);
  }
  override getConfig(): Config {
    return { ...super.getConfig(), negativeSlope: this.negativeSlope };
  }
}

/** Base for the parameter-free PyTorch activation modules. */
abstract class Elementwise extends Module {
  abstract fn(x: Tensor): Tensor;
  override forward(x: Tensor): Tensor {
    return this.fn(x);
  }
}
/** `nn.ReLU`. */
export class ReLU extends Elementwise { fn(x: Tensor) { return o.relu(x); } }
/** `nn.Sigmoid`. */
export class Sigmoid extends Elementwise { fn(x: Tensor) { return o.sigmoid(x); } }
/** `nn.Tanh`. */
export class Tanh extends Elementwise { fn(x: Tensor) { return o.tanh(x); } }
/** `nn.SELU`. */
export class SELU extends Elementwise { fn(x: Tensor) { return o.selu(x); } }
/** `nn.Softplus`. */
export class Softplus extends Elementwise { fn(x: Tensor) { return o.softplus(x); } }
/** `nn.Identity`. */
export class Identity extends Elementwise { fn(x: Tensor) { return x; } }
/** `nn.LeakyReLU(negativeSlope = 0.01)`. */
export class LeakyReLU extends Elementwise {
  constructor(readonly negativeSlope = 0.01) { super(); }
  fn(x: Tensor) { return o.leakyRelu(x, this.negativeSlope); }
}
/** `nn.ELU(alpha = 1)`. */
export class ELU extends Elementwise {
  constructor(readonly alpha = 1) { super(); }
  fn(x: Tensor) { return o.elu(x, this.alpha); }
}
/** `nn.GELU(approximate = 'none')`. */
export class GELU extends Elementwise {
  constructor(readonly approximate: 'none' | 'tanh' = 'none') { super(); }
  fn(x: Tensor) { return o.gelu(x, this.approximate); }
}
/** `nn.Softmax(dim)`. */
export class Softmax extends Elementwise {
  constructor(readonly dim = -1) { super(); }
  fn(x: Tensor) { return o.softmax(x, this.dim); }
}
/** `nn.LogSoftmax(dim)`. */
export class LogSoftmax extends Elementwise {
  constructor(readonly dim = -1) { super(); }
  fn(x: Tensor) { return o.logSoftmax(x, this.dim); }
}
