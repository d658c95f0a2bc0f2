/**
 * The PyTorch door, exported from @nn/core as the namespace `nn`: `nn.Module`, `nn.Parameter`,
 * modules under PyTorch names with PyTorch defaults, `nn.init` and `nn.functional`.
 */
import * as o from '../ops';
import type { Tensor } from '../tensor';

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
  /** `F.linear(x, weight, bias)` with weight (out, in). */
  linear: (x: Tensor, weight: Tensor, bias?: Tensor): Tensor => {
    const y = o.linear(x, weight, true);
    return bias ? y.add(bias) : y;
  },
};
