import { describe, expect, it } from 'vitest';
import { GradError, isGradEnabled, mod, nn, noGrad, optim, prod, tensor, withGrad, type Tensor } from './index';
import { gradCheck, type OpSpec } from './testing';

// PyTorch's autograd semantics, on the float64 reference backend (the default): every expected
// value below is a small exact computation, so comparisons are exact or to 1e-12.
const vals = (t: Tensor | null) => Array.from(t!.dataSync());
const leaf = (v: number[]) => tensor(v, undefined, { requiresGrad: true });

describe('gradients accumulate in .grad until cleared', () => {
  it('two backward() calls on two forward passes add up: 2x then 4x for sum(x²)', () => {
    const x = leaf([1, -2, 3]);
    x.square().sum().backward();
    expect(vals(x.grad)).toEqual([2, -4, 6]);
    x.square().sum().backward();
    expect(vals(x.grad)).toEqual([4, -8, 12]);
  });

  it('two backward() calls through one graph need retainGraph, and then accumulate too', () => {
    const x = leaf([1, 2]);
    const y = x.mul(3).sum();
    y.backward(undefined, { retainGraph: true });
    y.backward();
    expect(vals(x.grad)).toEqual([6, 6]);
    // The graph is freed now: a third pass is PyTorch's "backward through the graph a second time".
    expect(() => y.backward()).toThrow(/a second time/);
    expect(() => y.backward()).toThrow(GradError);
  });

  it('grad = null clears by hand; Module.zeroGrad() and optimizer.zeroGrad() clear every parameter', () => {
    const x = leaf([1, 2]);
    x.mul(x).sum().backward();
    x.grad = null;
    x.mul(5).sum().backward();
    expect(vals(x.grad)).toEqual([5, 5]); // not 2x + 5

    const lin = new nn.Linear(2, 1);
    const input = tensor([[1, 2], [3, 4]]);
    lin(input).sum().backward();
    const first = vals(lin.weight.grad);
    expect(first).toEqual([4, 6]); // Σ over the batch of the inputs
    lin(input).sum().backward();
    expect(vals(lin.weight.grad)).toEqual([8, 12]);
    lin.zeroGrad();
    expect(lin.weight.grad).toBeNull();
    expect(lin.bias!.grad).toBeNull();
    lin(input).sum().backward();
    expect(vals(lin.weight.grad)).toEqual(first);

    const opt = new optim.SGD(lin.parameters(), { lr: 0.1 });
    opt.zeroGrad();
    for (const p of lin.parameters()) expect(p.grad === null || vals(p.grad).every((v) => v === 0)).toBe(true);
    lin(input).sum().backward();
    expect(vals(lin.weight.grad)).toEqual(first);
  });

  it('a tensor used twice gets the sum of both paths (x·x + x → 2x + 1)', () => {
    const x = leaf([0.5, -1.5]);
    x.mul(x).add(x).sum().backward();
    expect(vals(x.grad)).toEqual([2, -2]);
  });

  it('backward with an upstream gradient is the vector-Jacobian product; non-leaf tensors keep no .grad', () => {
    const x = leaf([1, 2, 3]);
    const h = x.mul(x); // non-leaf
    const y = h.mul(2);
    y.backward(tensor([1, 0.5, -1]));
    expect(vals(x.grad)).toEqual([4, 4, -12]); // gy · 4x
    expect(h.isLeaf).toBe(false);
    expect(h.grad).toBeNull();
    expect(() => x.mul(2).backward()).toThrow(/only for scalar outputs/);
    expect(() => x.sum().backward(tensor([1, 2]))).toThrow(/gradient shape/);
  });
});

