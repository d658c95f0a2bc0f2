import { describe, expect, it } from 'vitest';
import { bernoulli, Generator, isBaseOptimizer, isKerasOptimizer, isLayer, isModule, layers, nn, noGrad, optim, optimizers, rand, randn, randomFrom, scope, trace, Tensor, mean, memory, NNError, type RandomHost, type ScalarHost } from '../index';

describe('tracer', () => {
  it('records a forward + backward + SGD update as an op list, without computing', () => {
    const model = new nn.Linear(3, 2);
    const opt = new optim.SGD(model.parameters(), { lr: 0.1 });
    const before = Array.from(model.weight.dataSync());
    const t = trace(
      (x, y) => {
        const loss = mean(model(x).sub(y).square());
        opt.zeroGrad();
        loss.backward();
        opt.step();
        return loss;
      },
      [{ name: 'x', shape: [4, 3] }, { name: 'y', shape: [4, 2] }],
      { params: model.namedParameters() },
    );
    const kernels = t.ops.map((o) => o.kernel);
    // forward: x·Wᵀ (matmul with transposeB), + b, − y, square, mean
    expect(t.ops.find((o) => o.kernel === 'matmul' && o.attrs.transposeB === true)).toBeDefined();
    expect(kernels).toContain('reduce');
    // backward: the weight gradient is a second matmul; the bias gradient a sum over the batch
    expect(kernels.filter((k) => k === 'matmul').length).toBeGreaterThanOrEqual(2);
    // the update is recorded as assignments of both parameters to new values
    const named = [...t.values.values()].filter((v) => v.kind === 'external' && v.name);
    expect(named.map((v) => v.name).sort()).toEqual(['bias', 'weight']);
    for (const v of named) expect(t.assigns.has(v.id)).toBe(true);
    expect(t.inputs.length).toBe(2);
    expect(t.outputs.length).toBe(1);
    // nothing was computed or changed: weights and grads restored
    expect(Array.from(model.weight.dataSync())).toEqual(before);
    expect(model.weight.grad).toBeNull();
  });
  it('reading values while tracing is a clear error', () => {
    expect(() => trace((x) => x.sum().item(), [{ name: 'x', shape: [2] }])).toThrow(/Cannot read tensor values while tracing/);
  });
});

