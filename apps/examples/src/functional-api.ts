/**
 * Callable layers and the functional API (Keras door), and the same graphs as PyTorch-style
 * modules: one tensor used twice, Concatenate, a shared layer, several inputs and outputs.
 *
 *   npx tsx src/functional-api.ts
 */
import {
  Input, Model, layers, regularizers, optimizers, losses, earlyStopping, nn, optim, cat, tensor, manualSeed, type Tensor,
} from '@nn/core';
import { DataLoader, Dataset } from '@nn/data';
import { check, makeClassification, printTable, runIfMain, setup, type ExampleOptions } from './common';

/** Rows of host arrays as `{x, y}` samples for a DataLoader. */
function loaderOf(x: Float32Array, y: Int32Array, features: number, batchSize: number, shuffle: boolean): DataLoader<{ x: Float32Array; y: number }> {
  const rows = Array.from({ length: y.length }, (_, i) => ({ x: x.subarray(i * features, (i + 1) * features), y: y[i]! }));
  return new DataLoader(Dataset.fromItems(rows), { batchSize, shuffle, seed: 1 });
}

/** The functional-API sketch of the examples README, as written: two branches on one input, Concatenate, BN, dropout, regularizers. */
function sketchModel(reg: { l1: number; l2: number; activityL1: number; activityL2: number }) {
  const inputs = Input({ shape: [784] });
  const x1 = layers.Dense(64, { activation: 'relu' })(inputs);      // layers are callable
  const x2 = layers.Dense(128, { activation: 'relu' })(inputs);     // one tensor used twice
  const merged = layers.Concatenate()([x1, x2]);
  const h = layers.Dropout(0.1)(layers.BatchNormalization()(merged));
  const outputs = layers.Dense(10, {
    kernelRegularizer: regularizers.L1L2({ l1: reg.l1, l2: reg.l2 }),
    biasRegularizer: regularizers.L1L2({ l1: reg.l1, l2: reg.l2 }),
    activityRegularizer: regularizers.L1L2({ l1: reg.activityL1, l2: reg.activityL2 }),
    kernelInitializer: 'glorotNormal', biasInitializer: 'zeros',
  })(h);
  return Model({ inputs, outputs });   // multiple inputs/outputs allowed
}

async function apiSketch(small: boolean): Promise<void> {
  const n = small ? 1024 : 2048;
  const all = makeClassification(n + 256, 784, 10, 3);
  const trainDs = loaderOf(all.x.subarray(0, n * 784), all.y.subarray(0, n), 784, 64, true);
  const valDs = loaderOf(all.x.subarray(n * 784), all.y.subarray(n), 784, 256, false);
  const epochs = small ? 5 : 10;
  const results: Record<string, number | string>[] = [];
  // The sketch as written: its strengths (l1 0.5, l2 1 on the weights, l2 10 on the activity) and the loss
  // 'sparseCategoricalCrossentropy', which (as in Keras) expects probabilities — but this Dense(10) has no
  // softmax, so its outputs are logits. Then the same with fromLogits, then with light penalties.
  const apiReg = { l1: 0.5, l2: 1, activityL1: 0.3, activityL2: 10 };
  for (const [label, reg, loss] of [
    ["sketch as written: loss 'sparseCategoricalCrossentropy' on logits", apiReg, 'sparseCategoricalCrossentropy'],
    ['sketch penalties, loss fromLogits: true', apiReg, losses.SparseCategoricalCrossentropy({ fromLogits: true })],
    ['light: L1L2(0, 1e-4), activity L1L2(0, 1e-5), fromLogits', { l1: 0, l2: 1e-4, activityL1: 0, activityL2: 1e-5 }, losses.SparseCategoricalCrossentropy({ fromLogits: true })],
  ] as const) {
    const model = sketchModel(reg);
    if (results.length === 0) model.summary();
    model.compile({ optimizer: optimizers.Adam({ learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 }),
                    loss, metrics: ['accuracy'] });
    // the sketch's form: fit(dataset, { epochs, validationData, callbacks }).
    const history = await model.fit(trainDs, { epochs, validationData: valDs, verbose: 0,
                                                          callbacks: [earlyStopping({ patience: 3 })] });
    check(history.epoch.length === epochs || history.epoch.length >= 4, 'fit ran the requested epochs (or stopped early)');
    model(tensor(all.x.subarray(0, 64 * 784), [64, 784]));   // activity penalties belong to the last call
    const penalties = model.losses.map((t) => t.item());
    check(penalties.length === 3, 'kernel, bias and activity penalties are listed in model.losses');
    results.push({ regularization: label, epochs: history.epoch.length, 'train loss (incl. penalties)': history.history.loss!.at(-1)!,
                   val_accuracy: history.history.val_accuracy!.at(-1)!, 'penalties (kernel, bias, activity)': penalties.map((p) => p.toPrecision(3)).join(', ') });
  }
  printTable(results);
  console.log('A string loss on logits trains on nonsense (as in Keras): say fromLogits: true, or end with a softmax.');
  console.log("The sketch's penalty strengths dominate the loss (summed over every weight) and hold the model near chance (10 classes);");
  console.log('light penalties let the same graph learn.');
  check(Number(results[2]!.val_accuracy) > Number(results[1]!.val_accuracy), 'lighter regularization learns more here');
}

