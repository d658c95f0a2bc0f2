/**
 * L1, L2 and L1L2 regularizers: the penalty each adds (`model.losses`), and what it does to the
 * weights — L2 shrinks all of them, L1 drives the useless ones to zero. Keras door with
 * `kernelRegularizer`, PyTorch door with `weightDecay` (≡ Keras L2) and an explicit L1 term.
 *
 *   npx tsx src/regularizers.ts
 */
import { Sequential, layers, nn, optim, optimizers, regularizers, tensor, manualSeed, type Regularizer, type Tensor } from '@nn/core';
import { check, printTable, randnHost, runIfMain, setup, type ExampleOptions } from './common';

const FEATURES = 40;
const USEFUL = 5; // only the first 5 features matter

/** y = Σ_{j<5} w_j x_j + noise, with 35 distracting features and few samples (easy to overfit). */
function data(n: number, seed: number): { x: Tensor; y: Tensor } {
  const g = randnHost(seed);
  const x = new Float32Array(n * FEATURES), y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < FEATURES; j++) {
      const v = g();
      x[i * FEATURES + j] = v;
      if (j < USEFUL) s += (j + 1) * 0.5 * v;
    }
    y[i] = s + 0.5 * g();
  }
  return { x: tensor(x, [n, FEATURES]), y: tensor(y, [n, 1]) };
}

function weightStats(w: ArrayLike<number>) {
  let l1 = 0, l2 = 0, zeros = 0, useless = 0;
  Array.from(w).forEach((v, j) => {
    l1 += Math.abs(v);
    l2 += v * v;
    if (j >= USEFUL) { useless += Math.abs(v); if (Math.abs(v) < 1e-2) zeros++; }
  });
  return { l1, l2: Math.sqrt(l2), zeros, useless };
}

export async function main(opts: ExampleOptions = {}): Promise<void> {
  await setup();
  const epochs = opts.small ? 150 : 400;
  const train = data(60, 1), val = data(500, 2);

  // ---- Keras door ----
  const configs: [string, Regularizer | undefined][] = [
    ['none', undefined],
    ['L1(0.05)', regularizers.L1({ l1: 0.05 })],
    ['L2(0.05)', regularizers.L2({ l2: 0.05 })],
    ['L1L2(0.05, 0.05)', regularizers.L1L2({ l1: 0.05, l2: 0.05 })],
  ];
  const rows: Record<string, string | number>[] = [];
  const results = new Map<string, ReturnType<typeof weightStats> & { val: number }>();
  for (const [name, reg] of configs) {
    manualSeed(1);
    const dense = layers.Dense(1, { inputShape: [FEATURES], ...(reg ? { kernelRegularizer: reg } : {}) });
    const model = new Sequential([dense]);
    model.compile({ optimizer: optimizers.SGD({ learningRate: 0.02 }), loss: 'mse' });
    await model.fit(train.x, train.y, { epochs, batchSize: 60, verbose: 0 });
    const w = dense.kernel.dataSync();
    const st = weightStats(w);
    // model.losses holds the penalty: l1·Σ|w| + l2·Σw², added to the loss by fit.
    const penalty = model.losses.reduce((s, t) => s + t.item(), 0);
    const expected = (reg?.config.l1 ?? 0) * st.l1 + (reg?.config.l2 ?? 0) * st.l2 ** 2;
    check(Math.abs(penalty - expected) <= 1e-4 * Math.max(1, expected), `${name}: model.losses is l1·Σ|w| + l2·Σw²`); // float32 sums of 40 terms
    const ev = await model.evaluate(val.x, val.y);
    const valMse = ev.loss! - penalty; // evaluate's loss includes the penalty
    results.set(name, { ...st, val: valMse });
    rows.push({ regularizer: name, 'model.losses': penalty, '‖w‖₁': st.l1, '‖w‖₂': st.l2, [`useless ≈ 0 (of ${FEATURES - USEFUL})`]: st.zeros,
                'Σ abs(w), useless': st.useless, 'val MSE': valMse });
  }
  console.log(`Keras door: Dense(1) on ${FEATURES} features (${USEFUL} useful), 60 samples, SGD full batch, ${epochs} epochs`);
  printTable(rows);
  const none = results.get('none')!, l1 = results.get('L1(0.05)')!, l2 = results.get('L2(0.05)')!;
  check(l2.l2 < none.l2, 'L2 shrinks the weight norm');
  check(l1.zeros > none.zeros + 10, 'L1 sets many useless weights to (near) zero');
  check(l1.val < none.val, 'with few samples, regularization lowers the validation error');

  // ---- PyTorch door: weight decay 2λ ≡ Keras L2(λ) with plain SGD; L1 added to the loss by hand ----
  const torchRows: Record<string, string | number>[] = [];
  for (const name of ['none', 'weightDecay 0.1 (≡ L2(0.05))', 'L1 term 0.05·‖w‖₁']) {
    manualSeed(1);
    const lin = new nn.Linear(FEATURES, 1);
    const opt = new optim.SGD(lin.parameters(), { lr: 0.02, weightDecay: name.startsWith('weightDecay') ? 0.1 : 0 });
    for (let step = 0; step < epochs; step++) {
      opt.zeroGrad();
      let loss = nn.functional.mseLoss(lin(train.x), train.y);
      if (name.startsWith('L1')) loss = loss.add(lin.weight.abs().sum().mul(0.05));
      loss.backward();
      opt.step();
      loss.dispose();
    }
    const st = weightStats(lin.weight.dataSync());
    const valMse = nn.functional.mseLoss(lin(val.x), val.y).item();
    torchRows.push({ regularization: name, '‖w‖₁': st.l1, '‖w‖₂': st.l2, [`useless ≈ 0 (of ${FEATURES - USEFUL})`]: st.zeros, 'val MSE': valMse });
  }
  console.log('\nPyTorch door: nn.Linear, optim.SGD');
  printTable(torchRows);
  check(Number(torchRows[1]!['‖w‖₂']) < Number(torchRows[0]!['‖w‖₂']), 'weight decay shrinks the weights');
}

runIfMain(import.meta.url, main);
