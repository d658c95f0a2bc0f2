import type { Shape } from '../../dtype';
import * as o from '../../ops';
import type { Tensor } from '../../tensor';
import { inputError, Layer, type LayerArgs } from '../layer';
import type { Config } from '../config';
import { Module } from '../module';

type Pair = number | readonly [number, number];
const pair = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);

/** Options of the Keras pooling layers. */
export interface Pooling2DArgs extends LayerArgs {
  /** @default 2 */ poolSize?: Pair;
  /** @default poolSize */ strides?: Pair;
  /** @default 'valid' */ padding?: 'valid' | 'same';
  /** @default 'channelsLast' */ dataFormat?: 'channelsLast' | 'channelsFirst';
}

abstract class KerasPool extends Layer {
  constructor(readonly args: Pooling2DArgs = {}) {
    super(args);
  }
  override checkInput(shape: Shape): void {
    if (shape.length !== 4) throw inputError(this, 'a rank-4 input', shape);
  }
  protected opts() {
    const k = pair(this.args.poolSize ?? 2);
    return { kernelSize: k, strides: pair(this.args.strides ?? k), padding: this.args.padding ?? 'valid', dataFormat: this.args.dataFormat === 'channelsFirst' ? ('NCHW' as const) : ('NHWC' as const) };
  }
  override getConfig(): Config {
    const k = pair(this.args.poolSize ?? 2);
    return { ...super.getConfig(), poolSize: k, strides: pair(this.args.strides ?? k), padding: this.args.padding ?? 'valid', dataFormat: this.args.dataFormat ?? 'channelsLast' };
  }
}

/** Keras `MaxPooling2D`. */
export class MaxPooling2D extends KerasPool {
  /** The registered (saved) class name, explicit so bundlers that rename classes cannot change it. */
  static override className = 'MaxPooling2D';
  override call(x: Tensor): Tensor {
    return o.maxPool2d(x, this.opts());
  }
}
/** Keras `AveragePooling2D` ('same' padding excludes the padded cells, as Keras). */
export class AveragePooling2D extends KerasPool {
  /** The registered (saved) class name, explicit so bundlers that rename classes cannot change it. */
  static override className = 'AveragePooling2D';
  override call(x: Tensor): Tensor {
    return o.avgPool2d(x, { ...this.opts(), countIncludePad: false });
  }
}
/** Keras `GlobalAveragePooling2D`: mean over height and width. */
export class GlobalAveragePooling2D extends Layer {
  /** The registered (saved) class name, explicit so bundlers that rename classes cannot change it. */
  static override className = 'GlobalAveragePooling2D';
  constructor(readonly args: LayerArgs & { dataFormat?: 'channelsLast' | 'channelsFirst' } = {}) {
    super(args);
  }
  override checkInput(shape: Shape): void {
    if (shape.length !== 4) throw inputError(this, 'a rank-4 input', shape);
  }
  override call(x: Tensor): Tensor {
    return o.globalAvgPool2d(x, this.args.dataFormat === 'channelsFirst' ? 'NCHW' : 'NHWC');
  }
  override getConfig(): Config {
    return { ...super.getConfig(), dataFormat: this.args.dataFormat ?? 'channelsLast' };
  }
}

/** Options of the PyTorch pooling modules. */
export interface Pool2dOptions {
  /** @default kernelSize */ stride?: Pair;
  /** Zero (avg) or −∞ (max) padding on each side. @default 0 */ padding?: Pair;
  /** Average pooling: count padded zeros in the divisor. @default true */ countIncludePad?: boolean;
}

/** PyTorch `nn.MaxPool2d(kernelSize)` on NCHW input. */
export class MaxPool2d extends Module {
  constructor(readonly kernelSize: Pair, readonly opts: Pool2dOptions = {}) {
    super();
  }
  override forward(x: Tensor): Tensor {
    const [ph, pw] = pair(this.opts.padding ?? 0);
    return o.maxPool2d(x, { kernelSize: pair(this.kernelSize), strides: pair(this.opts.stride ?? this.kernelSize), padding: [ph, ph, pw, pw], dataFormat: 'NCHW' });
  }
}
/** PyTorch `nn.AvgPool2d(kernelSize)` on NCHW input (count_include_pad true by default). */
export class AvgPool2d extends Module {
  constructor(readonly kernelSize: Pair, readonly opts: Pool2dOptions = {}) {
    super();
  }
  override forward(x: Tensor): Tensor {
    const [ph, pw] = pair(this.opts.padding ?? 0);
    return o.avgPool2d(x, { kernelSize: pair(this.kernelSize), strides: pair(this.opts.stride ?? this.kernelSize), padding: [ph, ph, pw, pw], dataFormat: 'NCHW', countIncludePad: this.opts.countIncludePad ?? true });
  }
}
/** PyTorch `nn.AdaptiveAvgPool2d(1)` (output size 1 only): mean over H and W, keeping (N, C, 1, 1). */
export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: 1 | readonly [1, 1] = 1) {
    super();
  }
  override forward(x: Tensor): Tensor {
    return x.mean([2, 3], true);
  }
}