describe('bad input and autograd misuse are clear errors', () => {
  it('a shape mismatch names the op and both shapes', () => {
    expect(() => randn([2, 3]).matmul(randn([4, 5]))).toThrow(/matmul: inner dimensions differ: 3 \(a\) vs 4 \(b\) \(got \[2, 3\] and \[4, 5\]\)/);
    expect(() => randn([2, 3]).add(randn([4, 3]))).toThrow(/add: shapes cannot be broadcast together.*\[2, 3\] and \[4, 3\]/);
  });
  it('backward of a non-scalar without a gradient', () => {
    const w = randn([3], { requiresGrad: true });
    expect(() => w.mul(2).backward()).toThrow(/grad can be implicitly created only for scalar outputs; got shape \[3\]/);
  });
  it('backward through a freed graph, and of a tensor without grad', () => {
    const w = randn([3], { requiresGrad: true });
    const y = w.square().sum();
    y.backward();
    expect(() => y.backward()).toThrow(/second time/);
    expect(() => randn([1]).sum().backward()).toThrow(/does not require grad/);
  });
  it('use of a disposed tensor names the op', () => {
    const t = randn([2]);
    t.dispose();
    expect(() => t.add(1)).toThrow(/add: tensor #\d+ was already disposed/);
  });
  it('a wrong dtype names the op, expected and received', () => {
    expect(() => randn([2, 2]).gather(randn([2]), 0)).toThrow(/gather: expected dtype int32, got float32/);
    expect(() => noGrad(() => randn([2, 2]).int().matmul(randn([2, 2])))).toThrow(/matmul: expected dtype float32, got int32/);
  });
  it('scopes dispose intermediates but keep what they return and its graph', () => {
    const w = randn([3], { requiresGrad: true }).keep();
    const start = memory().numTensors;
    const loss = scope(() => w.mul(2).exp().sum());
    loss.backward(); // the returned loss's graph survived the scope
    expect(w.grad).not.toBeNull();
    expect(loss).toBeInstanceOf(Tensor);
    expect(() => scope(() => Promise.resolve(1) as never)).toThrow(NNError);
    void start;
  });
});

describe('tensors belong to the backend that made them', () => {
  it('using a tensor after switching backends is a clear error; reading it still works', async () => {
    const { useBackend, getBackend, referenceBackend, tensor } = await import('../index');
    const prev = getBackend();
    const a = referenceBackend();
    await useBackend(a);
    const t = tensor([1, 2, 3]);
    await useBackend(referenceBackend());
    try {
      expect(() => t.add(1)).toThrow(/add: tensor #\d+ \[3\] lives on backend "reference", but the active backend is "reference"/);
      expect(Array.from(t.dataSync())).toEqual([1, 2, 3]);
    } finally {
      await useBackend(prev);
    }
  });
});

describe('tracer: host values and module scopes (what compiled training steps build on)', () => {
  it("records an optimizer's scalars as host values of the parameter being updated, numbered in upload order, with their values", () => {
    const model = new nn.Linear(3, 2);
    const opt = new optim.Adam(model.parameters(), { lr: 0.01 });
    // One eager step makes the moment buffers (the state a compiled step carries).
    scope(() => {
      mean(model(randn([4, 3])).square()).backward();
      opt.step();
    });
    opt.zeroGrad();
    const c0 = opt.getCounters();
    const t = trace(
      (x) => {
        mean(model(x).square()).backward();
        opt.step();
        return [];
      },
      [{ name: 'x', shape: [4, 3] }],
      { params: model.namedParameters() },
    );
    opt.setCounters(c0);
    const hosts = t.hosts!.map((id) => t.values.get(id)!);
    const ofWeight = hosts.filter((v) => v.host?.role === 'scalar' && (v.host as ScalarHost).owner === model.weight);
    expect(ofWeight.map((v) => (v.host as ScalarHost).seq)).toEqual(ofWeight.map((_, i) => i));
    // The same numbers, in the same order, as the optimizer declares for its next step.
    const declared = opt.hostStep([model.weight, model.bias!])!;
    expect(ofWeight.map((v) => v.data![0])).toEqual(declared.get(model.weight));
    // hostStep counted one step; the learning rate and the bias corrections change from step to step, β and ε do not.
    expect(opt.getCounters().steps.get(model.weight)).toBe(c0.steps.get(model.weight)! + 1);
    const flags = opt.perStepScalars(model.weight)!;
    expect(flags).toHaveLength(declared.get(model.weight)!.length);
    expect(flags.filter(Boolean)).toHaveLength(2); // √(1 − β₂ᵗ), lr/(1 − β₁ᵗ)
  });

  it('randomFrom: a fill function of your own is a host value too (nothing drawn while tracing; each draw is the eager one)', () => {
    const fill = (g: Generator, out: { length: number; [i: number]: number }) => {
      for (let i = 0; i < out.length; i++) out[i] = g.int(5) - 2;
    };
    const g = new Generator(3);
    const t = trace(() => [randomFrom([2, 2], fill, { generator: g, dist: 'shifts' })], []);
    expect(g.getState()).toEqual(new Generator(3).getState());
    const h = t.values.get(t.hosts![0]!)!.host as RandomHost;
    expect(h.dist).toBe('shifts');
    const ref = new Generator(3);
    const first = Array.from(randomFrom([2, 2], fill, { generator: ref }).dataSync()), second = Array.from(randomFrom([2, 2], fill, { generator: ref }).dataSync());
    expect(first).not.toEqual(second); // fresh values per call: what a frozen constant would not give
    const a = new Float32Array(4), b = new Float32Array(4);
    h.draw(a);
    h.draw(b);
    expect([Array.from(a), Array.from(b)]).toEqual([first, second]);
    expect(g.getState()).toEqual(ref.getState());
  });

  it('a random op is a host value that draws, per call, exactly what the eager op would (nothing is drawn while tracing)', () => {
    const g = new Generator(7);
    const t = trace(() => [bernoulli([2, 3], 0.25, { generator: g }), rand([4], { generator: g })], []);
    expect(g.getState()).toEqual(new Generator(7).getState());
    const [a, b] = t.hosts!.map((id) => t.values.get(id)!.host as RandomHost);
    expect([a!.dist, b!.dist]).toEqual(['bernoulli', 'uniform']);
    const ref = new Generator(7);
    const wa = bernoulli([2, 3], 0.25, { generator: ref }).dataSync(), wb = rand([4], { generator: ref }).dataSync();
    const ga = new Float32Array(6), gb = new Float32Array(4); // float32 tensors: the eager op fills a Float32Array too
    a!.draw(ga);
    b!.draw(gb);
    expect(Array.from(ga)).toEqual(Array.from(wa));
    expect(Array.from(gb)).toEqual(Array.from(wb));
  });

  it('with modules, each op says which module recorded it (innermost wins)', () => {
    const net = new nn.Sequential(new nn.Linear(3, 4), new nn.ReLU(), new nn.Linear(4, 2));
    const t = trace((x) => net(x), [{ name: 'x', shape: [1, 3] }], { params: net.namedParameters(), modules: net.namedModules() });
    expect(new Set(t.ops.map((o) => o.scope))).toEqual(new Set(['0', '1', '2']));
    expect(t.ops.find((o) => o.kernel === 'unary')?.scope).toBe('1');
  });

  it('brand checks recognise core objects without instanceof (two copies of @nn/core interoperate)', () => {
    const l = layers.Dense(2);
    expect([isModule(l), isLayer(l), isLayer(new nn.Linear(1, 1)), isModule(new nn.Linear(1, 1))]).toEqual([true, true, false, true]);
    const o = optimizers.Adam();
    expect([isBaseOptimizer(o), isKerasOptimizer(o), isKerasOptimizer(new optim.SGD([randn([1], { requiresGrad: true })], { lr: 1 }))]).toEqual([true, true, false]);
    // A plain object carrying the shared Symbol.for key counts as branded (as another copy's instance would).
    expect(isLayer({ [Symbol.for('nn.Layer')]: true })).toBe(true);
    expect(isLayer({})).toBe(false);
  });
});
