import { ValueError } from '../../errors';
import * as o from '../../ops';
import { defaultGenerator, Generator } from '../../random';
import type { Tensor } from '../../tensor';
import { Layer, type LayerArgs } from '../layer';
import { reviveArgs, type Config } from '../config';
import type { CallOptions } from '../module';
import { Module } from '../module';

/**
 * Keras `Dropout(rate)`: in training, zero each unit with probability `rate` and scale the kept
 * ones by 1/(1 − rate) (inverted dropout); identity in inference.
 */
export class Dropout extends Layer {
  /** The registered (saved) class name, explicit so bundlers that rename classes cannot change it. */
  static override className = 'Dropout';
  readonly generator: Generator;
  /** The seed given at construction, if any. */
  readonly seed?: number;
  constructor(readonly rate: number, args: LayerArgs & { seed?: number } = {}) {
    super(args);
    if (args.seed !== undefined) this.seed = args.seed;
    if (!(rate >= 0 && rate < 1)) throw new ValueError(`Dropout: rate must be in [0, 1), got ${rate}.`, this.name);
    this.generator = args.seed === undefined ? defaultGenerator : new Generator(args.seed);
  }
  override call(x: Tensor, opts: CallOptions = {}): Tensor {
    return o.dropout(x, this.rate, opts.training ?? this.training, this.generator);
  }
  override getConfig(): Config {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed ?? null };
  }
  static override fromConfig(config: Config): Dropout {
    const { rate, ...rest } = reviveArgs(config);
    return new Dropout(rate as number, rest);
  }
}

/** PyTorch `nn.Dropout(p = 0.5)`: the same inverted dropout, active in `train()` mode. */
export class TorchDropout extends Module {
  /** Shown in summaries: the PyTorch name. */
  static className = 'Dropout';
  readonly generator: Generator;
  constructor(readonly p = 0.5, opts: { seed?: number } = {}) {
    super();
    if (!(p >= 0 && p < 1)) throw new ValueError(`nn.Dropout: p must be in [0, 1), got ${p}.`, 'nn.Dropout');
    this.generator = opts.seed === undefined ? defaultGenerator : new Generator(opts.seed);
  }
  override forward(x: Tensor): Tensor {
    return o.dropout(x, this.p, this.training, this.generator);
  }
}
