import { describe, expect, it } from 'vitest';
import { tensor } from '../ops';
import { F1Score, Precision, Recall } from './confusion';
import { Mean } from './metric';
import {
  BinaryAccuracy,
  CategoricalAccuracy,
  getMetric,
  MeanAbsoluteError,
  MeanSquaredError,
  MisclassificationError,
  SparseCategoricalAccuracy,
  SparseTopKCategoricalAccuracy,
  TopKCategoricalAccuracy,
} from './metrics';

const int = (v: number[]) => tensor(v, [v.length], { dtype: 'int32' });
// Hand values: all inputs are small dyadic numbers or counts, so results are exact ratios of small
// integers; toBeCloseTo(…, 12) only absorbs the final division's rounding.

describe('accuracy family', () => {
  it('binary accuracy uses yPred > threshold, averaged over batches', () => {
    const m = new BinaryAccuracy();
    m.update(tensor([[1], [0], [1], [0]]), tensor([[0.75], [0.5], [0.25], [0]]));
    expect(m.result()).toBe(0.75); // 0.75→1 ✓, 0.5→0 ✓ (0.5 is not > 0.5), 0.25→0 ✗, 0→0 ✓
    m.update(tensor([[1], [1], [1], [1]]), tensor([[0], [0], [0], [1]]));
    expect(m.result()).toBe(4 / 8);
  });
  it('binary accuracy by hand, with threshold and reset', () => {
    const m = new BinaryAccuracy({ threshold: 0.2 });
    m.update(tensor([[1], [0], [1], [0]]), tensor([[0.75], [0.5], [0.25], [0]]));
    expect(m.result()).toBe(0.75); // 1✓ 1✗ 1✓ 0✓
    m.reset();
    expect(m.result()).toBe(0);
  });
  it('categorical and sparse accuracy; weighted; accumulates across updates', () => {
    const probs = tensor([[0.1, 0.7, 0.2], [0.5, 0.25, 0.25], [0.2, 0.2, 0.6]]);
    const c = new CategoricalAccuracy();
    c.update(tensor([[0, 1, 0], [0, 0, 1], [0, 0, 1]]), probs);
    expect(c.result()).toBeCloseTo(2 / 3, 12);
    const s = new SparseCategoricalAccuracy();
    s.update(int([1, 2, 2]), probs, tensor([1, 2, 1]));
    expect(s.result()).toBe(2 / 4);
    s.update(tensor([[0]]), tensor([[0.5, 0.25, 0.25]]));
    expect(s.result()).toBe(3 / 5);
  });
  it('top-k (ties with the k-th count as hits)', () => {
    const probs = tensor([[0.5, 0.25, 0.125, 0.125], [0.1, 0.2, 0.3, 0.4]]);
    const s = new SparseTopKCategoricalAccuracy({ k: 2 });
    s.update(int([1, 0]), probs);
    expect(s.result()).toBe(0.5);
    const t = new TopKCategoricalAccuracy({ k: 3 });
    t.update(tensor([[0, 0, 0, 1], [0, 1, 0, 0]]), probs);
    expect(t.result()).toBe(1);
    const k1 = new SparseTopKCategoricalAccuracy({ k: 1 });
    k1.update(int([3]), tensor([[0.5, 0.0, 0.0, 0.5]]));
    expect(k1.result()).toBe(1);
  });
  it('misclassification error = 1 − accuracy', () => {
    const e = new MisclassificationError({ kind: 'sparse' });
    e.update(int([0, 1, 1, 1]), tensor([[0.9, 0.1], [0.8, 0.2], [0.4, 0.6], [0.3, 0.7]]));
    expect(e.result()).toBe(0.25);
  });
});

