import { describe, expect, it } from 'vitest';
import { biasVariance, HIGH_BIAS_ADVICE, HIGH_VARIANCE_ADVICE } from './bias-variance.js';
import { InvalidErrorRateError } from './errors.js';

describe('biasVariance reproduces the course table (human error 0.5%)', () => {
  // Rounded to 1e-12 by the implementation, so exact equality is meaningful here.
  const table = [
    { name: 'A1', trainError: 0.01, valError: 0.11, verdict: 'high variance', bias: 0.005, variance: 0.1 },
    { name: 'A2', trainError: 0.15, valError: 0.16, verdict: 'high bias', bias: 0.145, variance: 0.01 },
    { name: 'A3', trainError: 0.15, valError: 0.3, verdict: 'high bias and high variance', bias: 0.145, variance: 0.15 },
    { name: 'A4', trainError: 0.005, valError: 0.01, verdict: 'neither', bias: 0, variance: 0.005 },
    { name: 'A5', trainError: 0.003, valError: 0.004, verdict: 'cannot tell', bias: -0.002, variance: 0.001 },
  ] as const;
  for (const row of table) {
    it(`${row.name}: train ${row.trainError}, val ${row.valError} → ${row.verdict}`, () => {
      const r = biasVariance({ trainError: row.trainError, valError: row.valError, bayesError: 0.005 });
      expect(r.verdict).toBe(row.verdict);
      expect(r.avoidableBias).toBe(row.bias);
      expect(r.variance).toBe(row.variance);
      expect(r.advice.length).toBeGreaterThan(0);
    });
  }

  it('gives the course advice for each verdict', () => {
    expect(biasVariance({ trainError: 0.15, valError: 0.16, bayesError: 0.005 }).advice).toEqual(HIGH_BIAS_ADVICE);
    expect(biasVariance({ trainError: 0.01, valError: 0.11, bayesError: 0.005 }).advice).toEqual(HIGH_VARIANCE_ADVICE);
    const both = biasVariance({ trainError: 0.15, valError: 0.3, bayesError: 0.005 }).advice;
    expect(both).toEqual(expect.arrayContaining([...HIGH_BIAS_ADVICE, ...HIGH_VARIANCE_ADVICE]));
    expect(new Set(both).size).toBe(both.length);
  });

  it('says honestly why it cannot tell (A5)', () => {
    const r = biasVariance({ trainError: 0.003, valError: 0.004, bayesError: 0.005 });
    expect(r.explanation).toMatch(/below the Bayes error estimate/);
    expect(r.advice.join(' ')).toMatch(/better estimate of the Bayes error/);
  });
});

describe('biasVariance options', () => {
  it('thresholds change the verdict', () => {
    const rates = { trainError: 0.01, valError: 0.11, bayesError: 0.005 };
    expect(biasVariance(rates, { varianceThreshold: 0.2 }).verdict).toBe('neither');
    expect(biasVariance(rates, { biasThreshold: 0.001 }).verdict).toBe('high bias and high variance');
    expect(biasVariance({ trainError: 0.003, valError: 0.004, bayesError: 0.005 }, { bayesTolerance: 0.005 }).verdict).toBe('neither');
  });
});

describe('biasVariance bad input', () => {
  it.each([
    ['trainError', { trainError: -0.1, valError: 0.1, bayesError: 0 }],
    ['valError', { trainError: 0.1, valError: 1.5, bayesError: 0 }],
    ['bayesError', { trainError: 0.1, valError: 0.1, bayesError: Number.NaN }],
    ['trainError', { trainError: '0.1', valError: 0.1, bayesError: 0 }],
  ])('rejects %s outside [0, 1]', (field, rates) => {
    expect(() => biasVariance(rates as never)).toThrow(InvalidErrorRateError);
    expect(() => biasVariance(rates as never)).toThrow(new RegExp(`${field} must be a finite number in \\[0, 1\\]`));
  });
  it('hints at percentages', () => {
    expect(() => biasVariance({ trainError: 15, valError: 16, bayesError: 0.5 })).toThrow(/Use 0.15 for 15%/);
  });
  it('rejects a threshold outside [0, 1]', () => {
    expect(() => biasVariance({ trainError: 0.1, valError: 0.1, bayesError: 0 }, { biasThreshold: 2 })).toThrow(/options.biasThreshold/);
  });
});

describe('BiasVarianceReport callback', () => {
  it('reports the verdict of the last epoch at the end of training', async () => {
    const { BiasVarianceReport } = await import('./bias-variance-report.js');
    const seen: string[] = [];
    const cb = new BiasVarianceReport({ bayesError: 0.005, onReport: (r, m) => seen.push(`${m}:${r.verdict}`) });
    cb.onTrainBegin();
    cb.onEpochEnd(0, { loss: 1, accuracy: 0.5, val_accuracy: 0.5 });
    cb.onEpochEnd(1, { loss: 0.1, accuracy: 0.99, val_accuracy: 0.89 });
    cb.onTrainEnd();
    expect(seen).toEqual(['accuracy:high variance']);
    expect(cb.result?.variance).toBeCloseTo(0.1, 12); // 0.99/0.89 are inexact in binary: 1e-12 slack
    expect(() => new BiasVarianceReport({ bayesError: 5 })).toThrow(InvalidErrorRateError);
  });
});
