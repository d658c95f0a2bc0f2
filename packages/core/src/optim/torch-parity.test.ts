import { describe, expect, it } from 'vitest';
import { scope } from '../engine';
import type { Tensor } from '../tensor';
import fixture from './fixtures/optim-parity.json';
import { hostTensor } from './host';
import type { Optimizer } from './optimizer';
import * as optim from './torch-door';

// Parity with PyTorch 1.13 (fixtures/gen.py): a 3-4-2 tanh network, mse loss, 5 steps per optimizer,
// all in float64 on both sides. Same weights, same batches, same formulas: the results differ only
// by float64 rounding order (matmul sums, tanh), amplified a little by 5 steps. Measured: all within
// 1e-13 relative; 1e-10 relative (with an absolute floor of 1e-12 for weights near 0) keeps a wide margin
// while still catching any formula slip (those show up at 1e-3 or larger). On float32 engines the
// design target is 1e-4.
const REL = 1e-10;

interface Flat { shape: number[]; values: number[] }
const t = (f: Flat) => hostTensor(f.values, f.shape);

const ctor: Record<string, (p: Tensor[], o: Record<string, unknown>) => Optimizer> = {
  SGD: (p, o) => new optim.SGD(p, { lr: o.lr as number, momentum: o.momentum as number, dampening: o.dampening as number, weightDecay: o.weight_decay as number, nesterov: o.nesterov as boolean }),
  Adam: (p, o) => new optim.Adam(p, { lr: o.lr as number, betas: o.betas as [number, number], eps: o.eps as number, weightDecay: o.weight_decay as number, amsgrad: o.amsgrad as boolean }),
  AdamW: (p, o) => new optim.AdamW(p, { lr: o.lr as number }),
  RMSprop: (p, o) => new optim.RMSprop(p, { lr: o.lr as number, alpha: o.alpha as number, momentum: o.momentum as number, centered: o.centered as boolean, weightDecay: o.weight_decay as number }),
  Adagrad: (p, o) => new optim.Adagrad(p, { lr: o.lr as number, lrDecay: o.lr_decay as number, initialAccumulatorValue: o.initial_accumulator_value as number, weightDecay: o.weight_decay as number }),
};

function close(a: number, b: number): boolean {
  return Math.abs(a - b) <= REL * Math.abs(b) + 1e-12;
}

describe(`parity with PyTorch ${fixture.torch} (5 steps, float64)`, () => {
  for (const r of fixture.runs) {
    it(`${r.optimizer} ${JSON.stringify(r.options)}`, () => {
      const params = fixture.init.map((f) => t(f).requiresGrad_().keep());
      // PyTorch's defaults apply where the fixture gave no option: drop undefined keys.
      const opts = Object.fromEntries(Object.entries(r.options).filter(([, v]) => v !== undefined));
      const opt = ctor[r.optimizer]!(params, opts);
      const [w1, b1, w2, b2] = params as [Tensor, Tensor, Tensor, Tensor];
      const losses = fixture.batches.map((b) => {
        opt.zeroGrad();
        const loss = scope(() => {
          const h = t(b.x).matmul(w1, { transposeB: true }).add(b1).tanh();
          const l = h.matmul(w2, { transposeB: true }).add(b2).sub(t(b.y)).square().mean();
          l.backward();
          return l.item();
        });
        opt.step();
        return loss;
      });
      losses.forEach((l, i) => expect(close(l, r.losses[i]!), `loss at step ${i + 1}: ${l} vs ${r.losses[i]}`).toBe(true));
      params.forEach((p, k) => {
        const got = Array.from(p.dataSync());
        got.forEach((v, i) => expect(close(v, r.final[k]![i]!), `param ${k}[${i}]: ${v} vs ${r.final[k]![i]}`).toBe(true));
      });
    });
  }
});
