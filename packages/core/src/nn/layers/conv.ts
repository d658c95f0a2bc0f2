import type { Shape } from '../../dtype';
import { noGrad } from '../../engine';
import { ValueError } from '../../errors';
import * as o from '../../ops';
import type { Tensor } from '../../tensor';
import { kaimingUniform_, uniform_ } from '../init';
import { computeFans, type InitializerSpec } from '../initializers';
import { initConfig, regConfig, reviveArgs, serializeActivation, type Config } from '../config';
import { inputError, Layer, type LayerArgs } from '../layer';
import { Module, Parameter } from '../module';
import type { Regularizer } from '../regularizers';
import { getActivation, type ActivationSpec } from './activations';

type Pair = number | readonly [number, number];
const pair = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);

/** Options of Keras {@link Conv2D}. */
export interface Conv2DArgs extends LayerArgs {
  /** @default 1 */ strides?: Pair;
  /** @default 'valid' */ padding?: 'valid' | 'same';
  /** @default 1 */ dilationRate?: Pair;
  /** @default 'channelsLast' */ dataFormat?: 'channelsLast' | 'channelsFirst';
  activation?: ActivationSpec;
  /** @default true */ useBias?: boolean;
  /** @default 'glorotUniform' */ kernelInitializer?: InitializerSpec;
  /** @default 'zeros' */ biasInitializer?: InitializerSpec;
  kernelRegularizer?: Regularizer;
  biasRegularizer?: Regularizer;
}

/** Keras `Conv2D(filters, kernelSize)`: NHWC input, HWIO kernel, glorot_uniform. */
export class Conv2D extends Layer {
  /** The registered (saved) class name, explicit so bundlers that rename classes cannot change it. */
  static override className = 'Conv2D';
  kernel!: Parameter;
  bias?: Parameter;
  readonly act: (x: Tensor) => Tensor;
  constructor(readonly filters: number, readonly kernelSize: Pair, readonly args: Conv2DArgs = {}) {
    super(args);
    if (!Number.isInteger(filters) || filters <= 0) throw new ValueError(`Conv2D: filters must be a positive integer, got ${filters}.`, this.name);
    this.act = getActivation(args.activation);
  }
  private get nchw() {
    return this.args.dataFormat === 'channelsFirst';
  }
  override build(shape: Shape): void {
    if (shape.length !== 4) throw inputError(this, 'a rank-4 input (batch, height, width, channels)', shape);
    const c = this.nchw ? shape[1]! : shape[3]!;
    const [kh, kw] = pair(this.kernelSize);
    this.kernel = this.addWeight({ name: 'kernel', shape: [kh, kw, c, this.filters], initializer: this.args.kernelInitializer ?? 'glorotUniform', ...(this.args.kernelRegularizer ? { regularizer: this.args.kernelRegularizer } : {}) });
    if (this.args.useBias !== false) this.bias = this.addWeight({ name: 'bias', shape: [this.filters], initializer: this.args.biasInitializer ?? 'zeros', ...(this.args.biasRegularizer ? { regularizer: this.args.biasRegularizer } : {}) });
  }
  override checkInput(shape: Shape): void {
    const c = this.kernel.shape[2]!;
    if (shape.length !== 4) throw inputError(this, `a rank-4 input with ${c} channels`, shape);
    if ((this.nchw ? shape[1] : shape[3]) !== c) throw inputError(this, `${c} input channels on axis ${this.nchw ? 1 : 3}`, shape);
  }
  override call(x: Tensor): Tensor {
    const fmt = this.nchw ? 'NCHW' : 'NHWC';
    const w = this.nchw ? this.kernel.transpose([3, 2, 0, 1]) : this.kernel;
    let y = o.conv2d(x, w, { strides: pair(this.args.strides ?? 1), padding: this.args.padding ?? 'valid', dilations: pair(this.args.dilationRate ?? 1), dataFormat: fmt });
    if (this.bias) y = y.add(this.nchw ? this.bias.reshape([this.filters, 1, 1]) : this.bias);
    return this.act(y);
  }
  override getConfig(): Config {
    const w = this.describe(), a = this.args;
    return {
      ...super.getConfig(), filters: this.filters, kernelSize: pair(this.kernelSize), strides: pair(a.strides ?? 1), padding: a.padding ?? 'valid',
      dilationRate: pair(a.dilationRate ?? 1), dataFormat: a.dataFormat ?? 'channelsLast', activation: serializeActivation(a.activation, w), useBias: a.useBias !== false,
      kernelInitializer: initConfig(a.kernelInitializer ?? 'glorotUniform', w), biasInitializer: initConfig(a.biasInitializer ?? 'zeros', w),
      kernelRegularizer: regConfig(a.kernelRegularizer, w), biasRegularizer: regConfig(a.biasRegularizer, w),
    };
  }
  static override fromConfig(config: Config): Conv2D {
    const { filters, kernelSize, ...rest } = reviveArgs(config);
    return new Conv2D(filters as number, kernelSize as [number, number], rest);
  }
}

/** Options of PyTorch {@link Conv2d}. */
export interface Conv2dOptions {
  /** @default 1 */ stride?: Pair;
  /** A number (both sides), a pair, 'valid' or 'same'. @default 0 */ padding?: Pair | 'valid' | 'same';
  /** @default 1 */ dilation?: Pair;
  /** @default true */ bias?: boolean;
}

/**
 * PyTorch `nn.Conv2d(inChannels, outChannels, kernelSize)`: NCHW input, OIHW weight, initialised
 * with kaiming_uniform(a = √5) and a U(±1/√fanIn) bias (torch/nn/modules/conv.py reset_parameters).
 */
export class Conv2d extends Module {
  weight: Parameter;
  bias: Parameter | null;
  constructor(readonly inChannels: number, readonly outChannels: number, readonly kernelSize: Pair, readonly opts: Conv2dOptions = {}) {
    super();
    const [kh, kw] = pair(kernelSize);
    this.weight = new Parameter(o.zeros([outChannels, inChannels, kh, kw]));
    this.bias = opts.bias === false ? null : new Parameter(o.zeros([outChannels]));
    this.resetParameters();
  }
  resetParameters(): void {
    noGrad(() => {
      kaimingUniform_(this.weight, { a: Math.sqrt(5) });
      if (this.bias) {
        const { fanIn } = computeFans(this.weight.shape, 'torch');
        const b = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
        uniform_(this.bias, -b, b);
      }
    });
  }
  override forward(x: Tensor): Tensor {
    if (x.rank !== 4 || x.shape[1] !== this.inChannels) {
      throw new ValueError(`nn.Conv2d(${this.inChannels}, ${this.outChannels}) expected input (N, ${this.inChannels}, H, W), got input [${x.shape.join(', ')}].`, 'nn.Conv2d');
    }
    const p = this.opts.padding ?? 0;
    const padding = typeof p === 'string' ? p : typeof p === 'number' ? p : ([p[0], p[0], p[1], p[1]] as const);
    const y = o.conv2d(x, this.weight, { strides: pair(this.opts.stride ?? 1), padding, dilations: pair(this.opts.dilation ?? 1), dataFormat: 'NCHW' });
    return this.bias ? y.add(this.bias.reshape([this.outChannels, 1, 1])) : y;
  }
}
