/**
 * Gradient checking, as the course teaches it: compare backpropagation's dθ with the two-sided
 * difference (J(θ + ε) − J(θ − ε)) / 2ε for every parameter of a whole model, in float64, dropout
 * off, and read ‖dθ_approx − dθ‖ / (‖dθ_approx‖ + ‖dθ‖) with the course's thresholds
 * (1e-7 great, 1e-5 look closer, 1e-3 wrong). Each door gets a correct model and one with a
 * planted bug — a custom op whose declared gradient is wrong — and `gradCheck` catches it.
 *
 *   npx tsx src/grad-check.ts
 */
import {
  Layer, Sequential, gradCheck, layers, losses, manualSeed, nn, noGrad, randn, record, referenceBackend, regularizers,
  sigmoid, tensor, useBackend, type GradCheckResult, type Tensor,
} from '@nn/core';
import { check, fmt, printTable, runIfMain, setup, type ExampleOptions } from './common';

// ---- Keras door: a custom activation layer with a hand-written gradient ----
/** Swish x·σ(x) with its gradient σ(x)(1 + x(1 − σ(x))) written by hand; `bug` drops the second term. */
class Swish extends Layer {
  constructor(private readonly bug = false) {
    super();
  }
  override call(x: Tensor): Tensor {
    const out = noGrad(() => x.mul(sigmoid(x)));
    return record(out, 'swish', [x], (g) => {
      const s = sigmoid(x);
      return [this.bug ? g.mul(s) : g.mul(s.mul(x.mul(s.neg().add(1)).add(1)))];
    });
  }
}

// ---- PyTorch door: a linear layer as one custom op with a hand-written backward ----
/** y = xW + b with dW = xᵀg, dx = gWᵀ, db = Σ_batch g; `bug` writes db = mean_batch g (a classic slip). */
class ManualLinear extends nn.Module {
  weight: nn.Parameter;
  bias: nn.Parameter;
  constructor(inF: number, outF: number, private readonly bug = false) {
    super();
    this.weight = new nn.Parameter(randn([inF, outF]).mul(0.5));
    this.bias = new nn.Parameter(randn([outF]).mul(0.1));
  }
  override forward(x: Tensor): Tensor {
    const { weight: w, bias: b } = this;
    const out = noGrad(() => x.matmul(w).add(b));
    return record(out, 'manualLinear', [x, w, b], (g) => [
      g.matmul(w, { transposeB: true }),
      x.matmul(g, { transposeA: true }),
      this.bug ? g.mean(0) : g.sum(0),
    ]);
  }
}

const row = (model: string, r: GradCheckResult) => ({
  model,
  difference: r.difference.toExponential(2),
  verdict: r.verdict,
  'worst entry (analytic vs numeric)': `${r.worst[0]!.parameter}[${r.worst[0]!.index.join(', ')}]: ${fmt(r.worst[0]!.analytic)} vs ${fmt(r.worst[0]!.numeric)}`,
});

export async function main(_opts: ExampleOptions = {}): Promise<void> {
  const prev = await setup();
  // Gradient checking needs float64: the reference backend, for this example only.
  await useBackend(referenceBackend());
  try {
    manualSeed(7);
    const x = randn([8, 4]);
    const y = tensor([0, 1, 2, 1, 0, 2, 2, 1], [8], { dtype: 'int32' });

    const keras = (bug: boolean) => {
      manualSeed(1);
      const model = new Sequential([
        layers.Dense(6, { inputShape: [4], kernelRegularizer: regularizers.l2(0.01) }),
        new Swish(bug),
        layers.Dropout(0.5), // off during the check, as the course says
        layers.Dense(3),
      ]);
      model.compile({ optimizer: 'adam', loss: losses.SparseCategoricalCrossentropy({ fromLogits: true }) });
      return gradCheck(model, x, y); // the compiled loss, plus the L2 penalty
    };
    const torch = (bug: boolean) => {
      manualSeed(2);
      const net = new nn.Sequential(new ManualLinear(4, 6, bug), new nn.Tanh(), new nn.Dropout(0.5), new nn.Linear(6, 3));
      return gradCheck(net, x, y, { loss: 'crossentropy', eps: 1e-7 });
    };
    const kOk = keras(false), kBug = keras(true), tOk = torch(false), tBug = torch(true);
    printTable([
      row('Keras: Dense → Swish (right gradient) → Dropout → Dense', kOk),
      row('Keras: Dense → Swish (gradient misses x·σ(1−σ)) → …', kBug),
      row('PyTorch: ManualLinear (right backward) → Tanh → Dropout → Linear', tOk),
      row('PyTorch: ManualLinear (db = mean instead of sum) → …', tBug),
    ]);
    console.log('Per parameter, the buggy PyTorch model:');
    printTable(tBug.perParameter.map((p) => ({ parameter: p.parameter, difference: p.difference.toExponential(2), entries: p.checked })));

    check(kOk.verdict === 'great' && tOk.verdict === 'great', 'correct models: difference < 1e-7');
    check(kBug.verdict === 'wrong' && tBug.verdict === 'wrong', 'planted bugs: difference ≥ 1e-3');
    const by = Object.fromEntries(tBug.perParameter.map((p) => [p.parameter, p.difference]));
    check(by['0.bias']! > 1e-3 && by['0.weight']! < 1e-7, 'the per-parameter differences point at the bias gradient');
  } finally {
    await useBackend(prev);
  }
}

runIfMain(import.meta.url, main);
