import { describe, expect, it } from 'vitest';
import { tensor } from '../ops';
import * as nn from '../nn/torch';
import { classWeightToSampleWeight } from './class-weights';
import * as K from './keras';
import { BinaryCrossentropy, getLoss, MeanSquaredError, SparseCategoricalCrossentropy } from './keras-classes';

const arr = (t: { dataSync(): ArrayLike<number> }) => Array.from(t.dataSync());
// Hand values below are computed in float64 from the formula; inputs that are not dyadic go through
// float32 on upload, and Keras' ε = 1e-7 is a float32 constant too, so 1e-6 relative covers that
// rounding (≈ 6e-8 per value) with margin while still catching formula errors (≥ 1e-3 here).
const near = (a: number[], b: number[]) => a.forEach((v, i) => expect(Math.abs(v - b[i]!)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(b[i]!))));

describe('Keras-door per-sample losses (yTrue, yPred)', () => {
  it('mse / mae / huber average over the last axis', () => {
    const yt = tensor([[0, 1], [2, 2]]), yp = tensor([[1, 1], [0, 4]]);
    expect(arr(K.meanSquaredError(yt, yp))).toEqual([0.5, 4]);
    expect(arr(K.meanAbsoluteError(yt, yp))).toEqual([0.5, 2]);
    // huber δ=1: |1|→0.5, 0→0 | |2|→1.5, |2|→1.5
    expect(arr(K.huber(yt, yp))).toEqual([0.25, 1.5]);
  });
  it('binaryCrossentropy clips probabilities to [1e-7, 1 − 1e-7]', () => {
    const l = K.binaryCrossentropy(tensor([[1], [0], [1]]), tensor([[0.5], [0.25], [0]]));
    near(arr(l), [Math.LN2, -Math.log(0.75), -Math.log(1e-7)]);
  });
  it('binaryCrossentropy fromLogits is stable and equals the probability form', () => {
    const l = K.binaryCrossentropy(tensor([[1, 0]]), tensor([[0, 1000]]), { fromLogits: true });
    near(arr(l), [(Math.LN2 + 1000) / 2]);
  });
  it('binary label smoothing: y ← y(1 − s) + s/2', () => {
    const l = K.binaryCrossentropy(tensor([[1]]), tensor([[0.5]]), { labelSmoothing: 0.2 });
    near(arr(l), [Math.LN2]);
    const m = K.binaryCrossentropy(tensor([[1]]), tensor([[0.75]]), { labelSmoothing: 0.5 });
    near(arr(m), [-(0.75 * Math.log(0.75) + 0.25 * Math.log(0.25))]);
  });
  it('categoricalCrossentropy renormalises probabilities (Keras) and handles logits', () => {
    // [1, 1, 2] normalised → [0.25, 0.25, 0.5]; target class 2 → −log 0.5
    near(arr(K.categoricalCrossentropy(tensor([[0, 0, 1]]), tensor([[1, 1, 2]]))), [Math.LN2]);
    const z = [1, 2, 3], lse = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
    near(arr(K.categoricalCrossentropy(tensor([[0, 1, 0]]), tensor([z]), { fromLogits: true })), [lse - 2]);
    near(arr(K.categoricalCrossentropy(tensor([[0, 1, 0]]), tensor([z]), { fromLogits: true, labelSmoothing: 0.3 })), [lse - (0.1 * 1 + 0.8 * 2 + 0.1 * 3)]);
  });
  it('sparseCategoricalCrossentropy takes [N] or [N, 1] labels', () => {
    const probs = tensor([[0.5, 0.25, 0.25], [0.125, 0.125, 0.75]]);
    const want = [-Math.log(0.25), -Math.log(0.75)];
    near(arr(K.sparseCategoricalCrossentropy(tensor([1, 2], [2], { dtype: 'int32' }), probs)), want);
    near(arr(K.sparseCategoricalCrossentropy(tensor([[1], [2]]), probs)), want);
    expect(() => K.sparseCategoricalCrossentropy(tensor([1, 2, 0], [3], { dtype: 'int32' }), probs)).toThrow(/labels must have the predictions' shape without the class axis \(got \[3\] and \[2, 3\]\)/);
  });
});

describe('Keras loss objects, reductions, sample and class weights', () => {
  const yt = tensor([[0], [1], [2], [3]]), yp = tensor([[1], [1], [0], [3]]); // per-sample mse [1, 0, 4, 0]
  it("default 'sum_over_batch_size' divides by the number of samples, even with weights", () => {
    expect(MeanSquaredError().call(yt, yp).item()).toBe(5 / 4);
    expect(MeanSquaredError().call(yt, yp, tensor([2, 1, 0.5, 1])).item()).toBe((2 + 2) / 4);
    expect(MeanSquaredError({ reduction: 'sum' }).call(yt, yp).item()).toBe(5);
    expect(arr(MeanSquaredError({ reduction: 'none' }).call(yt, yp))).toEqual([1, 0, 4, 0]);
    expect(MeanSquaredError({ reduction: 'mean_with_sample_weight' }).call(yt, yp, tensor([2, 1, 0.5, 1])).item()).toBe(4 / 4.5);
  });
  it('classWeightToSampleWeight: integer, [N, 1] and one-hot labels; unlisted classes weigh 1', () => {
    expect(arr(classWeightToSampleWeight(tensor([0, 1, 2], [3], { dtype: 'int32' }), { 0: 1, 1: 5 }))).toEqual([1, 5, 1]);
    expect(arr(classWeightToSampleWeight(tensor([[1], [0]]), [0.5, 2]))).toEqual([2, 0.5]);
    expect(arr(classWeightToSampleWeight(tensor([[0, 0, 1], [1, 0, 0]]), { 2: 3 }))).toEqual([3, 1]);
    expect(() => classWeightToSampleWeight(tensor([0]), { 0: -1 })).toThrow(/weights must be finite numbers ≥ 0, got -1/);
  });
  it('getLoss resolves Keras names in any spelling, objects and plain functions', () => {
    for (const n of ['mse', 'MSE', 'mean_squared_error', 'meanSquaredError', 'MeanSquaredError']) {
      const f = getLoss(n);
      expect(f.lossName).toBe('mean_squared_error');
      expect(f(yt, yp).item()).toBe(1.25);
    }
    const s = getLoss('sparse_categorical_crossentropy');
    expect(s.lossName).toBe('sparse_categorical_crossentropy');
    expect(getLoss('sparseCategoricalCrossentropy').lossName).toBe('sparse_categorical_crossentropy');
    expect(getLoss(BinaryCrossentropy({ fromLogits: true })).lossName).toBe('binary_crossentropy');
    expect(getLoss(SparseCategoricalCrossentropy({ name: 'scce' })).lossName).toBe('scce');
    const custom = getLoss(function myLoss(a, b) { return b.sub(a).abs(); });
    expect(custom.lossName).toBe('myLoss');
    expect(custom(yt, yp).item()).toBe(3 / 4); // |[1, 0, -2, 0]| summed over 4 samples
    expect(() => getLoss('cosine')).toThrow(/Unknown loss "cosine"\..*Known: mse, mae/);
  });
  it('getLoss calls a PyTorch-door loss module in its own order (input, target), not Keras\'s (yTrue, yPred)', () => {
    const logits = tensor([[2, 0.5, -1], [0.1, 0.2, 3]]), labels = tensor([0, 2], [2], { dtype: 'int32' });
    const viaModule = getLoss(new nn.CrossEntropyLoss() as never);
    expect(viaModule(labels, logits).item()).toBeCloseTo(nn.functional.crossEntropy(logits, labels).item(), 12);
    expect(viaModule.lossName).toBe('CrossEntropyLoss');
    const mse = getLoss(new nn.MSELoss() as never);
    expect(mse(yt, yp).item()).toBe(1.25);
  });
});
