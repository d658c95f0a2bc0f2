import { describe, expect, it } from 'vitest';
import { ShapeError, ValueError } from '../errors';
import { tensor } from '../ops';
import { AUC, averagePrecisionScore, classificationReport, confusionMatrix, formatClassificationReport, precisionRecallCurve, rocAucScore, rocCurve } from './classification';
import { getMetric, SparseTopKCategoricalAccuracy } from './metrics';
import fx from './fixtures/sklearn-parity.json';

// References: scikit-learn 1.2.1 (fixtures/gen_sklearn.py, run once with /usr/bin/python3). Both sides
// compute in float64 from the same float64 inputs; the only differences are summation order, so 1e-12
// absolute (toBeCloseTo(…, 12)) is ample for values ≤ 1 built from ≤ 80 terms.
const close = (a: number[], b: number[]) => a.forEach((v, i) => expect(v).toBeCloseTo(b[i]!, 12));

describe('confusionMatrix', () => {
  it('counts by hand: rows are truth, columns prediction', () => {
    expect(confusionMatrix([0, 1, 2, 2], [0, 2, 2, 1])).toEqual([[1, 0, 0], [0, 0, 1], [0, 1, 1]]);
    expect(confusionMatrix([0, 1, 2, 2], [0, 2, 2, 1], { normalize: 'true' })).toEqual([[1, 0, 0], [0, 0, 1], [0, 0.5, 0.5]]);
    expect(confusionMatrix([0, 0], [0, 0], { numClasses: 2, normalize: 'pred' })).toEqual([[1, 0], [0, 0]]); // empty column → 0
  });
  it('matches scikit-learn (counts, normalised three ways, weighted), from labels or from scores', () => {
    const m = fx.multi;
    const pred = tensor(m.p.flat(), [m.p.length, 4]);
    expect(confusionMatrix(m.y, pred)).toEqual(m.cm);
    expect(confusionMatrix(tensor(m.y, [m.y.length], { dtype: 'int32' }), m.p)).toEqual(m.cm);
    for (const [norm, ref] of [['true', m.cm_true], ['pred', m.cm_pred], ['all', m.cm_all]] as const) confusionMatrix(m.y, m.p, { normalize: norm }).forEach((row, i) => close(row, ref[i]!));
    confusionMatrix(m.y, m.p, { sampleWeight: m.w }).forEach((row, i) => close(row, m.cm_w[i]!));
  });
  it('rejects mismatched lengths and out-of-range labels', () => {
    expect(() => confusionMatrix([0, 1], [0])).toThrow(ShapeError);
    expect(() => confusionMatrix([0, 3], [0, 1], { numClasses: 3 })).toThrow(/label 3 at index 1 is ≥ numClasses 3/);
    expect(() => confusionMatrix([0, 1.5], [0, 1])).toThrow(ValueError);
  });
});

describe('classificationReport', () => {
  it('matches scikit-learn precision/recall/F1/support, macro and weighted averages, accuracy', () => {
    const m = fx.multi;
    const r = classificationReport(m.y, m.p, { classNames: ['a', 'b', 'c', 'd'] });
    close(r.perClass.map((s) => s.precision), m.precision);
    close(r.perClass.map((s) => s.recall), m.recall);
    close(r.perClass.map((s) => s.f1), m.f1);
    expect(r.perClass.map((s) => s.support)).toEqual(m.support);
    close([r.macro.precision, r.macro.recall, r.macro.f1], m.macro);
    close([r.weighted.precision, r.weighted.recall, r.weighted.f1], m.weighted);
    expect(r.accuracy).toBeCloseTo(m.accuracy, 12);
    const text = formatClassificationReport(r);
    expect(text.split('\n')).toHaveLength(1 + 4 + 1 + 3);
    expect(text).toMatch(/^\s+d\s+0\.\d{4}/m);
  });
  it('zero_division=0: a class never predicted has precision 0', () => {
    const r = classificationReport([0, 1, 1], [1, 1, 1]);
    expect(r.perClass[0]).toMatchObject({ precision: 0, recall: 0, f1: 0, support: 1 });
    expect(r.perClass[1]!.precision).toBeCloseTo(2 / 3, 15);
  });
});

