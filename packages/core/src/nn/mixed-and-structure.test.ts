import { describe, expect, it } from 'vitest';
import { Input, Model, Sequential, layers, manualSeed, nn, optim, optimizers, randn, tensor, type Tensor } from '../index';
import type { Module } from './module';

// Mixing the doors (issue 3): a Keras layer inside an nn.Module and an nn.Module inside a
// functional Model both train, with fit and with the PyTorch loop. The data is a noiseless linear
// regression y = x·W*, so a model that trains drives the MSE far down; "falls" is asserted as the
// last loss below a third of the first (observed: below a tenth), robust to the random init.
function data(seed = 7) {
  manualSeed(seed);
  const x = randn([64, 4]);
  const w = tensor([[1, -1], [0.5, 2], [-1.5, 0.5], [1, 1]]);
  return { x, y: x.matmul(w) };
}
const snapshot = (ps: Tensor[]) => ps.map((p) => Float64Array.from(p.dataSync()));
const changed = (before: Float64Array[], ps: Tensor[]) => ps.map((p, i) => p.dataSync().some((v, k) => v !== before[i]![k]));

/** PyTorch-style module with a Keras Dense inside. */
class TorchWithKeras extends nn.Module {
  dense = layers.Dense(8, { inputDim: 4, activation: 'tanh' });
  head = new nn.Linear(8, 2);
  override forward(x: Tensor) { return this.head(this.dense(x)); }
}
/** A plain PyTorch-style block, to be used inside a functional Model. */
class TorchBlock extends nn.Module {
  fc = new nn.Linear(4, 8);
  override forward(x: Tensor) { return this.fc(x).tanh(); }
}
function kerasWithTorch() {
  const inputs = Input({ shape: [4] });
  const block = new TorchBlock();
  const outputs = layers.Dense(2)(block(inputs) as never);
  return { model: Model({ inputs, outputs }), block };
}

async function fitFalls(model: Module, ownParams: Tensor[]) {
  const { x, y } = data();
  const before = snapshot(ownParams);
  const h = await model.fit(x, y, { epochs: 25, batchSize: 16, verbose: 0 });
  const loss = h.history.loss!;
  expect(loss[loss.length - 1]!).toBeLessThan(loss[0]! / 3);
  expect(changed(before, ownParams)).toEqual(ownParams.map(() => true));
}
function manualFalls(model: Module, ownParams: Tensor[]) {
  const { x, y } = data(8);
  const before = snapshot(ownParams);
  const opt = new optim.Adam(model.parameters(), { lr: 0.05 });
  const losses: number[] = [];
  for (let step = 0; step < 60; step++) {
    opt.zeroGrad();
    const loss = nn.functional.mseLoss(model(x) as Tensor, y);
    loss.backward();
    for (const p of ownParams) expect(p.grad, 'every parameter of both doors gets a gradient').not.toBeNull();
    opt.step();
    losses.push(loss.item());
  }
  expect(losses[59]!).toBeLessThan(losses[0]! / 3);
  expect(changed(before, ownParams)).toEqual(ownParams.map(() => true));
}

describe('a Keras layer inside an nn.Module', () => {
  it('its weights are the module\'s parameters, under the property name', () => {
    const net = new TorchWithKeras();
    expect(net.namedParameters().map(([n]) => n)).toEqual(['dense.kernel', 'dense.bias', 'head.weight', 'head.bias']);
  });
  it('trains with fit (Keras optimizer)', async () => {
    const net = new TorchWithKeras();
    net.compile({ optimizer: optimizers.Adam({ learningRate: 0.05 }), loss: 'mse' });
    await fitFalls(net, [net.dense.kernel, net.head.weight]);
  });
  it('trains with the PyTorch loop', () => {
    const net = new TorchWithKeras();
    manualFalls(net, [net.dense.kernel, net.dense.bias!, net.head.weight]);
  });
});

