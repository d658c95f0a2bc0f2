/**
 * PyTorch's `torch.nn.init`: in-place initialisers over a tensor, with PyTorch's fan convention
 * (weights are `(out, in, ...receptive)`). Each returns the tensor it filled.
 */
import { noGrad } from '../engine';
import { ValueError } from '../errors';
import * as o from '../ops';
import { defaultGenerator, type Generator } from '../random';
import type { Tensor } from '../tensor';
import { computeFans, orthogonalValues } from './initializers';

type Nonlinearity = 'linear' | 'conv1d' | 'conv2d' | 'conv3d' | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'leakyRelu' | 'selu';

/**
 * The recommended gain for a nonlinearity (PyTorch `calculate_gain`): relu √2, tanh 5/3,
 * leaky_relu √(2/(1+a²)) with a = `param` (default 0.01), selu 3/4, linear/conv/sigmoid 1.
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear': case 'conv1d': case 'conv2d': case 'conv3d': case 'sigmoid': return 1;
    case 'tanh': return 5 / 3;
    case 'relu': return Math.SQRT2;
    case 'leaky_relu': case 'leakyRelu': { const a = param ?? 0.01; return Math.sqrt(2 / (1 + a * a)); }
    case 'selu': return 3 / 4;
    default: throw new ValueError(`calculateGain: unsupported nonlinearity "${String(nonlinearity)}".`, 'calculateGain');
  }
}

const fill = (t: Tensor, v: Tensor): Tensor => noGrad(() => t.assign_(v.cast(t.dtype)));
const fan = (t: Tensor, mode: 'fan_in' | 'fan_out' | 'fanIn' | 'fanOut') => {
  if (t.rank < 2) throw new ValueError(`Fan in and fan out cannot be computed for a tensor with fewer than 2 dimensions (shape [${t.shape.join(', ')}]).`, 'nn.init');
  const f = computeFans(t.shape, 'torch');
  return mode === 'fan_in' || mode === 'fanIn' ? f.fanIn : f.fanOut;
};

/** U(a, b) in place. @default a 0, b 1 */
export const uniform_ = (t: Tensor, a = 0, b = 1, generator: Generator = defaultGenerator): Tensor => fill(t, o.randomUniform(t.shape, a, b, { generator }));
/** N(mean, std²) in place. @default mean 0, std 1 */
export const normal_ = (t: Tensor, mean = 0, std = 1, generator: Generator = defaultGenerator): Tensor => fill(t, o.randomNormal(t.shape, mean, std, { generator }));
/** Truncated normal in [a, b] (in units of the value, as PyTorch `trunc_normal_`). */
export function truncNormal_(t: Tensor, mean = 0, std = 1, a = -2, b = 2, generator: Generator = defaultGenerator): Tensor {
  const n = t.size, v = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let x: number;
    do x = mean + std * generator.normal();
    while (x < a || x > b);
    v[i] = x;
  }
  return fill(t, o.tensor(v, t.shape));
}
/** Fill with a constant in place. */
export const constant_ = (t: Tensor, value: number): Tensor => fill(t, o.full(t.shape, value));
export const zeros_ = (t: Tensor): Tensor => constant_(t, 0);
export const ones_ = (t: Tensor): Tensor => constant_(t, 1);
/** Xavier/Glorot uniform: U(±gain·√(6/(fanIn+fanOut))). */
export function xavierUniform_(t: Tensor, gain = 1, generator: Generator = defaultGenerator): Tensor {
  const a = gain * Math.sqrt(6 / (fan(t, 'fan_in') + fan(t, 'fan_out')));
  return uniform_(t, -a, a, generator);
}
/** Xavier/Glorot normal: N(0, gain²·2/(fanIn+fanOut)) (not truncated, as PyTorch). */
export function xavierNormal_(t: Tensor, gain = 1, generator: Generator = defaultGenerator): Tensor {
  return normal_(t, 0, gain * Math.sqrt(2 / (fan(t, 'fan_in') + fan(t, 'fan_out'))), generator);
}
/** Options of the Kaiming initialisers. */
export interface KaimingOptions {
  /** Negative slope of the rectifier after this layer (leaky_relu only). @default 0 */
  a?: number;
  /** @default 'fan_in' */
  mode?: 'fan_in' | 'fan_out';
  /** @default 'leaky_relu' */
  nonlinearity?: Nonlinearity;
  generator?: Generator;
}
/** Kaiming/He uniform: U(±gain·√(3/fan)). */
export function kaimingUniform_(t: Tensor, opts: KaimingOptions = {}): Tensor {
  const gain = calculateGain(opts.nonlinearity ?? 'leaky_relu', opts.a ?? 0);
  const bound = gain * Math.sqrt(3 / fan(t, opts.mode ?? 'fan_in'));
  return uniform_(t, -bound, bound, opts.generator);
}
/** Kaiming/He normal: N(0, gain²/fan). */
export function kaimingNormal_(t: Tensor, opts: KaimingOptions = {}): Tensor {
  const gain = calculateGain(opts.nonlinearity ?? 'leaky_relu', opts.a ?? 0);
  return normal_(t, 0, gain / Math.sqrt(fan(t, opts.mode ?? 'fan_in')), opts.generator);
}
/** A (semi-)orthogonal matrix times `gain`, with the tensor flattened to (rows, cols) PyTorch-style. */
export function orthogonal_(t: Tensor, gain = 1, generator: Generator = defaultGenerator): Tensor {
  if (t.rank < 2) throw new ValueError('orthogonal_: only tensors with 2 or more dimensions are supported.', 'nn.init.orthogonal_');
  const rows = t.shape[0]!, cols = t.size / rows;
  return fill(t, orthogonalValues([rows, cols], gain, generator).reshape(t.shape));
}

/** Fan-in and fan-out in PyTorch's convention. */
export const calculateFanInAndFanOut = (t: Tensor): [number, number] => [fan(t, 'fan_in'), fan(t, 'fan_out')];

/** `torch.nn.init` with camelCase names and PyTorch's snake_case aliases. */
export const init = {
  calculateGain, uniform_, normal_, truncNormal_, constant_, zeros_, ones_, xavierUniform_, xavierNormal_,
  kaimingUniform_, kaimingNormal_, orthogonal_, calculateFanInAndFanOut,
  calculate_gain: calculateGain, trunc_normal_: truncNormal_, xavier_uniform_: xavierUniform_, xavier_normal_: xavierNormal_,
  kaiming_uniform_: kaimingUniform_, kaiming_normal_: kaimingNormal_,
};
