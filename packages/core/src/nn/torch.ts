/**
 * The PyTorch door, exported from @nn/core as the namespace `nn`: `nn.Module`, `nn.Parameter`,
 * modules under PyTorch names with PyTorch defaults, `nn.init` and `nn.functional`.
 */
import * as o from '../ops';
import type { Tensor } from '../tensor';
import * as L from '../losses/pytorch';
import { Module } from './module';

export { Module, Parameter, ModuleList, SequentialModule as Sequential, type ForwardHook } from './module';
export { Linear } from './layers/dense';
export { Conv2d } from './layers/conv';
export { MaxPool2d, AvgPool2d, AdaptiveAvgPool2d } from './layers/pooling';
export { BatchNorm1d, BatchNorm2d, LayerNorm } from './layers/normalization';
export { TorchDropout as Dropout } from './layers/dropout';
export { TorchFlatten as Flatten } from './layers/reshaping';
export { TorchEmbedding as Embedding } from './layers/embedding';
export { ReLU, Sigmoid, Tanh, SELU, Softplus, Identity, LeakyReLU, ELU, GELU, Softmax, LogSoftmax } from './layers/activations';
export { init } from './init';

/** `torch.nn.functional` equivalents (activations, dropout, conv, pooling; losses are in `losses`). */
export const functional = {
  relu: o.relu, leakyRelu: o.leakyRelu, elu: o.elu, selu: o.selu, gelu: o.gelu, sigmoid: o.sigmoid, tanh: o.tanh, softplus: o.softplus,
  softmax: o.softmax, logSoftmax: o.logSoftmax, dropout: o.dropout, conv2d: o.conv2d, maxPool2d: o.maxPool2d, avgPool2d: o.avgPool2d,
  oneHot: o.oneHot, pad: o.pad,
  crossEntropy: L.crossEntropy, nllLoss: L.nllLoss, mseLoss: L.mseLoss, l1Loss: L.l1Loss, huberLoss: L.huberLoss,
  binaryCrossEntropy: L.binaryCrossEntropy, binaryCrossEntropyWithLogits: L.binaryCrossEntropyWithLogits,
  cross_entropy: L.crossEntropy, nll_loss: L.nllLoss, mse_loss: L.mseLoss, l1_loss: L.l1Loss,
  /** `F.linear(x, weight, bias)` with weight (out, in). */
  linear: (x: Tensor, weight: Tensor, bias?: Tensor): Tensor => {
    const y = o.linear(x, weight, true);
    return bias ? y.add(bias) : y;
  },
};

/** Base of the loss modules: `criterion(input, target)`. */
abstract class LossModule<O> extends Module {
  constructor(readonly options: O = {} as O) {
    super();
  }
}
/** `nn.CrossEntropyLoss`: logits and class indices (or probabilities). */
export class CrossEntropyLoss extends LossModule<L.CrossEntropyOptions> {
  override forward(input: Tensor, target: Tensor): Tensor { return L.crossEntropy(input, target, this.options); }
}
/** `nn.NLLLoss`: log-probabilities and class indices. */
export class NLLLoss extends LossModule<L.NLLOptions> {
  override forward(input: Tensor, target: Tensor): Tensor { return L.nllLoss(input, target, this.options); }
}
/** `nn.MSELoss`. */
export class MSELoss extends LossModule<L.ReductionOptions> {
  override forward(input: Tensor, target: Tensor): Tensor { return L.mseLoss(input, target, this.options); }
}
/** `nn.L1Loss`. */
export class L1Loss extends LossModule<L.ReductionOptions> {
  override forward(input: Tensor, target: Tensor): Tensor { return L.l1Loss(input, target, this.options); }
}
/** `nn.BCELoss`: probabilities. */
export class BCELoss extends LossModule<L.BCEOptions> {
  override forward(input: Tensor, target: Tensor): Tensor { return L.binaryCrossEntropy(input, target, this.options); }
}
/** `nn.BCEWithLogitsLoss`: logits, computed stably. */
export class BCEWithLogitsLoss extends LossModule<L.BCEWithLogitsOptions> {
  override forward(input: Tensor, target: Tensor): Tensor { return L.binaryCrossEntropyWithLogits(input, target, this.options); }
}
