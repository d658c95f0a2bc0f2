/**
 * Custom layers: a Keras-style `Layer` with `addWeight`, and a PyTorch-style `nn.Module` with
 * `nn.Parameter` — the same linear layer in both doors, each trained to fit y = 3x₁ − 2x₂ + 1.
 *
 *   npx tsx src/custom-layers.ts
 */
import {
  Layer, Sequential, nn, optim, optimizers, noGrad, matmul, cat, randn, tensor, manualSeed, type Tensor,
} from '@nn/core';
import { check, runIfMain, setup, type ExampleOptions } from './common';

// ---- Keras door: weights made with addWeight, the computation in call() ----
export class MyLinear extends Layer {
  w: Tensor;
  b: Tensor;
  constructor(units = 32, inputDim = 32) {
    super();
    this.w = this.addWeight({ shape: [inputDim, units], initializer: 'randomNormal' });
    this.b = this.addWeight({ shape: [units], initializer: 'zeros' });
  }
  override call(inputs: Tensor): Tensor {
    return inputs.matmul(this.w).add(this.b);
  }
}

// ---- PyTorch door: parameters assigned as fields, the computation in forward() ----
export class MyTorchLinear extends nn.Module {
  weight: nn.Parameter;
  bias: nn.Parameter;
  constructor(inUnits: number, units: number) {
    super();
    this.weight = new nn.Parameter(randn([inUnits, units]));
    this.bias = new nn.Parameter(randn([units]));
  }
  override forward(X: Tensor): Tensor {
    return matmul(X, this.weight).add(this.bias);
  }
}

/** Two branches on the same input, concatenated (modules are callable). */
export class AdvancedModel extends nn.Module {
  layer1 = new nn.Linear(3, 64);
  layer2 = new nn.Linear(3, 128);
  override forward(x: Tensor): Tensor {
    return cat([this.layer1(x), this.layer2(x)], 1);
  }
}

function data(n: number): { x: Tensor; y: Tensor } {
  const x = randn([n, 2]);
  const y = x.matmul(tensor([[3], [-2]])).add(1); // y = 3x₁ − 2x₂ + 1
  return { x, y };
}

export async function main(opts: ExampleOptions = {}): Promise<void> {
  await setup();
  manualSeed(1);
  const epochs = opts.small ? 30 : 60;
  const { x, y } = data(256);

  // Keras style: the custom layer inside a Sequential, compile + fit.
  const layer = new MyLinear(1, 2);
  console.log(`MyLinear weights: ${layer.weights.map((w) => `${w.name} ${JSON.stringify(w.shape)}`).join(', ')}`);
  const model = new Sequential([layer]);
  model.compile({ optimizer: optimizers.SGD({ learningRate: 0.1 }), loss: 'mse' });
  const h = await model.fit(x, y, { epochs, batchSize: 32, verbose: 0 });
  const kerasLoss = h.history.loss!.at(-1)!;
  console.log(`Keras door: after ${epochs} epochs loss ${kerasLoss.toExponential(2)}, w = ${fmtArr(layer.w)}, b = ${fmtArr(layer.b)}`);
  check(kerasLoss < 1e-3, 'the Keras custom layer learns the line');

  // PyTorch style: the custom module, an optimizer over its parameters, a manual loop.
  const lin = new MyTorchLinear(2, 1);
  console.log(`MyTorchLinear parameters: ${lin.namedParameters().map(([n, p]) => `${n} ${JSON.stringify(p.shape)}`).join(', ')}`);
  const opt = new optim.SGD(lin.parameters(), { lr: 0.1 });
  let last = NaN;
  for (let step = 0; step < epochs * 2; step++) {
    opt.zeroGrad();
    const loss = nn.functional.mseLoss(lin(x), y);
    loss.backward();
    opt.step();
    last = loss.item();
    loss.dispose();
  }
  console.log(`PyTorch door: after ${epochs * 2} full-batch steps loss ${last.toExponential(2)}, weight = ${fmtArr(lin.weight)}, bias = ${fmtArr(lin.bias)}`);
  check(last < 1e-3, 'the PyTorch custom module learns the line');

  // nn.init, apply(noGrad(...)), stateDict / loadStateDict, eval().
  const linear = new nn.Linear(20, 30);
  nn.init.uniform_(linear.weight);
  const wv = linear.weight.dataSync();
  console.log(`nn.init.uniform_: weights in [${Math.min(...wv).toFixed(3)}, ${Math.max(...wv).toFixed(3)}] (U(0, 1))`);
  const net = new AdvancedModel();
  net.apply(noGrad((m: nn.Module) => { if (m instanceof nn.Linear) m.weight.fill_(1.0); }));
  const out = net(tensor([[1, 2, 3]]));
  console.log(`AdvancedModel: output shape ${JSON.stringify(out.shape)}; with weights 1 every unit is 1+2+3+bias, e.g. ${out.dataSync()[0]!.toFixed(3)} (bias ${net.layer1.bias!.dataSync()[0]!.toFixed(3)})`);
  check(out.shape[1] === 192, 'cat of 64 and 128 units');
  const sd = net.stateDict();
  console.log(`stateDict keys: ${Object.keys(sd).join(', ')}`);
  const copy = new AdvancedModel();
  copy.loadStateDict(sd);
  check(copy.layer2.weight.dataSync().every((v) => v === 1), 'loadStateDict copies the weights');
  net.eval();
  console.log(`net.eval(): net.training = ${net.training}, net.layer1.training = ${net.layer1.training}`);
}

const fmtArr = (t: Tensor) => `[${Array.from(t.dataSync(), (v) => v.toFixed(3)).join(', ')}]`;

runIfMain(import.meta.url, main);
