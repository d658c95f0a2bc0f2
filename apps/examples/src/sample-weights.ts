/**
 * Sample weights and class weights, Keras style (`fit(x, y, { sampleWeight, classWeight })`): a
 * batch's loss is Σ wᵢ·lossᵢ / batch size. Here a rare class (5% of the data) is under-predicted by
 * a plain fit; weighting its samples ×10 raises its recall, at some cost elsewhere — the usual trade.
 * The PyTorch door writes the same weighted loss by hand with `reduction: 'none'`.
 *
 *   npx tsx src/sample-weights.ts
 */
import { Sequential, evaluate, layers, losses, manualSeed, nn, noGrad, optim, optimizers, scope, tensor, type Tensor } from '@nn/core';
import { check, makeClassification, printTable, runIfMain, setup, type ExampleOptions } from './common';

/** Recall of each class (predicted argmax vs labels). */
function recalls(logits: Tensor, y: Int32Array, classes: number): number[] {
  const p = logits.argmax(-1).dataSync();
  const hit = new Array<number>(classes).fill(0), n = new Array<number>(classes).fill(0);
  y.forEach((c, i) => {
    n[c]!++;
    if (p[i] === c) hit[c]!++;
  });
  return hit.map((h, c) => h / Math.max(n[c]!, 1));
}

export async function main(opts: ExampleOptions = {}): Promise<void> {
  await setup();
  const n = opts.small ? 1200 : 3000, d = 20;
  // Three classes; class 2 is made rare by dropping most of its rows.
  const all = makeClassification(n * 2, d, 3, 7, 0.3);
  const keep: number[] = [];
  for (let i = 0; i < all.y.length && keep.length < n; i++) if (all.y[i] !== 2 || i % 12 === 0) keep.push(i);
  const x = Float32Array.from(keep.flatMap((i) => Array.from(all.x.subarray(i * d, (i + 1) * d))));
  const y = Int32Array.from(keep, (i) => all.y[i]!);
  const X = tensor(x, [keep.length, d]), Y = tensor(y, [keep.length], { dtype: 'int32' });
  const share = y.filter((c) => c === 2).length / y.length;
  console.log(`${keep.length} samples, class 2 is ${(share * 100).toFixed(1)}% of them`);

  // ---- Keras door: fit with and without sample weights ----
  const rows: Record<string, string | number>[] = [];
  const train = async (label: string, sampleWeight?: Float32Array) => {
    manualSeed(1);
    const model = new Sequential([layers.Dense(32, { activation: 'relu', inputShape: [d] }), layers.Dense(3)]);
    model.compile({ optimizer: optimizers.Adam({ learningRate: 3e-3 }), loss: losses.SparseCategoricalCrossentropy({ fromLogits: true }) });
    await model.fit(X, Y, { epochs: opts.small ? 8 : 15, batchSize: 64, verbose: 0, ...(sampleWeight ? { sampleWeight } : {}) });
    const r = noGrad(() => scope(() => recalls(model(X) as Tensor, y, 3)));
    const weighted = sampleWeight ? (await evaluate(model, X, Y, { sampleWeight })).loss! : NaN;
    rows.push({ 'Keras fit': label, 'recall class 0': r[0]!.toFixed(3), 'recall class 1': r[1]!.toFixed(3), 'recall rare class 2': r[2]!.toFixed(3), 'weighted loss (evaluate)': Number.isNaN(weighted) ? '—' : weighted.toFixed(4) });
    return r;
  };
  const plain = await train('no weights');
  const w = Float32Array.from(y, (c) => (c === 2 ? 10 : 1));
  const weighted = await train('sampleWeight: 10 on class 2', w);
  printTable(rows);
  check(weighted[2]! > plain[2]!, 'weighting the rare class raises its recall');

  // ---- PyTorch door: the same weighted loss written by hand ----
  manualSeed(1);
  const net = new nn.Sequential(new nn.Linear(d, 32), new nn.ReLU(), new nn.Linear(32, 3));
  const opt = new optim.Adam(net.parameters(), { lr: 3e-3 });
  const W = tensor(w, [w.length]);
  for (let epoch = 0; epoch < (opts.small ? 8 : 15); epoch++) {
    for (let s = 0; s < keep.length; s += 64) {
      scope(() => {
        const b = Math.min(64, keep.length - s);
        const xb = X.slice([s, 0], [b, d]), yb = Y.slice([s], [b]), wb = W.slice([s], [b]);
        // Σ wᵢ·lossᵢ / batch: reduction 'none', weight, mean.
        const loss = nn.functional.crossEntropy(net(xb) as Tensor, yb, { reduction: 'none' }).mul(wb).mean();
        opt.zeroGrad();
        loss.backward();
        opt.step();
      });
    }
  }
  const rt = noGrad(() => scope(() => recalls(net(X) as Tensor, y, 3)));
  console.log(`PyTorch door, crossEntropy(reduction: 'none') · w, mean: recall of class 2 ${rt[2]!.toFixed(3)} (unweighted Keras fit: ${plain[2]!.toFixed(3)})`);
  check(rt[2]! > plain[2]!, 'the hand-weighted loss raises the rare class recall too');
}

runIfMain(import.meta.url, main);
