import { InvalidOptionError } from '../errors.js';
import type { VegaLiteSpec } from '../plot.js';
import type { ModelLike, ParameterLike } from '../types.js';
import { activationStats, type ActivationStats } from './activations.js';

/** Weight initialisations compared by {@link initDemo}. */
export type DemoInit = 'normal' | 'glorot' | 'he';

/** Options for {@link initDemo}. */
export interface InitDemoOptions {
  /** @default 15 */
  depth?: number;
  /** Units per layer. @default 100 */
  width?: number;
  /** Examples in the batch. @default 128 */
  batch?: number;
  /** @default 'tanh' */
  activation?: 'tanh' | 'relu';
  /** `'normal'`: N(0, 1); `'glorot'`: N(0, 2/(fanIn+fanOut)); `'he'`: N(0, 2/fanIn). @default 'glorot' */
  init?: DemoInit;
  /** @default 1 */
  seed?: number;
}

/** Per-layer statistics of one forward and backward pass. */
export interface InitDemoLayer {
  layer: number;
  /** Standard deviation of the layer's output (after the activation). */
  activationStd: number;
  /** Root mean square of the gradient of the layer's weight matrix. */
  gradRms: number;
  activation: ActivationStats;
}

/** Result of {@link initDemo}: per-layer statistics and the network as a {@link ModelLike}. */
export interface InitDemoResult {
  options: Required<InitDemoOptions>;
  layers: InitDemoLayer[];
  /** The demo network's weights and gradients, usable with `gradientHealth`. */
  model: ModelLike;
}

function rng(seed: number): () => number {
  // mulberry32 uniform in [0, 1) + Box–Muller for N(0, 1)
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

/** y[b, j] = Σ_i x[b, i] · w[i, j] for row-major x (n×k) and w (k×m). */
function matmul(x: Float64Array, w: Float64Array, n: number, k: number, m: number): Float64Array {
  const y = new Float64Array(n * m);
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < k; i++) {
      const xv = x[b * k + i]!;
      if (xv === 0) continue;
      const wo = i * m;
      const yo = b * m;
      for (let j = 0; j < m; j++) y[yo + j]! += xv * w[wo + j]!;
    }
  }
  return y;
}

/**
 * Demo of why initialisation matters ("so that it doesn't explode"): one forward and backward
 * pass through a deep plain MLP (no biases), in float64 JavaScript, recording each layer's
 * activation spread and weight-gradient size. With N(0, 1) weights, tanh saturates (activations
 * stuck at ±1, gradients vanishing toward the input) and ReLU activations explode; Glorot keeps
 * tanh stable and He keeps ReLU stable.
 *
 * The backward pass starts from a random N(0, 1)/batch gradient at the output, so what it shows is
 * the network's own amplification or damping, not the size of a particular loss.
 *
 * @param options - see {@link InitDemoOptions}.
 * @example
 * const bad = initDemo({ init: 'normal', activation: 'tanh' });
 * const good = initDemo({ init: 'glorot', activation: 'tanh' });
 * await savePlot(initDemoSpec([bad, good]), 'init-demo.svg');
 */
