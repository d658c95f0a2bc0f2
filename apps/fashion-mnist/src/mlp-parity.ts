/**
 * Issue 4's accuracy check: the FMNIST-MLP configuration (inputs x/255; 784 → Dense 256 relu →
 * Dropout .2 → BatchNorm → Dense 128 relu → Dropout .2 → Dense 10; Glorot-uniform; Adam 1e-3,
 * eps 1e-7; batch 64; 15 epochs) trained with `fit` (Keras style) and with a manual loop
 * (PyTorch style) on the default engine. Compare with apps/bench/peers/fmnist_mlp_torch.py.
 *
 *   npx tsx src/mlp-parity.ts [epochs] [keras|torch|both]
 */
import {
  Sequential, layers, losses, manualSeed, nn, optim, optimizers, scope, tensor, useBackend, type Tensor,
} from '@nn/core';
import { tfjs } from '@nn/backend-tfjs';
import { DataLoader, Dataset } from '@nn/data';
import { locateData, loadSplit } from './data';
import { evaluateAccuracy } from './train';

const epochs = Number(process.argv[2] ?? 15);
const which = process.argv[3] ?? 'both';

class TorchStyleMlp extends nn.Module {
  fc1 = new nn.Linear(784, 256);
  drop1 = new nn.Dropout(0.2);
  bn = new nn.BatchNorm1d(256); // PyTorch defaults, as the PyTorch peer
  fc2 = new nn.Linear(256, 128);
  drop2 = new nn.Dropout(0.2);
  fc3 = new nn.Linear(128, 10);
  constructor() {
    super();
    for (const l of [this.fc1, this.fc2, this.fc3]) {
      nn.init.xavierUniform_(l.weight);
      nn.init.zeros_(l.bias!);
    }
  }
  override forward(x: Tensor) {
    const h = this.bn(this.drop1(this.fc1(x).relu()));
    return this.fc3(this.drop2(this.fc2(h).relu()));
  }
}

async function main() {
  const be = await useBackend(tfjs());
  const { dir } = locateData();
  const tr = await loadSplit(dir, 'train'), te = await loadSplit(dir, 'test');
  const out: Record<string, unknown> = { engine: be.name, epochs };
  if (which !== 'torch') {
    manualSeed(0);
    const model = new Sequential([
      layers.Dense(256, { activation: 'relu', inputShape: [784] }), layers.Dropout(0.2), layers.BatchNormalization(),
      layers.Dense(128, { activation: 'relu' }), layers.Dropout(0.2), layers.Dense(10),
    ]);
    model.compile({ optimizer: optimizers.Adam({ learningRate: 1e-3, epsilon: 1e-7 }), loss: losses.SparseCategoricalCrossentropy({ fromLogits: true }), metrics: ['accuracy'] });
    const t0 = performance.now();
    await model.fit(tensor(tr.x, [tr.n, 784]), tensor(tr.y, [tr.n], { dtype: 'int32' }), { epochs, batchSize: 64, verbose: 2, seed: 0 });
    out.keras = { testAccuracy: evaluateAccuracy(model, te.x, te.y), seconds: (performance.now() - t0) / 1000 };
    console.log('keras', out.keras);
  }
  if (which !== 'keras') {
    manualSeed(0);
    const net = new TorchStyleMlp();
    const opt = new optim.Adam(net.parameters(), { lr: 1e-3, eps: 1e-7 });
    const rows = Array.from({ length: tr.n }, (_, i) => ({ x: tr.x.subarray(i * 784, i * 784 + 784), y: tr.y[i]! }));
    const loader = new DataLoader(Dataset.fromItems(rows), { batchSize: 64, shuffle: true, seed: 0 });
    const t0 = performance.now();
    for (let e = 0; e < epochs; e++) {
      net.train();
      for await (const [x, y] of loader) {
        scope(() => {
          opt.zeroGrad();
          const loss = nn.functional.crossEntropy(net(x), y!);
          loss.backward();
          opt.step();
        });
        x.dispose();
        y!.dispose();
      }
      console.log(`torch-style epoch ${e + 1}: test accuracy ${evaluateAccuracy(net, te.x, te.y).toFixed(4)}`);
    }
    out.torchStyle = { testAccuracy: evaluateAccuracy(net, te.x, te.y), seconds: (performance.now() - t0) / 1000 };
    console.log('torch-style', out.torchStyle);
  }
  console.log(JSON.stringify(out));
}
void main();
