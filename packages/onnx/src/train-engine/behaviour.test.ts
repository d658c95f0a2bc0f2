import { describe, expect, it } from 'vitest';
import { bernoulli, Generator, manualSeed, nn, optim, optimizers, randint, randn, scope, tensor, trace, type Optimizer, type RandomHost, type Tensor } from '@nn/core';
import { cudaProviderInstalled } from '../serve/session';
import { compileTrainStep } from './compile';
import { ortEngine } from './engine';
import { TrainStepInputError } from './errors';

const loss = (y: Tensor, p: Tensor) => nn.functional.crossEntropy(p, y);

function data(n: number, b: number, d: number, c: number) {
  manualSeed(21);
  return Array.from({ length: n }, () => ({ x: randn([b, d]), y: randint(0, c, [b]) }));
}

function eager(m: nn.Module, o: Optimizer, batches: { x: Tensor; y: Tensor }[], each?: (i: number) => void) {
  return batches.map(({ x, y }, i) => {
    each?.(i);
    return scope(() => {
      const l = loss(y, m(x) as Tensor);
      o.zeroGrad();
      l.backward();
      o.step();
      return l.item();
    });
  });
}

class Noisy extends nn.Module {
  fc = new nn.Linear(6, 3);
  override forward(x: Tensor) {
    return this.fc(x.add(randn(x.shape).mul(0.1))); // Gaussian noise: not a dropout mask
  }
}

class Pooled extends nn.Module {
  fc0 = new nn.Linear(16, 16);
  fc = new nn.Linear(4, 3);
  override forward(x: Tensor) {
    const h = this.fc0(x).reshape([x.shape[0]!, 4, 4, 1]);
    // Overlapping windows: their gradient needs ScatterElements(add), opset ≥ 16 (tiling ones lower at any opset).
    return this.fc(nn.functional.maxPool2d(h, { kernelSize: 3, strides: 1 }).reshape([x.shape[0]!, 4]));
  }
}

class Peeking extends nn.Module {
  fc = new nn.Linear(6, 3);
  override forward(x: Tensor) {
    return this.fc(x.mul(x.abs().max().item() > 100 ? 0.5 : 1)); // reads a value: data-dependent
  }
}

/** Run the same model eagerly and with the engine; the engine must fall back and give eager's exact losses. */
async function fallbackCase(make: () => nn.Module, d: number, opts: { opset?: number } = {}) {
  const batches = data(4, 8, d, 3);
  manualSeed(2);
  const m1 = make();
  const want = eager(m1, new optim.SGD(m1.parameters(), { lr: 0.1 }), batches);
  manualSeed(2);
  const m2 = make();
  const reasons: string[] = [];
  const e = await compileTrainStep(m2, { optimizer: new optim.SGD(m2.parameters(), { lr: 0.1 }), loss, inputShape: [d], ...opts, onFallback: (r) => reasons.push(r) });
  const got: number[] = [];
  for (const b of batches) got.push(await e.step(b.x, b.y));
  await e.dispose();
  return { want, got, reasons, engine: e };
}