/** A shared layer and several inputs and outputs (Keras door). */
async function multiIo(small: boolean): Promise<void> {
  const n = small ? 256 : 1024;
  const a = makeClassification(n, 8, 3, 5);
  const b = makeClassification(n, 8, 3, 6);
  // Target 1: class of input a; target 2 (regression): how much a and b agree (mean product).
  const agree = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let f = 0; f < 8; f++) s += a.x[i * 8 + f]! * b.x[i * 8 + f]!;
    agree[i] = s / 8;
  }
  const inA = Input({ shape: [8], name: 'a' });
  const inB = Input({ shape: [8], name: 'b' });
  const shared = layers.Dense(16, { activation: 'tanh', name: 'shared_encoder' });   // one layer, one set of weights
  const ea = shared(inA), eb = shared(inB);                                        // called on two inputs
  const cls = layers.Dense(3, { name: 'class_logits' })(ea);
  const sim = layers.Dense(1, { name: 'agreement' })(layers.Concatenate()([ea, eb, layers.Add()([ea, eb])]));
  const model = Model({ inputs: [inA, inB], outputs: [cls, sim], name: 'two_in_two_out' });
  model.summary();
  check(model.parameters().length === 6, 'the shared encoder counts once (2 + 2 + 2 weights)');
  model.compile({ optimizer: optimizers.Adam({ learningRate: 1e-2 }),
                  loss: [losses.SparseCategoricalCrossentropy({ fromLogits: true }), 'mse'], lossWeights: [1, 0.5] });
  const xa = tensor(a.x, [n, 8]), xb = tensor(b.x, [n, 8]);
  const yc = tensor(a.y, [n], { dtype: 'int32' }), yr = tensor(agree, [n, 1]);
  const h = await model.fit([xa, xb], [yc, yr], { epochs: small ? 5 : 20, batchSize: 32, verbose: 0 });
  const keys = Object.keys(h.history);
  console.log(`history keys: ${keys.join(', ')}`);
  console.log(`total loss ${h.history.loss![0]!.toFixed(3)} → ${h.history.loss!.at(-1)!.toFixed(3)}`);
  check(h.history.loss!.at(-1)! < h.history.loss![0]!, 'the two-output model trains');
  const [p1, p2] = (await model.predict([xa, xb])) as Tensor[];
  console.log(`predict → [${JSON.stringify(p1!.shape)}, ${JSON.stringify(p2!.shape)}]`);
}

/** The same two-input, two-output graph PyTorch style: a module with a shared submodule. */
class TwoTower extends nn.Module {
  encoder = new nn.Linear(8, 16);      // used for both inputs: shared weights
  head = new nn.Linear(16, 3);
  agreement = new nn.Linear(48, 1);
  override forward(a: Tensor, b: Tensor): [Tensor, Tensor] {
    const ea = this.encoder(a).tanh(), eb = this.encoder(b).tanh();
    return [this.head(ea), this.agreement(cat([ea, eb, ea.add(eb)], 1))];
  }
}

async function multiIoTorch(small: boolean): Promise<void> {
  const n = small ? 256 : 1024;
  const a = makeClassification(n, 8, 3, 5), b = makeClassification(n, 8, 3, 6);
  const xa = tensor(a.x, [n, 8]), xb = tensor(b.x, [n, 8]);
  const yc = tensor(a.y, [n], { dtype: 'int32' }), yr = xa.mul(xb).mean(1, true);
  const net = new TwoTower();
  console.log(`TwoTower parameters: ${net.namedParameters().map(([k]) => k).join(', ')}`);
  const opt = new optim.Adam(net.parameters(), { lr: 1e-2 });
  const losses: number[] = [];
  for (let step = 0; step < (small ? 40 : 150); step++) {
    opt.zeroGrad();
    const [logits, agree] = net(xa, xb) as [Tensor, Tensor];
    const loss = nn.functional.crossEntropy(logits, yc).add(nn.functional.mseLoss(agree, yr).mul(0.5));
    loss.backward();
    opt.step();
    losses.push(loss.item());
  }
  console.log(`PyTorch door: loss ${losses[0]!.toFixed(3)} → ${losses.at(-1)!.toFixed(3)}`);
  check(losses.at(-1)! < losses[0]!, 'the two-output module trains');
}

export async function main(opts: ExampleOptions = {}): Promise<void> {
  await setup();
  manualSeed(1);
  const small = opts.small ?? false;
  console.log('--- the functional-API sketch (apps/examples/README.md): reuse of one tensor, Concatenate, BN, dropout, regularizers ---');
  await apiSketch(small);
  console.log('\n--- a shared layer, two inputs, two outputs (Keras door) ---');
  await multiIo(small);
  console.log('\n--- the same, PyTorch door ---');
  await multiIoTorch(small);
}

runIfMain(import.meta.url, main);
