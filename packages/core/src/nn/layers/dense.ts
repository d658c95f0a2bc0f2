import type { Shape } from '../../dtype';
import { noGrad } from '../../engine';
import { ValueError } from '../../errors';
import * as o from '../../ops';
import type { Tensor } from '../../tensor';
import { kaimingUniform_, uniform_ } from '../init';
import type { InitializerSpec } from '../initializers';
import { initConfig, regConfig, reviveArgs, serializeActivation, type Config } from '../config';
import { inputError, Layer, type LayerArgs } from '../layer';
import { Module, Parameter } from '../module';
import type { Regularizer } from '../regularizers';
import { getActivation, type ActivationSpec } from './activations';

/** Options of the Keras {@link Dense} layer. */
export interface DenseArgs extends LayerArgs {
  /** @default null (linear) */ activation?: ActivationSpec;
  /** @default true */ useBias?: boolean;
  /** @default 'glorotUniform' */ kernelInitializer?: InitializerSpec;
  /** @default 'zeros' */ biasInitializer?: InitializerSpec;
  kernelRegularizer?: Regularizer;
  biasRegularizer?: Regularizer;
  /** Input size, so the layer can build without seeing data (Keras `input_dim`). */
  inputDim?: number;
}

/**
 * Keras `Dense`: `activation(x · kernel + bias)` with kernel `(in, units)` applied to the last axis.
 * Defaults follow Keras: glorot_uniform kernel, zero bias.
 */
export class Dense extends Layer {
  /** The registered (saved) class name, explicit so bundlers that rename classes cannot change it. */
  static override className = 'Dense';
  kernel!: Parameter;
  bias?: Parameter;
  readonly act: (x: Tensor) => Tensor;
  constructor(readonly units: number, readonly args: DenseArgs = {}) {
    super({ ...args, ...(args.inputDim && !args.inputShape ? { inputShape: [args.inputDim] } : {}) });
    if (!Number.isInteger(units) || units <= 0) throw new ValueError(`Dense: units must be a positive integer, got ${units}.`, this.name);
    this.act = getActivation(args.activation);
    if (args.inputDim) {
      this.build([1, args.inputDim]);
      this.built = true;
    }
  }
  override build(inputShape: Shape): void {
    const inDim = inputShape[inputShape.length - 1];
    if (!inDim) throw inputError(this, 'an input of rank ≥ 2 with a known last axis', inputShape);
    this.kernel = this.addWeight({ name: 'kernel', shape: [inDim, this.units], initializer: this.args.kernelInitializer ?? 'glorotUniform', ...(this.args.kernelRegularizer ? { regularizer: this.args.kernelRegularizer } : {}) });
    if (this.args.useBias !== false) {
      this.bias = this.addWeight({ name: 'bias', shape: [this.units], initializer: this.args.biasInitializer ?? 'zeros', ...(this.args.biasRegularizer ? { regularizer: this.args.biasRegularizer } : {}) });
    }
  }
  override checkInput(shape: Shape): void {
    const want = this.kernel.shape[0]!;
    if (shape.length < 2) throw inputError(this, `an input of rank ≥ 2 ([batch, ${want}])`, shape);
    if (shape[shape.length - 1] !== want) {
      throw inputError(this, `last axis ${want}`, shape, shape.length > 2 ? 'Add Flatten() before it.' : undefined);
    }
  }
  override call(x: Tensor): Tensor {
    let y = o.linear(x, this.kernel);
    if (this.bias) y = y.add(this.bias);
    return this.act(y);
  }
  override getConfig(): Config {
    const w = this.describe();
    return {
      ...super.getConfig(), units: this.units, activation: serializeActivation(this.args.activation, w), useBias: this.args.useBias !== false,
      kernelInitializer: initConfig(this.args.kernelInitializer ?? 'glorotUniform', w), biasInitializer: initConfig(this.args.biasInitializer ?? 'zeros', w),
      kernelRegularizer: regConfig(this.args.kernelRegularizer, w), biasRegularizer: regConfig(this.args.biasRegularizer, w),
    };
  }
  static override fromConfig(config: Config): Dense {
    const { units, ...rest } = reviveArgs(config);
    return new Dense(units as number, rest);
  }
}

/**
 * PyTorch `nn.Linear(inFeatures, outFeatures)`: `x · Wᵀ + b` with weight `(out, in)`. Initialised as
 * PyTorch does: kaiming_uniform(a = √5) for the weight — i.e. U(±1/√in) — and U(±1/√in) for the bias
 * (see torch/nn/modules/linear.py, reset_parameters).
 */
export class Linear extends Module {
  weight: Parameter;
  bias: Parameter | null;
  constructor(readonly inFeatures: number, readonly outFeatures: number, opts: { bias?: boolean } = {}) {
    super();
    for (const [k, v] of [['inFeatures', inFeatures], ['outFeatures', outFeatures]] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new ValueError(`nn.Linear: ${k} must be a positive integer, got ${v}.`, 'nn.Linear');
    }
    this.weight = new Parameter(o.zeros([outFeatures, inFeatures]));
    this.bias = opts.bias === false ? null : new Parameter(o.zeros([outFeatures]));
    this.resetParameters();
  }
  resetParameters(): void {
    noGrad(() => {
      kaimingUniform_(this.weight, { a: Math.sqrt(5) });
      if (this.bias) {
        const bound = 1 / Math.sqrt(this.inFeatures);
        uniform_(this.bias, -bound, bound);
      }
    });
  }
  override forward(x: Tensor): Tensor {
    if (x.shape[x.rank - 1] !== this.inFeatures) {
      throw new ValueError(`nn.Linear(${this.inFeatures}, ${this.outFeatures}) expected last axis ${this.inFeatures}, got input [${x.shape.join(', ')}].`, 'nn.Linear');
    }
    const y = o.linear(x, this.weight, true);
    return this.bias ? y.add(this.bias) : y;
  }
}
