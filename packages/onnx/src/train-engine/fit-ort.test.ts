import { describe, expect, it } from 'vitest';
import { fit, manualSeed, nn, optim, randint, randn, type Tensor } from '@nn/core';
import { fitOrt } from './fit-ort';

describe('fitOrt', () => {
  it('trains like core fit: same shuffled batches, same epoch losses, same final weights', async () => {
    manualSeed(30);
    const x = randn([100, 12]), y = randint(0, 4, [100]);
    const make = () => {
      manualSeed(31);
      const m = new nn.Sequential(new nn.Linear(12, 16), new nn.ReLU(), new nn.Dropout(0.1, { seed: 5 }), new nn.Linear(16, 4));
      m.compile({ optimizer: new optim.Adam(m.parameters(), { lr: 0.01 }), loss: 'crossentropy', metrics: ['accuracy'] });
      return m;
    };
    const m1 = make();
    const h1 = await fit(m1, x, y, { epochs: 3, batchSize: 16, verbose: 0, seed: 7 });
    const m2 = make();
    const epochs: number[] = [];
    const h2 = await fitOrt(m2, x, y, { epochs: 3, batchSize: 16, verbose: 0, seed: 7, metrics: ['accuracy'], validationData: [x, y], callbacks: [{ onEpochEnd: (e) => void epochs.push(e) }] });
    expect(epochs).toEqual([0, 1, 2]);
    // float32 graph vs float64 eager over 21 steps: 1e-5 relative, as in parity.test.ts.
    h2.history.loss!.forEach((v, i) => expect(Math.abs(v - h1.history.loss![i]!)).toBeLessThanOrEqual(1e-5 * Math.max(1, h1.history.loss![i]!)));
    // Accuracy counts argmax hits: identical unless a float32 near-tie flips one of 100 samples.
    h2.history.accuracy!.forEach((v, i) => expect(Math.abs(v - h1.history.accuracy![i]!)).toBeLessThanOrEqual(0.01));
    expect(h2.history.val_loss).toHaveLength(3);
    const w1 = m1.namedParameters()[0]![1].dataSync(), w2 = m2.namedParameters()[0]![1].dataSync();
    expect(Math.max(...Array.from(w1, (v, i) => Math.abs(v - w2[i]!)))).toBeLessThanOrEqual(1e-5);
    expect(m2.training).toBe(false); // eval mode at the end, as fit leaves it
  });

  it('says what is missing for typed-array input', async () => {
    const m = new nn.Linear(3, 2);
    await expect(fitOrt(m, new Float32Array(6), new Int32Array(2), { optimizer: new optim.SGD(m.parameters(), { lr: 0.1 }), loss: (yy: Tensor, p: Tensor) => nn.functional.crossEntropy(p, yy) })).rejects.toThrow(/inputShape should be given when x is a typed array/);
  });
});
