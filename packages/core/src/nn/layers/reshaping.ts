import { fmtShape, type Shape } from '../../dtype';
import { ValueError } from '../../errors';
import * as o from '../../ops';
import type { Tensor } from '../../tensor';
import { inputError, Layer, type LayerArgs } from '../layer';
import { reviveArgs, type Config } from '../config';
import { Module } from '../module';

/** Keras `Flatten`: every axis but the batch axis into one. */
export class Flatten extends Layer {
  /** The registered (saved) class name, explicit so bundlers that rename classes cannot change it. */
  static override className = 'Flatten';
  override call(x: Tensor): Tensor {
    return x.rank <= 1 ? x.reshape([x.shape[0] ?? 1, 1]) : o.flatten(x, 1);
  }
}

/** PyTorch `nn.Flatten(startDim = 1, endDim = -1)`. */
export class TorchFlatten extends Module {
  /** Shown in summaries: the PyTorch name. */
  static className = 'Flatten';
  constructor(readonly startDim = 1, readonly endDim = -1) {
    super();
  }
  override forward(x: Tensor): Tensor {
    return o.flatten(x, this.startDim, this.endDim);
  }
}

/** Keras `Reshape(targetShape)`: the shape WITHOUT the batch axis (one entry may be -1). */
export class Reshape extends Layer {
  /** The registered (saved) class name, explicit so bundlers that rename classes cannot change it. */
  static override className = 'Reshape';
  constructor(readonly targetShape: readonly number[], args: LayerArgs = {}) {
    super(args);
    if (targetShape.filter((d) => d === -1).length > 1) throw new ValueError('Reshape: at most one -1 in targetShape.', this.name);
  }
  override checkInput(shape: Shape): void {
    const n = shape.slice(1).reduce((p, d) => p * d, 1);
    const known = this.targetShape.reduce((p, d) => (d === -1 ? p : p * d), 1);
    if (this.targetShape.includes(-1) ? n % known !== 0 : n !== known) {
      throw inputError(this, `${known} values per sample for target shape [${this.targetShape.join(', ')}]`, shape);
    }
  }
  override call(x: Tensor): Tensor {
    return x.reshape([x.shape[0]!, ...this.targetShape]);
  }
  override getConfig(): Config {
    return { ...super.getConfig(), targetShape: [...this.targetShape] };
  }
  static override fromConfig(config: Config): Reshape {
    const { targetShape, ...rest } = reviveArgs(config);
    return new Reshape(targetShape as number[], rest);
  }
}

/** Keras `Concatenate(axis = -1)`: joins a list of tensors. */
export class Concatenate extends Layer {
  /** The registered (saved) class name, explicit so bundlers that rename classes cannot change it. */
  static override className = 'Concatenate';
  constructor(readonly args: LayerArgs & { axis?: number } = {}) {
    super(args);
  }
  override call(xs: Tensor[]): Tensor {
    if (!Array.isArray(xs) || xs.length < 2) throw new ValueError(`${this.describe()}: expects a list of at least 2 tensors.`, this.name);
    const r = xs[0]!.rank, axis = this.args.axis ?? -1, ax = axis < 0 ? r + axis : axis;
    for (const t of xs.slice(1)) {
      if (t.rank !== r || t.shape.some((d, i) => i !== ax && d !== xs[0]!.shape[i])) {
        throw inputError(this, `inputs of one shape except on axis ${axis} (first input ${fmtShape(xs[0]!.shape)})`, t.shape);
      }
    }
    return o.concat(xs, axis);
  }
  override getConfig(): Config {
    return { ...super.getConfig(), axis: this.args.axis ?? -1 };
  }
}

/** Keras `Add`: sums a list of tensors of one shape (or shapes that broadcast). */
export class Add extends Layer {
  /** The registered (saved) class name, explicit so bundlers that rename classes cannot change it. */
  static override className = 'Add';
  override call(xs: Tensor[]): Tensor {
    if (!Array.isArray(xs) || xs.length < 2) throw new ValueError(`${this.describe()}: expects a list of at least 2 tensors.`, this.name);
    // Keras merge layers accept equal shapes and broadcasting (a size-1 axis).
    const fits = (a: Shape, b: Shape) => a.every((d, i) => { const e = b[b.length - a.length + i]; return e === undefined || d === e || d === 1 || e === 1; });
    for (const t of xs.slice(1)) {
      const a = xs[0]!.shape, b = t.shape;
      if (!(a.length >= b.length ? fits(b, a) : fits(a, b))) throw inputError(this, `inputs of the same (or a broadcastable) shape as the first, ${fmtShape(a)}`, b);
    }
    return xs.slice(1).reduce((acc, t) => acc.add(t), xs[0]!);
  }
}