describe('detach() and noGrad() cut gradients', () => {
  it('detach(): same values, no graph; the detached path contributes nothing', () => {
    const x = leaf([2, 3]);
    const d = x.detach();
    expect(vals(d)).toEqual([2, 3]);
    expect(d.requiresGrad).toBe(false);
    expect(d.isLeaf).toBe(true);
    // d(x · stop(x))/dx = stop(x), not 2x.
    x.mul(d).sum().backward();
    expect(vals(x.grad)).toEqual([2, 3]);
    expect(d.grad).toBeNull();
    // A graph made only of detached values cannot be differentiated.
    expect(() => d.mul(2).sum().backward()).toThrow(/does not require grad/);
  });

  it('noGrad(fn): nothing recorded inside, the mode is restored after (also after a throw), nesting works', () => {
    const x = leaf([1, 2]);
    expect(isGradEnabled()).toBe(true);
    const y = noGrad(() => {
      expect(isGradEnabled()).toBe(false);
      const inner = withGrad(true, () => x.mul(2));
      expect(inner.requiresGrad).toBe(true); // withGrad(true) re-enables inside noGrad
      expect(isGradEnabled()).toBe(false);
      return x.mul(3);
    });
    expect(isGradEnabled()).toBe(true);
    expect(y.requiresGrad).toBe(false);
    expect(y.isLeaf).toBe(true);
    expect(() => y.sum().backward()).toThrow(GradError);
    expect(() => noGrad(() => { throw new Error('boom'); })).toThrow('boom');
    expect(isGradEnabled()).toBe(true);
    // Mixing: only the recorded path carries a gradient.
    const z = x.mul(x).add(noGrad(() => x.mul(100))).sum();
    z.backward();
    expect(vals(x.grad)).toEqual([2, 4]);
  });

  it('noGrad((m) => …) wraps a function (the nn.init / apply idiom) and in-place fills record nothing', () => {
    const lin = new nn.Linear(3, 2);
    lin.apply(noGrad((m: nn.Module) => { if (m instanceof nn.Linear) m.weight.fill_(1.0); }));
    expect(vals(lin.weight).every((v) => v === 1)).toBe(true);
    expect(lin.weight.isLeaf).toBe(true);
    expect(lin.weight.requiresGrad).toBe(true);
    const f = noGrad((a: Tensor) => a.mul(2));
    expect(f(lin.weight).requiresGrad).toBe(false);
  });
});

describe('requiresGrad propagation', () => {
  it('an op output requires grad iff some input does; integer and boolean results never do', () => {
    const a = leaf([1, 2]);
    const b = tensor([3, 4]);
    expect(b.requiresGrad).toBe(false);
    expect(a.isLeaf && b.isLeaf).toBe(true);
    const ab = a.add(b);
    expect(ab.requiresGrad).toBe(true);
    expect(ab.isLeaf).toBe(false);
    expect(b.mul(2).requiresGrad).toBe(false);
    expect(a.gt(1).requiresGrad).toBe(false);
    expect(a.argmax().requiresGrad).toBe(false);
    expect(a.int().requiresGrad).toBe(false);
    // The tensor that does not require grad gets no gradient.
    a.mul(b).sum().backward();
    expect(vals(a.grad)).toEqual([3, 4]);
    expect(b.grad).toBeNull();
  });

  it('requiresGrad_ turns recording on for a leaf; false on a non-leaf is an error; Parameters require grad', () => {
    const x = tensor([1, 2]);
    x.requiresGrad_();
    x.mul(x).sum().backward();
    expect(vals(x.grad)).toEqual([2, 4]);
    expect(() => x.mul(2).requiresGrad_(false)).toThrow(/non-leaf/);
    const p = new nn.Parameter(tensor([1]));
    expect(p.requiresGrad).toBe(true);
    expect(new nn.Parameter(tensor([1]), false).requiresGrad).toBe(false);
  });
});

describe('rules added for prod and mod', () => {
  it('prod: the product of the other elements, with zeros (none, one, several per slice)', () => {
    const x = tensor([[2, 0, 3], [0, 0, 4], [1, 2, 3]], undefined, { requiresGrad: true });
    const y = prod(x, 1);
    expect(vals(y)).toEqual([0, 0, 6]);
    y.backward(tensor([1, 1, 1]));
    expect(vals(x.grad)).toEqual([0, 6, 0, 0, 0, 0, 6, 3, 2]);
    const z = leaf([2, -3, 0.5]);
    prod(z).backward();
    expect(vals(z.grad)).toEqual([-1.5, 1, -6]);
  });

  it('mod: 1 for a, −floor(a/b) for b (PyTorch remainder), floored like Python', () => {
    const a = leaf([7, -7, 5.5]);
    const b = leaf([3, 3, -2]);
    const y = mod(a, b);
    expect(vals(y)).toEqual([1, 2, -0.5]);
    y.sum().backward();
    expect(vals(a.grad)).toEqual([1, 1, 1]);
    expect(vals(b.grad)).toEqual([-2, 3, 3]);
  });
});

describe('the finite-difference check itself', () => {
  it('fails a "differentiable" row whose op records no gradient (a forgotten VJP cannot pass)', () => {
    const spec: OpSpec = { name: 'cut', inputs: () => [{ shape: [3] }], run: (x) => x!.detach().mul(2) };
    expect(gradCheck(spec, 1)).toBeGreaterThan(0.1);
    const ok: OpSpec = { name: 'ok', inputs: () => [{ shape: [3] }], run: (x) => x!.mul(2) };
    expect(gradCheck(ok, 1)).toBeLessThan(1e-6);
  });
});