describe('ort engine: what it cannot compile runs eagerly, with the reason', () => {
  it('any random op compiles (Gaussian noise here): its draws are replayed per step from the same generator, not frozen into the graph', async () => {
    const r = await fallbackCase(() => new Noisy(), 6);
    expect(r.reasons).toHaveLength(0);
    // Step 1 eager (it makes the optimizer's state), then compiled.
    expect(r.engine.counts).toEqual({ ort: 3, eager: 1 });
    expect(r.engine.graphInfo['8|train']!.masks).toBe(1);
    // float32 graph vs float64 eager: 1e-5 relative (as the parity tests); a frozen noise draw would differ by > 1e-3 here.
    r.got.forEach((v, i) => expect(Math.abs(v - r.want[i]!)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(r.want[i]!))));
  });

  it('random numbers drawn from a Generator outside core random ops are refused (they would be frozen), naming the module', async () => {
    class Jitter extends nn.Module {
      g = new Generator(3);
      override forward(x: Tensor) { return x.add(tensor(Array.from({ length: x.shape[1]! }, () => this.g.next() - 0.5))); }
    }
    const r = await fallbackCase(() => new nn.Sequential(new Jitter(), new nn.Linear(6, 3)), 6);
    expect(r.got).toEqual(r.want);
    expect(r.reasons[0]).toMatch(/random numbers drawn in 0 \(\d+ draws from a Generator\)/);
    expect(r.engine.counts).toEqual({ ort: 0, eager: 4 });
  });

  it('a kernel with no ONNX form at the asked opset names the kernel (max-pool gradient below opset 16)', async () => {
    const r = await fallbackCase(() => new Pooled(), 16, { opset: 15 });
    expect(r.got).toEqual(r.want);
    expect(r.reasons[0]).toMatch(/kernel "maxPoolGrad".*opset 16/);
  });

  it('the same model compiles at opset 17 and matches eager', async () => {
    const r = await fallbackCase(() => new Pooled(), 16);
    expect(r.reasons).toEqual([]);
    expect(r.engine.counts.ort).toBe(3);
    // float32 graph vs float64 eager, 4 steps: see parity.test.ts for the tolerance's reasoning.
    r.got.forEach((v, i) => expect(Math.abs(v - r.want[i]!)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(r.want[i]!))));
  });

  it('a PyTorch loss module (new nn.CrossEntropyLoss()) is called as (input, target), like the function loss', async () => {
    const batches = data(3, 8, 6, 3);
    const run = async (l: Parameters<typeof compileTrainStep>[1]['loss']) => {
      manualSeed(4);
      const m = new nn.Sequential(new nn.Linear(6, 5), new nn.ReLU(), new nn.Linear(5, 3));
      const e = await compileTrainStep(m, { optimizer: new optim.SGD(m.parameters(), { lr: 0.1 }), loss: l, inputShape: [6], device: 'cpu' });
      const out: number[] = [];
      for (const { x, y } of batches) out.push(await e.step(x, y));
      await e.dispose();
      return out;
    };
    const want = await run(loss), got = await run(new nn.CrossEntropyLoss() as never);
    expect(got).toEqual(want); // same graph, same numbers; (yTrue, yPred) order would fail on the targets' shape
  });

  it('a forward that reads tensor values cannot be traced', async () => {
    const r = await fallbackCase(() => new Peeking(), 6);
    expect(r.got).toEqual(r.want);
    expect(r.reasons[0]).toMatch(/tracing failed: Cannot read tensor values while tracing/);
  });

  it("device 'auto' picks CUDA only where onnxruntime-node has its provider, else CPU (and says so)", async () => {
    const m = new nn.Linear(6, 3);
    const e = await ortEngine().compile(m, { optimizer: new optim.SGD(m.parameters(), { lr: 0.1 }), losses: [loss] }, { x: [6], y: [], yDtype: 'int32' });
    manualSeed(1);
    for (let i = 0; i < 2; i++) await e.step(randn([4, 6]), randint(0, 3, [4]));
    expect(e.device).toBe(cudaProviderInstalled().installed ? 'cuda' : 'cpu');
    expect(e.counts).toEqual({ ort: 1, eager: 1 });
    await e.dispose();
  });

  it('int32 inputs beyond 2^24 are refused: the float32 graph input would round them to other ids', async () => {
    const m = new nn.Sequential(new nn.Embedding(4, 2), new nn.Flatten(), new nn.Linear(6, 3));
    const e = await compileTrainStep(m, { optimizer: new optim.SGD(m.parameters(), { lr: 0.1 }), loss, inputShape: [3] });
    await expect(e.step(Int32Array.from([0, 1, 16_777_217]), new Int32Array(1))).rejects.toThrow(/x should be int32 values within ±2\^24 .*got 16777217 at flat index 2/);
  });

  it('infer: inference-mode outputs from the engine, eager-equal; undefined for a tensor of another sample shape', async () => {
    manualSeed(6);
    const m = new nn.Sequential(new nn.Linear(6, 8), new nn.ReLU(), new nn.Dropout(0.5), new nn.Linear(8, 3));
    const e = await compileTrainStep(m, { optimizer: new optim.Adam(m.parameters(), { lr: 0.01 }), loss, inputShape: [6] });
    for (const b of data(3, 8, 6, 3)) await e.step(b.x, b.y);
    const x = randn([5, 6]);
    const got = await e.infer(x);
    e.sync();
    m.eval();
    const want = Array.from(m(x).dataSync() as ArrayLike<number>);
    m.train();
    expect(got!.dims).toEqual([5, 3]);
    // float32 graph vs float64 eager forward, values of order 1: 1e-5.
    Array.from(got!.data).forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThanOrEqual(1e-5));
    expect(await e.infer(randn([5, 4]))).toBeUndefined();
    expect(e.counts.ort + e.counts.eager).toBe(3); // no step counted
  });

  it('bad batches are clear errors', async () => {
    const m = new nn.Linear(6, 3);
    const e = await compileTrainStep(m, { optimizer: new optim.SGD(m.parameters(), { lr: 0.1 }), loss, inputShape: [6] });
    await expect(e.step(new Float32Array(10), new Int32Array(1))).rejects.toThrow(TrainStepInputError);
    await expect(e.step(new Float32Array(10), new Int32Array(1))).rejects.toThrow(/x should be a multiple of 6 values .*got 10 values/);
    await expect(e.step(new Float32Array(12), new Int32Array(3))).rejects.toThrow(/y should be 2 rows like x, got 3 rows/);
  });
});

