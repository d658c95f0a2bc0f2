import { describe, expect, it } from 'vitest';
import { nn, noGrad, optim, randn, scope, trace, Tensor, mean, memory, NNError } from '../index';

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