describe('ROC-AUC and average precision', () => {
  it('hand case: 0.75 and 5/6', () => {
    // Scores 0.8(+) 0.4(−) 0.35(+) 0.1(−): pairs (+,−) ordered right: (0.8,0.4) (0.8,0.1) (0.35,0.1) → 3/4.
    expect(rocAucScore([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toBe(0.75);
    // PR steps: R 0.5 at P 1, then R 1 at P 2/3 → 0.5·1 + 0.5·2/3 = 5/6.
    expect(averagePrecisionScore([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toBeCloseTo(5 / 6, 15);
    expect(rocCurve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toEqual({ x: [0, 0, 0.5, 0.5, 1], y: [0, 0.5, 0.5, 1, 1], thresholds: [Infinity, 0.8, 0.4, 0.35, 0.1] });
    expect(precisionRecallCurve([0, 1], [0.2, 0.9]).y).toEqual([1, 1, 0.5]);
  });
  it('binary with ties and weights matches scikit-learn', () => {
    const b = fx.binary;
    expect(rocAucScore(b.y, b.s)).toBeCloseTo(b.roc_auc, 12);
    expect(rocAucScore(b.y, b.s, { sampleWeight: b.w })).toBeCloseTo(b.roc_auc_w, 12);
    expect(averagePrecisionScore(b.y, b.s)).toBeCloseTo(b.ap, 12);
    expect(averagePrecisionScore(b.y, b.s, { sampleWeight: b.w })).toBeCloseTo(b.ap_w, 12);
    const c = rocCurve(b.y, b.s);
    close(c.x, b.roc_fpr);
    close(c.y, b.roc_tpr);
  });
  it('one-vs-rest over 4 classes matches scikit-learn (macro, weighted, per class)', () => {
    const m = fx.multi;
    expect(rocAucScore(m.y, m.p)).toBeCloseTo(m.roc_auc_ovr_macro, 12);
    expect(rocAucScore(m.y, m.p, { average: 'weighted' })).toBeCloseTo(m.roc_auc_ovr_weighted, 12);
    close(rocAucScore(m.y, m.p, { average: null }) as number[], m.roc_auc_ovr_per_class);
    expect(averagePrecisionScore(m.y, tensor(m.p.flat(), [m.p.length, 4]))).toBeCloseTo(m.ap_macro, 12);
    expect(averagePrecisionScore(m.y, m.p, { average: 'weighted' })).toBeCloseTo(m.ap_weighted, 12);
  });
  it('clear errors: one class, non-binary labels', () => {
    expect(() => rocAucScore([1, 1], [0.2, 0.3])).toThrow(/only one class present/);
    expect(() => rocAucScore([0, 2], [0.2, 0.3])).toThrow(/must be 0 or 1, got 2 at index 1/);
  });
});

describe('AUC compile metric', () => {
  it('accumulates batches and equals rocAucScore / averagePrecisionScore on the whole set', () => {
    const m = fx.multi;
    const roc = getMetric('auc'), pr = new AUC({ curve: 'PR' });
    for (const k of [0, 40]) {
      const y = tensor(m.y.slice(k, k + 40), [40], { dtype: 'int32' }), p = tensor(m.p.slice(k, k + 40).flat(), [40, 4]);
      roc.update(y, p);
      pr.update(y, p);
    }
    expect(roc.name).toBe('auc');
    expect(roc.result()).toBeCloseTo(m.roc_auc_ovr_macro, 12);
    expect(pr.result()).toBeCloseTo(m.ap_macro, 12);
    roc.reset();
    expect(roc.result()).toBe(0);
    const bin = new AUC();
    bin.update(tensor([[1], [1]]), tensor([[0.3], [0.9]]));
    expect(bin.result()).toBe(0); // only positives so far: undefined → 0
    bin.update(tensor([[0], [0]]), tensor([[0.1], [0.4]]));
    expect(bin.result()).toBe(0.75);
  });
  it('top-k accuracy by name matches scikit-learn top_k_accuracy_score', () => {
    const m = fx.multi;
    expect(getMetric('sparse_top_k_categorical_accuracy').name).toBe('sparse_top_k_categorical_accuracy');
    const top2 = new SparseTopKCategoricalAccuracy({ k: 2 });
    top2.update(tensor(m.y, [m.y.length], { dtype: 'int32' }), tensor(m.p.flat(), [m.p.length, 4]));
    expect(top2.result()).toBeCloseTo(m.top2, 12);
  });
});
