import { describe, expect, it } from 'vitest';
import { evaluate, fit, manualSeed, nn, noGrad, optim, randint, randn, tensor, type Tensor } from '../index';

// Keras sample_weight: a batch's loss is Σ wᵢ·lossᵢ / batch size ("sum_over_batch_size"); class weights multiply.
const X = randn([12, 4]), Y = randint(0, 3, [12]);
const W = Float32Array.from({ length: 12 }, (_, i) => (i % 3) * 0.5); // 0, 0.5, 1, 0, …

function frozen() {
  manualSeed(2);
  const m = new nn.Sequential(new nn.Linear(4, 3));
  m.compile({ optimizer: new optim.SGD(m.parameters(), { lr: 0 }), loss: 'crossentropy' });
  return m;
}

/** Each sample's cross-entropy under the (unchanged) model, by hand. */
function perSample(m: nn.Sequential): number[] {
  return noGrad(() => {
    const logp = (m(X) as Tensor).logSoftmax(-1).dataSync();
    const y = Y.dataSync();
    return Array.from({ length: 12 }, (_, i) => -logp[i * 3 + y[i]!]!);
  });
}

describe('sampleWeight (Keras semantics)', () => {
  it('fit: one batch of 12 with lr 0 logs Σ wᵢ·lossᵢ / 12; evaluate gives the same; validationData takes a third element', async () => {
    const m = frozen();
    const l = perSample(m);
    const want = l.reduce((s, v, i) => s + v * W[i]!, 0) / 12;
    const h = await fit(m, X, Y, { epochs: 1, batchSize: 12, shuffle: false, verbose: 0, sampleWeight: W, validationData: [X, Y, W] });
    expect(h.history.loss![0]).toBeCloseTo(want, 12);
    expect(h.history.val_loss![0]).toBeCloseTo(want, 12);
    expect((await evaluate(m, X, Y, { batchSize: 5, sampleWeight: W })).loss).toBeCloseTo(
      // evaluate averages batch losses weighted by batch size (5, 5, 2): the same total here
      want, 12);
    const plain = await fit(frozen(), X, Y, { epochs: 1, batchSize: 12, shuffle: false, verbose: 0 });
    expect(plain.history.loss![0]).toBeCloseTo(l.reduce((s, v) => s + v, 0) / 12, 12);
  });

  it('class weights and sample weights multiply; a batched source yields [x, y, w]', async () => {
    const m = frozen();
    const l = perSample(m);
    const cw = { 0: 2, 1: 1, 2: 0.5 };
    const y = Y.dataSync();
    const want = l.reduce((s, v, i) => s + v * W[i]! * cw[y[i]! as 0 | 1 | 2], 0) / 12;
    const h = await fit(m, X, Y, { epochs: 1, batchSize: 12, shuffle: false, verbose: 0, sampleWeight: W, classWeight: cw });
    expect(h.history.loss![0]).toBeCloseTo(want, 12);
    // fit owns (disposes) the batches a source yields: yield copies.
    const source = { async *[Symbol.asyncIterator]() { yield [tensor(X.dataSync(), [12, 4]), tensor(Y.dataSync(), [12], { dtype: 'int32' }), tensor(W, [12])] as const; } };
    const hs = await fit(frozen(), source, { epochs: 1, verbose: 0 });
    expect(hs.history.loss![0]).toBeCloseTo(l.reduce((s, v, i) => s + v * W[i]!, 0) / 12, 12);
  });

  it('bad weights are clear errors', async () => {
    await expect(fit(frozen(), X, Y, { verbose: 0, sampleWeight: [1, 2] })).rejects.toThrow(/sampleWeight has 2 values for 12 samples/);
    await expect(fit(frozen(), X, Y, { verbose: 0, sampleWeight: Array.from({ length: 12 }, (_, i) => (i === 4 ? -1 : 1)) })).rejects.toThrow(/sampleWeight\[4\] is -1; weights must be finite and ≥ 0/);
  });
});
