// Shared by the per-engine conformance test files (one file per engine: one tfjs process state each).
import { useBackend } from '@nn/core';
import { runConformance, runSpecialValues, type ConformanceResult } from '@nn/core/testing';
import { describe, expect, it } from 'vitest';
import { tfjs, type EngineName } from './index';

/**
 * Run core's conformance suite (every op, forward and gradients, against the float64 reference with
 * float32-rounded inputs) on one engine and turn each op's findings into one test. Tolerances are
 * core's: 1e-5 relative (widened per op via f32Tol for long convolution sums), stated in the harness.
 */
export async function describeConformance(
  engine: EngineName,
  seeds: readonly number[] = [1, 2, 3],
  /** Documented deviations: row name → the exact problems the row must report (README "Composites and fixes"). */
  deviations: Readonly<Record<string, readonly string[]>> = {},
): Promise<void> {
  const backend = await useBackend(tfjs({ engine }));
  const results: ConformanceResult[] = runConformance(backend, seeds);
  // NaN/±∞ rows: exact NaN and ±∞ positions against PyTorch 1.13 (see core's special-values.ts).
  const special: ConformanceResult[] = runSpecialValues(backend);
  describe(`conformance on tfjs-${engine}`, () => {
    it('ran every op of the table', () => {
      expect(backend.name).toBe(`tfjs-${engine}`);
      expect(results.length).toBeGreaterThan(50);
    });
    for (const r of [...results, ...special]) {
      const known = deviations[r.name];
      if (known) {
        it(`${r.name}: documented deviation`, () => expect(r.problems).toEqual(known));
        continue;
      }
      it(`${r.name} (max error ${r.maxError.toExponential(1)}, tolerance ${r.tolerance})`, () => {
        expect(r.problems).toEqual([]);
        expect(r.maxError).toBeLessThanOrEqual(r.tolerance);
      });
    }
  });
}
