import { describe, expect, it } from 'vitest';
import { scope } from '../engine';
import { tensor } from '../ops';
import { hostTensor } from '../optim/host';
import type { Tensor } from '../tensor';
import fixture from './fixtures/loss-parity.json';
import * as F from './pytorch';
import type { Reduction } from './reduction';

interface Flat { shape: number[]; values: number[]; dtype: string }
const t = (f: Flat) => (f.dtype === 'int32' ? tensor(f.values, f.shape, { dtype: 'int32' }) : hostTensor(f.values, f.shape));

// Values and input gradients against PyTorch 1.13 in float64 (fixtures/gen.py). Both sides compute
// the same formulas in float64; differences come from summation order and log/exp rounding, ~1e-15.
// 1e-10 relative (+1e-12 absolute for values near 0) is far below any formula error (≥ 1e-4 here).
const close = (a: number, b: number) => Math.abs(a - b) <= 1e-10 * Math.abs(b) + 1e-12;

function run(name: string, [a, b]: Tensor[], o: Record<string, unknown>): Tensor {
  const reduction = o.reduction as Reduction | undefined;
  const weight = o.weight ? t(o.weight as Flat) : undefined;
  if (name.startsWith('mse')) return F.mseLoss(a!, b!, { reduction });
  if (name === 'l1') return F.l1Loss(a!, b!);
  if (name.startsWith('huber')) return F.huberLoss(a!, b!, { delta: o.delta as number });
  if (name === 'bce') return F.binaryCrossEntropy(a!, b!);
  if (name.startsWith('bce with logits')) return F.bceWithLogits(a!, b!, { posWeight: o.posWeight ? t(o.posWeight as Flat) : undefined });
  if (name === 'nll') return F.nllLoss(a!.logSoftmax(1), b!, { weight });
  return F.crossEntropy(a!, b!, { reduction, weight, labelSmoothing: o.labelSmoothing as number | undefined });
}

describe(`PyTorch-door losses match torch ${fixture.torch}`, () => {
  for (const c of fixture.cases) {
    it(c.name, () => {
      scope(() => {
        const inputs = c.inputs.map((f) => t(f as Flat));
        inputs[0]!.requiresGrad = true;
        const out = run(c.name, inputs, c.options as Record<string, unknown>);
        expect(out.shape).toEqual(c.out.shape);
        Array.from(out.dataSync()).forEach((v, i) => expect(close(v, c.out.values[i]!), `value[${i}] ${v} vs ${c.out.values[i]}`).toBe(true));
        if (c.grad) {
          out.backward();
          Array.from(inputs[0]!.grad!.dataSync()).forEach((v, i) => expect(close(v, c.grad!.values[i]!), `grad[${i}] ${v} vs ${c.grad!.values[i]}`).toBe(true));
          inputs[0]!.grad!.dispose();
        }
      });
    });
  }
});

describe('PyTorch-door losses: hand values, stability, errors', () => {
  it('bceWithLogits is finite for huge logits (log-sum-exp form)', () => {
    const l = F.bceWithLogits(tensor([1000, -1000]), tensor([0, 1]), { reduction: 'none' });
    expect(Array.from(l.dataSync())).toEqual([1000, 1000]);
  });
  it('crossEntropy is finite for huge logits', () => {
    // logits [1000, 0]: log-softmax = [0, −1000]; target 1 → loss 1000 exactly.
    expect(F.crossEntropy(tensor([[1000, 0]]), tensor([1], [1], { dtype: 'int32' })).item()).toBe(1000);
  });
  it('huber by hand: |x| ≤ δ quadratic, linear beyond', () => {
    const l = F.huberLoss(tensor([0.5, 3]), tensor([0, 0]), { reduction: 'none', delta: 1 });
    expect(Array.from(l.dataSync())).toEqual([0.125, 2.5]);
  });
  it('binaryCrossEntropy clamps log at −100 like PyTorch', () => {
    expect(F.binaryCrossEntropy(tensor([0]), tensor([1])).item()).toBe(100);
  });
  it('errors name the loss and both shapes', () => {
    expect(() => F.mseLoss(tensor([1, 2]), tensor([[1, 2]]))).toThrow(/mseLoss: input and target must have the same shape \(got \[2\] and \[1, 2\]\)/);
    expect(() => F.crossEntropy(tensor([[1, 2]]), tensor([0, 1], [2], { dtype: 'int32' }))).toThrow(/crossEntropy: class-index targets must have shape \[1\]/);
    expect(() => F.mseLoss(tensor([1]), tensor([1]), { reduction: 'avg' as Reduction })).toThrow(/reduction must be one of 'mean', 'sum', 'none'; got 'avg'/);
  });
});