describe('ort engine: state that changes between steps', () => {
  const lrCases: [string, (m: nn.Module) => Optimizer][] = [
    ['SGD momentum', (m) => new optim.SGD(m.parameters(), { lr: 0.1, momentum: 0.5 })],
    ['Adam (constants from its formulas)', (m) => new optim.Adam(m.parameters(), { lr: 0.1 })],
  ];
  for (const [name, makeOpt] of lrCases) {
    it(`a learning-rate change mid-run (scheduler) reaches the compiled ${name} step`, async () => {
      const batches = data(8, 8, 6, 3);
      const lrAt = (i: number) => (i < 4 ? 0.1 : 0.02);
      manualSeed(3);
      const m1 = new nn.Sequential(new nn.Linear(6, 8), new nn.ReLU(), new nn.Linear(8, 3));
      const o1 = makeOpt(m1);
      const want = eager(m1, o1, batches, (i) => (o1.lr = lrAt(i)));
      manualSeed(3);
      const m2 = new nn.Sequential(new nn.Linear(6, 8), new nn.ReLU(), new nn.Linear(8, 3));
      const o2 = makeOpt(m2);
      const e = await compileTrainStep(m2, { optimizer: o2, loss, inputShape: [6] });
      const got: number[] = [];
      for (const [i, b] of batches.entries()) {
        o2.lr = lrAt(i);
        got.push(await e.step(b.x, b.y));
      }
      e.sync();
      expect(e.counts.ort).toBe(7);
      // 1e-5 relative: float32 vs float64 over 8 steps (parity.test.ts); a stale lr of 0.1 after step 4 differs by > 1e-3.
      got.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(want[i]!))));
      const w1 = m1.namedParameters()[0]![1].dataSync(), w2 = m2.namedParameters()[0]![1].dataSync();
      expect(Math.max(...Array.from(w1, (v, i) => Math.abs(v - w2[i]!)))).toBeLessThanOrEqual(1e-5);
    });
  }

  const scheduled: [string, (lr: (step: number) => number) => Optimizer][] = [
    ['SGD momentum', (lr) => optimizers.SGD({ learningRate: lr, momentum: 0.5 })],
    ['RMSprop momentum', (lr) => optimizers.RMSprop({ learningRate: lr, momentum: 0.5 })],
    ['Adagrad', (lr) => optimizers.Adagrad({ learningRate: lr })],
  ];
  for (const [name, makeOpt] of scheduled) {
    it(`a Keras learning-rate schedule (piecewise: no change between the two compile-time traces) is followed step by step: ${name}`, async () => {
      const batches = data(8, 8, 6, 3);
      const schedule = (step: number) => (step < 4 ? 0.1 : 0.01);
      const make = () => {
        manualSeed(3);
        return new nn.Sequential(new nn.Linear(6, 8), new nn.ReLU(), new nn.Linear(8, 3));
      };
      const m1 = make();
      const o1 = makeOpt(schedule) as Optimizer & { bind(p: Iterable<Tensor>): void };
      o1.bind(m1.parameters());
      const want = eager(m1, o1, batches);
      const m2 = make();
      const e = await compileTrainStep(m2, { optimizer: makeOpt(schedule), loss, inputShape: [6] });
      const got: number[] = [];
      for (const b of batches) got.push(await e.step(b.x, b.y));
      // The schedule's lr reaches the graph through optimizer.hostStep() as a per-step input.
      expect(e.graphInfo['8|train']!.scalars).toBeGreaterThan(0);
      // 1e-5 relative as above; keeping lr 0.1 after step 4 would differ by > 1e-3.
      got.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(want[i]!))));
      expect(e.optimizer.stateDict().iterations).toBe(8);
    });
  }

  it("Adam's per-step scalars come from its formulas (hostStep); an optimizer whose declared scalars disagree with its update trains eagerly, with the reason", async () => {
    /** An Adam whose declared scalars are one step stale: the engine must refuse to compile with them. */
    class StaleAdam extends optim.Adam {
      protected override updateScalars(p: Tensor, s: { step: number; buffers: Record<string, Tensor> }, h: Parameters<optim.Adam['updateScalars']>[2]) {
        s.step--;
        try {
          return super.updateScalars(p, s, h);
        } finally {
          s.step++;
        }
      }
    }
    const batches = data(12, 8, 6, 3);
    const run = async (make: (m: nn.Module) => Optimizer) => {
      manualSeed(4);
      const m = new nn.Sequential(new nn.Linear(6, 5), new nn.ReLU(), new nn.Linear(5, 3));
      const reasons: string[] = [];
      const e = await compileTrainStep(m, { optimizer: make(m), loss, inputShape: [6], onFallback: (r) => reasons.push(r) });
      const got: number[] = [];
      for (const b of batches) got.push(await e.step(b.x, b.y));
      await e.dispose();
      return { got, counts: e.counts, reasons, info: e.graphInfo['8|train'] };
    };
    const byFormula = await run((m) => new optim.Adam(m.parameters(), { lr: 0.05 }));
    const stale = await run((m) => new StaleAdam(m.parameters(), { lr: 0.05 }));
    manualSeed(4);
    const m = new nn.Sequential(new nn.Linear(6, 5), new nn.ReLU(), new nn.Linear(5, 3));
    const want = eager(m, new optim.Adam(m.parameters(), { lr: 0.05 }), batches);
    // Two per-step scalars per parameter (√(1 − β₂ᵗ) and lr/(1 − β₁ᵗ)); β, ε are compiled in.
    expect(byFormula.info!.scalars).toBe(2 * 4);
    expect(byFormula.counts).toEqual({ ort: 11, eager: 1 });
    expect(stale.counts).toEqual({ ort: 0, eager: 12 });
    expect(stale.reasons.join(' ')).toMatch(/declared scalar #\d+ .* but its update uploaded/);
    // Both follow eager Adam's bias corrections step by step (a stale correction moves the loss by ≥ 1e-3 here).
    for (const r of [byFormula, stale]) r.got.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(want[i]!))));
  });

  it('changing another hyperparameter (momentum) mid-run recompiles instead of using the stale constant', async () => {
    const batches = data(6, 8, 6, 3);
    manualSeed(3);
    const m1 = new nn.Sequential(new nn.Linear(6, 8), new nn.ReLU(), new nn.Linear(8, 3));
    const o1 = new optim.SGD(m1.parameters(), { lr: 0.1, momentum: 0.9 });
    const want = eager(m1, o1, batches, (i) => i === 3 && (o1.paramGroups[0]!.momentum = 0.1));
    manualSeed(3);
    const m2 = new nn.Sequential(new nn.Linear(6, 8), new nn.ReLU(), new nn.Linear(8, 3));
    const o2 = new optim.SGD(m2.parameters(), { lr: 0.1, momentum: 0.9 });
    const e = await compileTrainStep(m2, { optimizer: o2, loss, inputShape: [6] });
    const got: number[] = [];
    for (const [i, b] of batches.entries()) {
      if (i === 3) o2.paramGroups[0]!.momentum = 0.1;
      got.push(await e.step(b.x, b.y));
    }
    // 1e-5 relative as above; momentum 0.9 kept after step 3 would differ by > 1e-3.
    got.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(want[i]!))));
  });

  it('freezing a module between steps (requiresGrad_(false)) compiles another graph: its weights stay, the rest matches eager', async () => {
    const batches = data(6, 8, 6, 3);
    const make = () => {
      manualSeed(5);
      const first = new nn.Linear(6, 8);
      return { first, m: new nn.Sequential(first, new nn.ReLU(), new nn.Linear(8, 3)) };
    };
    const a = make();
    const want = eager(a.m, new optim.Adam(a.m.parameters(), { lr: 0.01 }), batches, (i) => i === 3 && a.first.requiresGrad_(false));
    const b = make();
    const e = await compileTrainStep(b.m, { optimizer: new optim.Adam(b.m.parameters(), { lr: 0.01 }), loss, inputShape: [6] });
    const got: number[] = [];
    let atFreeze: number[] = [];
    for (const [i, batch] of batches.entries()) {
      if (i === 3) {
        e.sync();
        atFreeze = Array.from(b.first.weight.dataSync());
        b.first.requiresGrad_(false);
      }
      got.push(await e.step(batch.x, batch.y));
    }
    e.sync();
    // Before, the step graph compiled with every weight trainable kept updating the frozen Linear.
    expect(Array.from(b.first.weight.dataSync())).toEqual(atFreeze);
    expect(Object.keys(e.graphSizes)).toHaveLength(2);
    got.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(want[i]!))));
  });

  it('switching a module to eval mode compiles a second graph (dropout off), matching eager', async () => {
    const batches = data(6, 8, 6, 3);
    const make = () => {
      manualSeed(4);
      return new nn.Sequential(new nn.Linear(6, 8), new nn.ReLU(), new nn.Dropout(0.5, { seed: 9 }), new nn.Linear(8, 3));
    };
    const m1 = make();
    const want = eager(m1, new optim.Adam(m1.parameters(), { lr: 0.01 }), batches, (i) => m1.train(i < 3));
    const m2 = make();
    const e = await compileTrainStep(m2, { optimizer: new optim.Adam(m2.parameters(), { lr: 0.01 }), loss, inputShape: [6] });
    const got: number[] = [];
    for (const [i, b] of batches.entries()) {
      m2.train(i < 3);
      got.push(await e.step(b.x, b.y));
    }
    expect(Object.keys(e.graphSizes).sort()).toEqual(['8|eval', '8|train']);
    got.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(want[i]!))));
  });

  it('a traced random draw replays exactly as core draws it eagerly (same generator, same order)', () => {
    const g1 = new Generator(42), g2 = new Generator(42);
    const want = bernoulli([3, 50], 0.7, { generator: g1 }).dataSync();
    const t = trace(() => bernoulli([3, 50], 0.7, { generator: g2 }), []);
    const host = t.values.get(t.hosts![0]!)!.host as RandomHost;
    expect(host.dist).toBe('bernoulli');
    expect(host.params).toEqual({ p: 0.7 });
    // Tracing drew nothing: the generator is where it was.
    expect(g2.getState()).toEqual(new Generator(42).getState());
    const got = new Float32Array(150);
    host.draw(got);
    expect(Array.from(got)).toEqual(Array.from(want, Number));
    expect(g2.getState()).toEqual(g1.getState());
  });
});