describe('confusion metrics', () => {
  const yt = tensor([1, 1, 1, 0, 0, 1]), yp = tensor([0.75, 0.5, 0.25, 0.75, 0, 1]);
  // > 0.5: positives at 0, 3, 5 → TP 2 (0, 5), FP 1 (3), FN 2 (1, 2)
  it('precision, recall, micro F1', () => {
    const p = new Precision(), r = new Recall(), f = new F1Score({ average: 'micro', threshold: 0.5 });
    for (const m of [p, r, f]) m.update(yt, yp);
    expect(p.result()).toBeCloseTo(2 / 3, 12);
    expect(r.result()).toBe(0.5);
    expect(f.result()).toBeCloseTo((2 * 2) / (2 * 2 + 1 + 2), 12);
    expect(new Precision().result()).toBe(0);
  });
  it('macro and weighted F1 over one-hot classes (argmax when threshold is null)', () => {
    const f = new F1Score(), w = new F1Score({ average: 'weighted' });
    const t = tensor([[1, 0], [1, 0], [0, 1], [1, 0]]), p = tensor([[0.9, 0.1], [0.2, 0.8], [0.3, 0.7], [0.6, 0.4]]);
    f.update(t, p);
    w.update(t, p);
    // class 0: TP 2, FP 0, FN 1 → 4/5; class 1: TP 1, FP 1, FN 0 → 2/3
    expect(f.result()).toBeCloseTo((4 / 5 + 2 / 3) / 2, 12);
    expect(w.result()).toBeCloseTo((3 * (4 / 5) + 1 * (2 / 3)) / 4, 12);
  });
  it('thresholds are validated', () => {
    expect(() => new Precision({ threshold: 2 })).toThrow(/precision: threshold must be in \[0, 1\], got 2/);
  });
});

describe('regression metrics, Mean, resolver', () => {
  it('MSE / MAE per sample, then averaged', () => {
    const a = new MeanSquaredError(), b = new MeanAbsoluteError();
    for (const m of [a, b]) m.update(tensor([[0, 1], [2, 2]]), tensor([[1, 1], [0, 4]]));
    expect(a.result()).toBe((0.5 + 4) / 2);
    expect(b.result()).toBe((0.5 + 2) / 2);
  });
  it('Mean aggregates numbers and tensors with weights', () => {
    const m = new Mean('loss');
    m.update(0.5);
    m.update(tensor([1, 2]), tensor([1, 3]));
    expect(m.result()).toBe((0.5 + 1 + 6) / 5);
  });
  it("getMetric resolves 'accuracy' by loss (Keras) and keeps the name", () => {
    const kinds = (loss: string) => getMetric('accuracy', loss).constructor.name;
    expect(kinds('sparse_categorical_crossentropy')).toBe('SparseCategoricalAccuracy');
    expect(kinds('sparseCategoricalCrossentropy')).toBe('SparseCategoricalAccuracy');
    expect(kinds('binary_crossentropy')).toBe('BinaryAccuracy');
    expect(kinds('categorical_crossentropy')).toBe('CategoricalAccuracy');
    expect(getMetric('accuracy', 'mse').name).toBe('accuracy');
    expect(getMetric('acc', { yTrueShape: [32], yPredShape: [32, 10] }).constructor.name).toBe('SparseCategoricalAccuracy');
    expect(getMetric('accuracy', { yTrueShape: [32, 1], yPredShape: [32, 1] }).constructor.name).toBe('BinaryAccuracy');
    expect(getMetric('top_k_categorical_accuracy').name).toBe('top_k_categorical_accuracy');
    const p = new Precision();
    expect(getMetric(p)).toBe(p);
    expect(() => getMetric('kappa')).toThrow(/Unknown metric "kappa"\..*Known: binaryaccuracy/);
  });
  it('shape errors name the metric', () => {
    expect(() => new CategoricalAccuracy().update(tensor([[1, 0]]), tensor([[1, 0, 0]]))).toThrow(/categoricalAccuracy: one-hot yTrue must match yPred/);
    expect(() => new SparseCategoricalAccuracy().update(int([1]), tensor([[1, 0], [0, 1]]), tensor([1]))).toThrow(/sparse labels need one integer label per sample/);
  });
});
