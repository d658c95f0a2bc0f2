import { describe, expect, it } from 'vitest';
import { gradCheck, opSpecs, runConformance, runSpecialValues } from '../testing';
import { referenceBackend } from '../backend/reference';

// Finite differences on the float64 reference: central differences with eps 1e-6 have truncation
// error O(eps²·f''') ≈ 1e-12 and rounding error O(1e-16/eps) ≈ 1e-10, so 1e-6 relative is a safe bound.
describe('finite-difference gradient check (float64 reference)', () => {
  for (const spec of opSpecs.filter((s) => s.differentiable !== false)) {
    it(spec.name, () => {
      for (const seed of [11, 12, 13]) expect(gradCheck(spec, seed)).toBeLessThan(1e-6);
    });
  }
});

describe('conformance suite runs against itself', () => {
  it('reference backend agrees with a fresh reference backend (float32-rounded inputs)', () => {
    const bad = runConformance(referenceBackend(), [3]).filter((r) => r.problems.length);
    expect(bad).toEqual([]);
  });
});

describe('NaN/±∞ semantics match PyTorch (reference backend)', () => {
  for (const r of runSpecialValues(referenceBackend())) {
    it(r.name, () => expect(r.problems).toEqual([]));
  }
});
