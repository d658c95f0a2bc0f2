import { getBackend, noGrad, scope } from '../engine';
import { NNError, ValueError } from '../errors';
import { Layer, regularizationLosses } from '../nn/layer';
import type { Module } from '../nn/module';
import { hostTensor } from '../optim/host';
import { Tensor } from '../tensor';
import type { Trainable } from './fit';
import { resolveLoss, type LossSpec, type TrainLoss } from './resolve';

/**
 * The course's reading of a gradient-check difference: `'great'` below 1e-7, `'ok, look closer'`
 * below 1e-5, `'suspicious'` below 1e-3, `'wrong'` from 1e-3 up (Ng, "Gradient checking": "10⁻⁷ —
 * great; 10⁻⁵ — take a careful look; 10⁻³ — I'd be worried there's a bug").
 */
export type GradCheckVerdict = 'great' | 'ok, look closer' | 'suspicious' | 'wrong';

/** Options of {@link gradCheck}. */
export interface GradCheckOptions {
  /** Step of the two-sided difference (J(θ + ε) − J(θ − ε)) / 2ε. @default 1e-7 (the course's) */
  eps?: number;
  /** The loss J (name, loss object or `(yTrue, yPred) => Tensor`). @default the compiled loss(es) */
  loss?: LossSpec;
  /** Add the layers' regularization penalties to J, as training does. @default true */
  regularization?: boolean;
  /**
   * Check at most this many entries of each parameter (evenly spaced), to bound the cost of big
   * layers: every checked entry costs two forward passes. @default Infinity (all)
   */
  maxPerParameter?: number;
  /** How many of the worst entries to report. @default 5 */
  worst?: number;
}

/** One checked entry of a parameter. */
export interface GradCheckEntry {
  /** The parameter's name in `namedParameters()`, e.g. `'dense_1.kernel'` or `'fc1.weight'`. */
  parameter: string;
  /** Position in the parameter (one index per axis). */
  index: number[];
  /** dθ from backpropagation. */
  analytic: number;
  /** dθ_approx from the two-sided difference. */
  numeric: number;
}

/** What {@link gradCheck} found. */
export interface GradCheckResult {
  /** ‖dθ_approx − dθ‖₂ / (‖dθ_approx‖₂ + ‖dθ‖₂) over every checked entry (0 when both are 0). */
  difference: number;
  /** The course's reading of {@link GradCheckResult.difference}. */
  verdict: GradCheckVerdict;
  /** The same difference for each parameter alone: where a bug is. */
  perParameter: Array<{ parameter: string; difference: number; checked: number }>;
  /** The entries with the largest |dθ_approx − dθ|, largest first. */
  worst: GradCheckEntry[];
  /** Entries checked. */
  checked: number;
  /** The loss J(θ) at the unperturbed parameters. */
  loss: number;
  eps: number;
}

/** The course's thresholds (see {@link GradCheckVerdict}). */
export function gradCheckVerdict(difference: number): GradCheckVerdict {
  if (!(difference < 1e-3)) return 'wrong';
  if (difference < 1e-7) return 'great';
  return difference < 1e-5 ? 'ok, look closer' : 'suspicious';
}

const asList = (t: Tensor | Tensor[]): Tensor[] => (Array.isArray(t) ? t : [t]);

/** ‖a − n‖ / (‖a‖ + ‖n‖) from the three sums of squares. */
const relDiff = (dd: number, aa: number, nn: number) => (dd === 0 ? 0 : Math.sqrt(dd) / (Math.sqrt(aa) + Math.sqrt(nn)));

/**
 * Gradient checking for a whole model, as the course teaches it: every trainable parameter entry θᵢ
 * is nudged by ±ε, the two-sided difference dθ_approx[i] = (J(θ + εeᵢ) − J(θ − εeᵢ)) / 2ε is
 * compared with backpropagation's dθ[i], and the result is
 * ‖dθ_approx − dθ‖₂ / (‖dθ_approx‖₂ + ‖dθ‖₂) with the course's verdict, the same number for each
 * parameter alone, and the worst entries.
 *
 * Runs on the float64 reference backend (select it with `useBackend(referenceBackend())` before
 * building the model; a model built on another backend is an error): in float32 the rounding of J
 * alone (≈1e-7·|J|, divided by 2ε) would swamp the check. J is computed in inference mode — dropout
 * off, as the course says, and BatchNorm on its moving statistics (`training: false`), so J is a
 * deterministic function of θ; the batch-statistics path of BatchNorm is checked by core's own op and
 * layer gradient tests. J includes the regularization penalties unless `regularization: false`.
 * Parameters are restored exactly afterwards, and their `.grad` left as they were.
 *
 * With the course's ε = 1e-7 a correct model measures ~1e-8 here (J's float64 rounding, ~1e-16·|J|/ε
 * per entry, dominates the O(ε²) truncation error); ε = 1e-5 brings it to ~1e-10.
 *
 * @param model - Any module: a Keras `Model`/`Sequential`/layer or a PyTorch-style `nn.Module`.
 * @param x - Input batch (or one tensor per model input).
 * @param y - Targets (or one per output, with a compiled multi-output loss).
 * @param options - See {@link GradCheckOptions}.
 * @returns See {@link GradCheckResult}.
 * @example
 * ```ts
 * await useBackend(referenceBackend());
 * const model = new Sequential([layers.Dense(5, { inputShape: [4], activation: 'tanh' }), layers.Dense(3)]);
 * const r = gradCheck(model, x, y, { loss: losses.SparseCategoricalCrossentropy({ fromLogits: true }) });
 * console.log(r.difference, r.verdict); // 7.8e-9 'great'
 * ```
 */
