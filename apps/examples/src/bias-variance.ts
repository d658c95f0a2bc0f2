/**
 * Bias and variance, the course's table: five (train, validation) error pairs against a
 * human-level (Bayes) error of 0.5%, then the same diagnosis on two real models — one too small
 * and one too big for its data — Keras door (`BiasVarianceReport` callback) and PyTorch door
 * (errors measured by hand, then `biasVariance`).
 *
 *   npx tsx src/bias-variance.ts
 */
import { Sequential, layers, losses, nn, optim, optimizers, tensor, manualSeed, noGrad, type Tensor } from '@nn/core';
import { biasVariance, BiasVarianceReport, type BiasVarianceResult } from '@nn/monitor';
import { check, makeClassification, printTable, runIfMain, setup, type ExampleOptions } from './common';

const BAYES = 0.005; // human-level error: 0.5%

/** The course's five cases. */
export const COURSE_TABLE = [
  { name: 'A1', trainError: 0.01, valError: 0.11, expected: 'high variance' },
  { name: 'A2', trainError: 0.15, valError: 0.16, expected: 'high bias' },
  { name: 'A3', trainError: 0.15, valError: 0.30, expected: 'high bias and high variance' },
  { name: 'A4', trainError: 0.005, valError: 0.01, expected: 'neither' },
  { name: 'A5', trainError: 0.003, valError: 0.004, expected: 'cannot tell' },
] as const;

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

export async function main(opts: ExampleOptions = {}): Promise<void> {
  await setup();
  console.log(`The course's table (Bayes error ≈ human-level error ${pct(BAYES)}):`);
  printTable(COURSE_TABLE.map((c) => {
    const r = biasVariance({ trainError: c.trainError, valError: c.valError, bayesError: BAYES });
    check(r.verdict.startsWith(c.expected), `${c.name}: expected ${c.expected}, got ${r.verdict}`);
    return { case: c.name, train: pct(c.trainError), val: pct(c.valError), 'avoidable bias': pct(r.avoidableBias), variance: pct(r.variance),
             verdict: r.verdict, 'first advice': r.advice[0] ?? '' };
  }));

  // ---- Real models: 4 classes from a fixed (noise-free) teacher, so the Bayes error is ≈ 0; we state
  // 0.5% and allow training error to fall 0.5% below it (bayesTolerance) before calling the estimate wrong.
  const n = opts.small ? 300 : 600, nv = 1000, bayes = 0.005, tol = { bayesTolerance: 0.005 };
  const d = makeClassification(n + nv, 10, 4, 21, 0);
  const xt = tensor(d.x.subarray(0, n * 10), [n, 10]), yt = tensor(d.y.subarray(0, n), [n], { dtype: 'int32' });
  const xv = tensor(d.x.subarray(n * 10), [nv, 10]), yv = tensor(d.y.subarray(n), [nv], { dtype: 'int32' });
  const epochs = opts.small ? 40 : 80;

  // Keras door: the BiasVarianceReport callback prints the verdict when fit ends.
  const verdicts: Record<string, BiasVarianceResult> = {};
  for (const [name, model] of [
    ['too small: a 1-unit linear bottleneck', new Sequential([layers.Dense(1, { inputShape: [10] }), layers.Dense(4)])],
    ['too big: Dense(256)×2, no regularization', new Sequential([layers.Dense(256, { inputShape: [10], activation: 'relu' }), layers.Dense(256, { activation: 'relu' }), layers.Dense(4)])],
  ] as const) {
    manualSeed(3);
    model.compile({ optimizer: optimizers.Adam({ learningRate: 1e-2 }), loss: losses.SparseCategoricalCrossentropy({ fromLogits: true }), metrics: ['accuracy'] });
    const report = new BiasVarianceReport({ bayesError: bayes, ...tol, onReport: () => undefined });
    await model.fit(xt, yt, { epochs, batchSize: 50, verbose: 0, validationData: [xv, yv], callbacks: [report] });
    // fit's training accuracy is a running average over the epoch; measure both again with the final weights.
    const tr = await model.evaluate(xt, yt), va = await model.evaluate(xv, yv);
    const r = biasVariance({ trainError: 1 - tr.accuracy!, valError: 1 - va.accuracy!, bayesError: bayes }, tol);
    verdicts[name] = r;
    console.log(`\n${name}: train error ${pct(1 - tr.accuracy!)}, val error ${pct(1 - va.accuracy!)} → ${r.verdict}`);
    console.log(`  ${r.explanation}`);
    console.log(`  try: ${r.advice.slice(0, 3).join('; ')}`);
    if (report.result) console.log(`  (BiasVarianceReport at the end of fit: ${report.result.verdict})`);
  }
  const [small, big] = Object.values(verdicts);
  check(small!.verdict.includes('bias'), 'the tiny model has high bias');
  check(big!.verdict.includes('variance'), 'the big unregularized model has high variance');

  // PyTorch door: measure the errors yourself, in eval mode, then ask biasVariance.
  manualSeed(3);
  const net = new nn.Sequential(new nn.Linear(10, 64), new nn.ReLU(), new nn.Dropout(0.3), new nn.Linear(64, 4));
  const opt = new optim.Adam(net.parameters(), { lr: 1e-2, weightDecay: 1e-4 });
  for (let step = 0; step < epochs * 2; step++) {
    opt.zeroGrad();
    const loss = nn.functional.crossEntropy(net(xt), yt);
    loss.backward();
    opt.step();
    loss.dispose();
  }
  net.eval();
  const err = (x: Tensor, y: Tensor) => noGrad(() => net(x).argmax(-1).ne(y).cast('float32').mean().item());
  const r = biasVariance({ trainError: err(xt, yt), valError: err(xv, yv), bayesError: bayes }, tol);
  console.log(`\nPyTorch door, Linear(64)+Dropout(0.3)+weight decay: train error ${pct(err(xt, yt))}, val error ${pct(err(xv, yv))} → ${r.verdict}`);
  console.log(`  ${r.explanation}`);
}

runIfMain(import.meta.url, main);
