import { describe, expect, it } from 'vitest';
import { learningCurve, trainingCurves } from './curves.js';
import { InvalidErrorRateError, InvalidOptionError } from './errors.js';
import { renderSvg } from './plot.js';

const range = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i));

describe('trainingCurves', () => {
  it('flags a widening gap as variance and names the best validation epoch', () => {
    const h = {
      history: {
        loss: range(12, (i) => 1 / (i + 1)),
        val_loss: range(12, (i) => 0.6 + 0.03 * (i - 4) ** 2 / 4),
        accuracy: range(12, (i) => 0.7 + 0.025 * i),
        val_accuracy: range(12, (i) => 0.7 + 0.01 * Math.min(i, 4)),
      },
    };
    const r = trainingCurves(h, { bayesError: 0.005 });
    const loss = r.diagnoses.find((d) => d.metric === 'loss')!;
    expect(loss.kind).toBe('high variance');
    expect(loss.bestValEpoch).toBe(4);
    expect(loss.text).toMatch(/early stopping would keep epoch 4/);
    const acc = r.diagnoses.find((d) => d.metric === 'accuracy')!;
    expect(acc.kind).toContain('variance');
    expect(r.biasVariance?.verdict).toMatch(/variance/);
    expect(r.summary).toMatch(/variance/);
  });

  it('flags a high plateau as bias', () => {
    const h = { history: { loss: range(10, (i) => 0.9 + 0.1 * Math.exp(-i)), val_loss: range(10, (i) => 0.92 + 0.1 * Math.exp(-i)) } };
    const [d] = trainingCurves(h).diagnoses;
    expect(d!.kind).toBe('high bias');
    expect(d!.text).toMatch(/high plateau/);
  });

  it('calls a healthy run ok and a 1-epoch run too short', () => {
    const h = { history: { loss: range(10, (i) => Math.exp(-i)), val_loss: range(10, (i) => 1.05 * Math.exp(-i)) } };
    expect(trainingCurves(h).diagnoses[0]!.kind).toBe('ok');
    expect(trainingCurves({ history: { loss: [1] } }).diagnoses[0]!.kind).toBe('too short');
  });

  it('produces a spec with one panel per metric that vega renders', async () => {
    const h = { history: { loss: [1, 0.5, 0.3], val_loss: [1.1, 0.6, 0.5], accuracy: [0.5, 0.7, 0.8], val_accuracy: [0.5, 0.6, 0.7] } };
    const { spec } = trainingCurves(h);
    const values = (spec as { data: { values: unknown[] } }).data.values;
    expect(values).toHaveLength(12);
    const svg = await renderSvg(spec);
    expect(svg).toMatch(/^<svg/);
    // Two panels × two splits → at least four line paths (class "mark-line").
    expect(svg.match(/role-mark.*?mark-line|mark-line/g)?.length ?? 0).toBeGreaterThanOrEqual(2);
    expect(svg).toContain('accuracy');
  });

  it('rejects something that is not a History', () => {
    expect(() => trainingCurves({} as never)).toThrow(InvalidOptionError);
  });
});

describe('learningCurve', () => {
  it('diagnoses variance that more data fixes', async () => {
    const calls: number[] = [];
    const lc = await learningCurve({
      sizes: [100, 200, 400, 800], bayesError: 0.01,
      trainAndEvaluate: async (n) => { calls.push(n); return { trainError: 0.01, valError: 0.01 + 30 / n }; },
    });
    expect(calls).toEqual([100, 200, 400, 800]);
    expect(lc.biasVariance.verdict).toBe('high variance');
    expect(lc.stillImproving).toBe(true);
    expect(lc.diagnosis).toMatch(/more data should help/);
    expect(await renderSvg(lc.spec)).toContain('training-set size');
  });

  it('diagnoses bias when the curves converge high', async () => {
    const lc = await learningCurve({
      sizes: [100, 1000, 10000], bayesError: 0.01,
      trainAndEvaluate: (n) => ({ trainError: 0.2 - 1 / n, valError: 0.2 + 1 / n }),
    });
    expect(lc.biasVariance.verdict).toBe('high bias');
    expect(lc.diagnosis).toMatch(/more data will not help/);
  });

  it('rejects bad sizes and bad errors', async () => {
    await expect(learningCurve({ sizes: [10, 5], trainAndEvaluate: () => ({ trainError: 0, valError: 0 }) })).rejects.toThrow(InvalidOptionError);
    await expect(learningCurve({ sizes: [10, 20], trainAndEvaluate: () => ({ trainError: 0, valError: 2 }) })).rejects.toThrow(InvalidErrorRateError);
  });
});

describe('trainingCurves smoothing (exponentially weighted average, bias-corrected)', () => {
  const h = { history: { loss: [10, 20, 30], val_loss: [12, NaN, 18] } };
  type Row = { epoch: number; split: string; value: number; smoothed?: number };
  const rowsOf = (spec: unknown) => (spec as { data: { values: Row[] } }).data.values;
  it('draws v_t/(1 − β^t) through the raw points (hand-computed for β = 0.5); diagnoses read the raw values', () => {
    const r = trainingCurves(h, { smoothing: 0.5 });
    const train = rowsOf(r.spec).filter((x) => x.split === 'train');
    expect(train.map((x) => x.value)).toEqual([10, 20, 30]);
    const want = [10, 12.5 / 0.75, 21.25 / 0.875];
    train.forEach((x, i) => expect(Math.abs(x.smoothed! - want[i]!)).toBeLessThan(1e-12));
    // The non-finite validation point is skipped; the average runs over the finite ones (12, 18).
    const val = rowsOf(r.spec).filter((x) => x.split === 'validation');
    expect(val.map((x) => x.epoch)).toEqual([0, 2]);
    expect(Math.abs(val[1]!.smoothed! - (0.5 * 6 + 9) / 0.75)).toBeLessThan(1e-12);
    expect(r.diagnoses).toEqual(trainingCurves(h).diagnoses);
    expect(JSON.stringify(r.spec)).toContain('"field":"smoothed"');
  });
  it('renders, and no smoothing leaves the spec as before', async () => {
    expect(await renderSvg(trainingCurves(h, { smoothing: 0.9 }).spec)).toMatch(/^<svg/);
    expect(JSON.stringify(trainingCurves(h).spec)).not.toContain('smoothed');
  });
  it('a β outside [0, 1) is an InvalidOptionError', () => {
    expect(() => trainingCurves(h, { smoothing: 1 })).toThrow(InvalidOptionError);
  });
});