export function gradCheck(model: Module, x: Tensor | Tensor[], y: Tensor | Tensor[], options: GradCheckOptions = {}): GradCheckResult {
  const eps = options.eps ?? 1e-7;
  if (!(eps > 0 && Number.isFinite(eps))) throw new ValueError(`gradCheck: eps must be a positive number, got ${eps}.`, 'gradCheck');
  const maxPer = options.maxPerParameter ?? Infinity;
  if (!(maxPer >= 1)) throw new ValueError(`gradCheck: maxPerParameter must be ≥ 1, got ${maxPer}.`, 'gradCheck');
  const backend = getBackend();
  if (backend.name !== 'reference') {
    throw new NNError(
      `gradCheck: the active backend is "${backend.name}"; gradient checking runs on the float64 reference backend.`,
      'gradCheck',
      'Call `await useBackend(referenceBackend())` before building the model (float32 rounding of the loss would swamp the check).',
    );
  }
  const compiled = (model as Trainable).compiled;
  let losses: TrainLoss[], weights: number[];
  if (options.loss !== undefined) (losses = [resolveLoss(options.loss)]), (weights = [1]);
  else if (compiled) (losses = compiled.losses), (weights = compiled.lossWeights);
  else throw new ValueError('gradCheck: no loss: the model is not compiled.', 'gradCheck', "Pass { loss } (e.g. 'mse' or losses.SparseCategoricalCrossentropy({ fromLogits: true })), or compile the model first.");
  const ys = asList(y), xs = asList(x);
  if (ys.length !== losses.length) throw new ValueError(`gradCheck: ${ys.length} target(s) for ${losses.length} loss(es).`, 'gradCheck');

  const withReg = options.regularization ?? true;

  const J = (): Tensor => {
    const out = model instanceof Layer ? model(xs.length === 1 ? xs[0] : xs, { training: false }) : model(...xs);
    const preds: Tensor[] = out instanceof Tensor ? [out] : Array.isArray(out) ? out : Object.values(out as Record<string, Tensor>);
    if (preds.length !== losses.length) throw new ValueError(`gradCheck: the model has ${preds.length} output(s) and ${losses.length} loss(es).`, 'gradCheck');
    let total = losses.map((l, i) => l(ys[i]!, preds[i]!).mul(weights[i]!)).reduce((a, b) => a.add(b));
    if (withReg) for (const r of regularizationLosses(model)) total = total.add(r);
    return total;
  };
  const lossAt = () => noGrad(() => scope(() => J().item()));

  const modes = [...model.modules()].map((m) => [m, m.training] as const);
  const restoreModes = () => modes.forEach(([m, t]) => (m.training = t));
  // A Keras model without an input shape creates its weights on its first call (in inference mode).
  if (model.namedParameters().length === 0) {
    model.eval();
    try {
      lossAt();
    } finally {
      restoreModes();
    }
  }
  const params = model.namedParameters().filter(([, p]) => p.trainable);
  if (params.length === 0) throw new ValueError('gradCheck: the model has no trainable parameters.', 'gradCheck');

  const oldGrads = params.map(([, p]) => p.grad);
  const originals = params.map(([, p]) => Float64Array.from(p.dataSync()));
  model.eval();
  try {
    // Backpropagation's dθ.
    for (const [, p] of params) p.grad = null;
    scope(() => J().backward());
    const analytic = params.map(([, p], k) => (p.grad ? Float64Array.from(p.grad.dataSync()) : new Float64Array(originals[k]!.length)));
    for (const [, p] of params) p.grad?.dispose();

    const loss = lossAt();
    let dd = 0, aa = 0, nn = 0, checked = 0;
    const entries: Array<GradCheckEntry & { err: number }> = [];
    const keep = options.worst ?? 5;
    const perParameter: GradCheckResult['perParameter'] = [];
    params.forEach(([name, p], k) => {
      const v = Float64Array.from(originals[k]!);
      const set = () => p.assign_(hostTensor(v, p.shape));
      const stride = Math.max(1, Math.ceil(v.length / maxPer));
      let pd = 0, pa = 0, pn = 0, pc = 0;
      for (let i = 0; i < v.length; i += stride) {
        const o = originals[k]![i]!;
        v[i] = o + eps;
        set();
        const plus = lossAt();
        v[i] = o - eps;
        set();
        const minus = lossAt();
        v[i] = o;
        const num = (plus - minus) / (2 * eps), an = analytic[k]![i]!;
        const d = num - an;
        pd += d * d, pa += an * an, pn += num * num, pc++;
        entries.push({ parameter: name, index: unravel(i, p.shape), analytic: an, numeric: num, err: Math.abs(d) });
        entries.sort((a, b) => b.err - a.err);
        if (entries.length > keep) entries.length = keep;
      }
      set();
      dd += pd, aa += pa, nn += pn, checked += pc;
      perParameter.push({ parameter: name, difference: relDiff(pd, pa, pn), checked: pc });
    });
    const difference = relDiff(dd, aa, nn);
    return { difference, verdict: gradCheckVerdict(difference), perParameter, worst: entries.map(({ err: _e, ...e }) => e), checked, loss, eps };
  } finally {
    params.forEach(([, p], k) => {
      p.assign_(hostTensor(originals[k]!, p.shape));
      p.grad = oldGrads[k] ?? null;
    });
    restoreModes();
  }
}

function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let a = shape.length - 1; a >= 0; a--) {
    idx[a] = i % shape[a]!;
    i = Math.floor(i / shape[a]!);
  }
  return idx;
}
