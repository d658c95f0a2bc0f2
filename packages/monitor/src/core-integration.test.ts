import { randn, tensor, useBackend, referenceBackend } from '@nn/core';
import { describe, expect, it } from 'vitest';
import { gradientHealth } from './health/gradient-health.js';
import type { ModelLike } from './types.js';

// Checks that real @nn/core tensors satisfy this package's structural interfaces.
describe('with @nn/core tensors', () => {
  it('gradientHealth reads real parameters and gradients', async () => {
    await useBackend(referenceBackend());
    const w = randn([4, 3], { requiresGrad: true });
    const x = tensor([[1, 2, 3, 4]]);
    x.matmul(w).sum().backward();
    const model: ModelLike = { namedParameters: () => [['w', w]] };
    const r = gradientHealth(model);
    // d(sum(x·w))/dw[i, j] = x[i]: the gradient norm is √3 · ‖x‖ = √3 · √30 exactly (float32 → 1e-5).
    expect(r.parameters[0]!.gradNorm).toBeCloseTo(Math.sqrt(90), 5);
    expect(r.warnings).toEqual([]);
  });
});