export function initDemo(options: InitDemoOptions = {}): InitDemoResult {
  const o: Required<InitDemoOptions> = { depth: 15, width: 100, batch: 128, activation: 'tanh', init: 'glorot', seed: 1, ...options };
  for (const k of ['depth', 'width', 'batch'] as const) {
    if (!Number.isInteger(o[k]) || o[k] < 1) throw new InvalidOptionError(`initDemo: options.${k}`, o[k], 'a positive integer');
  }
  const { depth, width: w, batch: n } = o;
  const randn = rng(o.seed);
  const std = o.init === 'normal' ? 1 : o.init === 'glorot' ? Math.sqrt(2 / (w + w)) : Math.sqrt(2 / w);
  const weights = Array.from({ length: depth }, () => Float64Array.from({ length: w * w }, () => randn() * std));
  const x0 = Float64Array.from({ length: n * w }, () => randn());
  const act = o.activation === 'tanh' ? Math.tanh : (z: number) => (z > 0 ? z : 0);
  // derivative from the output a = act(z): tanh' = 1 − a², relu' = [a > 0]
  const dact = o.activation === 'tanh' ? (a: number) => 1 - a * a : (a: number) => (a > 0 ? 1 : 0);

  const outs: Float64Array[] = [x0];
  for (let l = 0; l < depth; l++) outs.push(matmul(outs[l]!, weights[l]!, n, w, w).map(act));
  const grads: Float64Array[] = new Array(depth);
  let delta = Float64Array.from({ length: n * w }, () => randn() / n); // dL/da of the last layer
  for (let l = depth - 1; l >= 0; l--) {
    const a = outs[l + 1]!;
    const dz = delta.map((d, i) => d * dact(a[i]!));
    const x = outs[l]!;
    // dW = xᵀ dz (w×w), dx = dz Wᵀ (n×w)
    const gw = new Float64Array(w * w);
    for (let b = 0; b < n; b++) {
      for (let i = 0; i < w; i++) {
        const xv = x[b * w + i]!;
        if (xv === 0) continue;
        for (let j = 0; j < w; j++) gw[i * w + j]! += xv * dz[b * w + j]!;
      }
    }
    grads[l] = gw;
    const wl = weights[l]!;
    const dx = new Float64Array(n * w);
    for (let b = 0; b < n; b++) {
      for (let i = 0; i < w; i++) {
        let s = 0;
        for (let j = 0; j < w; j++) s += dz[b * w + j]! * wl[i * w + j]!;
        dx[b * w + i] = s;
      }
    }
    delta = dx;
  }
  const layers: InitDemoLayer[] = [];
  for (let l = 0; l < depth; l++) {
    const stats = activationStats(`layer${l + 1}`, { shape: [n, w], dataSync: () => outs[l + 1]! });
    let sq = 0;
    for (const g of grads[l]!) sq += g * g;
    layers.push({ layer: l + 1, activationStd: stats.std, gradRms: Math.sqrt(sq / (w * w)), activation: stats });
  }
  const model: ModelLike = {
    *namedParameters() {
      for (let l = 0; l < depth; l++) {
        const p: ParameterLike = { shape: [w, w], dataSync: () => weights[l]!, grad: { shape: [w, w], dataSync: () => grads[l]! } };
        yield [`layers.${l}.weight`, p] as [string, ParameterLike];
      }
    },
  };
  return { options: o, layers, model };
}

const INIT_LABEL: Record<DemoInit, string> = { normal: 'N(0, 1)', glorot: 'Glorot', he: 'He' };

/**
 * Vega-Lite spec comparing {@link initDemo} runs: activation spread and weight-gradient RMS per
 * layer (log scale), one line per initialisation, one column per activation function.
 */
export function initDemoSpec(results: InitDemoResult[]): VegaLiteSpec {
  const values = results.flatMap((r) => r.layers.flatMap((l) => [
    { layer: l.layer, quantity: 'activation std', value: l.activationStd, init: INIT_LABEL[r.options.init], activation: r.options.activation },
    { layer: l.layer, quantity: 'weight-gradient RMS', value: l.gradRms, init: INIT_LABEL[r.options.init], activation: r.options.activation },
  ])).filter((v) => v.value > 0 && Number.isFinite(v.value));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `${results[0]?.options.depth ?? ''}-layer MLP: N(0, 1) vs Glorot/He initialisation`,
    data: { values },
    facet: { row: { field: 'quantity', type: 'nominal', title: null }, column: { field: 'activation', type: 'nominal', title: null, sort: ['tanh', 'relu'] } },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 260, height: 170,
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'layer', type: 'quantitative', title: 'layer', axis: { tickMinStep: 1 } },
        y: { field: 'value', type: 'quantitative', title: null, scale: { type: 'log' }, axis: { format: '.0e' } },
        color: { field: 'init', type: 'nominal', title: 'initialisation', scale: { domain: ['N(0, 1)', 'Glorot', 'He'], range: ['#e45756', '#4c78a8', '#54a24b'] } },
      },
    },
  } as unknown as VegaLiteSpec;
}