describe('an nn.Module inside a functional Model', () => {
  it('its parameters are the model\'s parameters', () => {
    const { model, block } = kerasWithTorch();
    const ps = model.parameters();
    expect(ps).toContain(block.fc.weight);
    expect(ps).toContain(block.fc.bias);
    expect(ps.length).toBe(4);
  });
  it('trains with fit (Keras optimizer)', async () => {
    const { model, block } = kerasWithTorch();
    model.compile({ optimizer: optimizers.Adam({ learningRate: 0.05 }), loss: 'mse' });
    await fitFalls(model, [block.fc.weight, block.fc.bias!]);
  });
  it('trains with the PyTorch loop', () => {
    const { model, block } = kerasWithTorch();
    manualFalls(model, [block.fc.weight, block.fc.bias!]);
  });
});

describe('children(), modules(), zeroGrad()', () => {
  class Block extends nn.Module {
    a = new nn.Linear(2, 2);
    b = new nn.ReLU();
    override forward(x: Tensor) { return this.b(this.a(x)); }
  }
  class Net extends nn.Module {
    shared = new nn.Linear(2, 2);
    block = new Block();
    list = [new nn.Linear(2, 2), new nn.Tanh()];
    alias = this.shared; // the same module under a second name
    scale = 3;
    t = tensor([1, 2]);
    override forward(x: Tensor) { return this.alias(this.list[0]!(this.block(this.shared(x)))); }
  }

  it('children(): direct submodules in declaration order (arrays included, aliases repeated as PyTorch does), no grandchildren, no tensors', () => {
    const net = new Net();
    expect([...net.namedChildren()].map(([n]) => n)).toEqual(['shared', 'block', 'list.0', 'list.1', 'alias']);
    const kids = [...net.children()];
    expect(kids).toEqual([net.shared, net.block, net.list[0], net.list[1], net.shared]);
    expect(kids).not.toContain(net.block.a);
  });

  it('modules(): this module first, then every descendant depth-first, each instance once', () => {
    const net = new Net();
    const mods = [...net.modules()];
    expect(mods).toEqual([net, net.shared, net.block, net.block.a, net.block.b, net.list[0], net.list[1]]);
    expect([...net.namedModules()].map(([n]) => n)).toEqual(['', 'shared', 'block', 'block.a', 'block.b', 'list.0', 'list.1']);
    // A shared module's parameters are listed once too.
    expect(net.parameters().length).toBe(6);
    expect([...new nn.ReLU().modules()]).toHaveLength(1);
    expect([...new nn.ReLU().children()]).toHaveLength(0);
  });

  it('Keras containers: Sequential and functional Model list their layers as children', () => {
    const d1 = layers.Dense(3, { inputShape: [2] }), d2 = layers.Dense(1);
    const seq = new Sequential([d1, d2]);
    expect([...seq.children()]).toEqual([d1, d2]);
    expect([...seq.modules()]).toEqual([seq, d1, d2]);
    const inp = Input({ shape: [2] });
    const e1 = layers.Dense(3), e2 = layers.Dense(1);
    const m = Model({ inputs: inp, outputs: e2(e1(inp) as never) });
    expect([...m.children()]).toEqual([e1, e2]);
  });

  it('zeroGrad() clears every parameter gradient of the module and its descendants (non-trainable ones too), and only those', () => {
    const net = new Net();
    const other = new nn.Linear(2, 2);
    // Not trainable (optimizers skip it, parameters() omits it) but still requiring grad: it gets one.
    net.block.a.bias!.trainable = false;
    const x = tensor([[1, -1], [0.5, 2]]);
    net(x).sum().backward();
    other(x).sum().backward();
    expect(net.parameters().length).toBe(5);
    expect(net.parameters(true).filter((p) => p.grad !== null).length).toBe(6);
    net.block.zeroGrad();
    expect(net.block.a.weight.grad).toBeNull();
    expect(net.shared.weight.grad).not.toBeNull(); // outside the block: untouched
    expect(net.block.a.bias!.grad).toBeNull();
    net.zeroGrad();
    for (const p of net.parameters(true)) expect(p.grad).toBeNull();
    expect(other.weight.grad).not.toBeNull();
    // After zeroGrad, a backward pass gives a fresh (not accumulated) gradient.
    const first = Array.from(other.weight.grad!.dataSync());
    other.zeroGrad();
    other(x).sum().backward();
    expect(Array.from(other.weight.grad!.dataSync())).toEqual(first);
  });
});
