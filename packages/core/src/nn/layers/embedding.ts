import type { Shape } from '../../dtype';
import { ValueError } from '../../errors';
import * as o from '../../ops';
import type { Tensor } from '../../tensor';
import { normal_ } from '../init';
import type { InitializerSpec } from '../initializers';
import { initConfig, regConfig, reviveArgs, type Config } from '../config';
import { Layer, type LayerArgs } from '../layer';
import { Module, Parameter } from '../module';
import type { Regularizer } from '../regularizers';
import { engine, noGrad } from '../../engine';

function lookup(table: Tensor, ids: Tensor, who: string): Tensor {
  const idx = ids.dtype === 'int32' ? ids : ids.cast('int32');
  const n = table.shape[0]!;
  const v = engine.tracing ? [] : idx.dataSync();
  for (let i = 0; i < v.length; i++) {
    if (v[i]! < 0 || v[i]! >= n) throw new ValueError(`${who}: index ${v[i]} out of range [0, ${n}) at position ${i}.`, who);
  }
  return o.gather(table, idx, 0);
}

/** Keras `Embedding(inputDim, outputDim)`: embeddings U(±0.05). */
export class Embedding extends Layer {
  /** The registered (saved) class name, explicit so bundlers that rename classes cannot change it. */
  static override className = 'Embedding';
  embeddings!: Parameter;
  constructor(readonly inputDim: number, readonly outputDim: number, readonly args: LayerArgs & { embeddingsInitializer?: InitializerSpec; embeddingsRegularizer?: Regularizer } = {}) {
    super(args);
  }
  override build(_shape: Shape): void {
    this.embeddings = this.addWeight({ name: 'embeddings', shape: [this.inputDim, this.outputDim], initializer: this.args.embeddingsInitializer ?? 'randomUniform', ...(this.args.embeddingsRegularizer ? { regularizer: this.args.embeddingsRegularizer } : {}) });
  }
  override call(ids: Tensor): Tensor {
    return lookup(this.embeddings, ids, this.describe());
  }
  override getConfig(): Config {
    const w = this.describe();
    return {
      ...super.getConfig(), inputDim: this.inputDim, outputDim: this.outputDim,
      embeddingsInitializer: initConfig(this.args.embeddingsInitializer ?? 'randomUniform', w), embeddingsRegularizer: regConfig(this.args.embeddingsRegularizer, w),
    };
  }
  static override fromConfig(config: Config): Embedding {
    const { inputDim, outputDim, ...rest } = reviveArgs(config);
    return new Embedding(inputDim as number, outputDim as number, rest);
  }
}

/** PyTorch `nn.Embedding(numEmbeddings, embeddingDim)`: weight N(0, 1). */
export class TorchEmbedding extends Module {
  /** Shown in summaries: the PyTorch name. */
  static className = 'Embedding';
  weight: Parameter;
  constructor(readonly numEmbeddings: number, readonly embeddingDim: number) {
    super();
    this.weight = new Parameter(o.zeros([numEmbeddings, embeddingDim]));
    noGrad(() => normal_(this.weight));
  }
  override forward(ids: Tensor): Tensor {
    return lookup(this.weight, ids, 'nn.Embedding');
  }
}
