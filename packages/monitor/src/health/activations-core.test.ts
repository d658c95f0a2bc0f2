import { Dense, Input, Sequential, manualSeed, nn, noGrad, referenceBackend, tensor, useBackend, type Tensor } from '@nn/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ActivationRecorder, type ActivationStats } from './activations.js';
import { gradientHealth } from './gradient-health.js';

// ActivationRecorder on real @nn/core modules (forward hooks via namedModules() +
// registerForwardHook()), checked against statistics computed here in plain JavaScript from the
// modules' own weights: a matmul loop, ReLU, then mean / population std / dead units by hand.

const IN = 5, HIDDEN = 8, OUT = 3, BATCH = 16;
const DEAD = [1, 4, 6]; // hidden units whose bias is pushed to −100: ReLU(·) = 0 for every example

/** x·Wᵀ + b with W laid out [out, in] (nn.Linear) or [in, out] (Keras Dense kernel). */
function affine(x: number[][], w: ArrayLike<number>, b: ArrayLike<number>, inF: number, outF: number, layout: 'oi' | 'io'): number[][] {
  return x.map((row) => Array.from({ length: outF }, (_, j) => {
    let s = b[j]!;
    for (let i = 0; i < inF; i++) s += row[i]! * w[layout === 'oi' ? j * inF + i : i * outF + j]!;
    return s;
  }));
}
const relu = (m: number[][]) => m.map((r) => r.map((v) => Math.max(0, v)));

function expectedStats(m: number[][]) {
  const v = m.flat();
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
  const units = m[0]!.length;
  let dead = 0;
  for (let u = 0; u < units; u++) if (m.every((r) => r[u]! <= 0)) dead++;
  return {
    mean, std, min: Math.min(...v), max: Math.max(...v),
    fractionZero: v.filter((x) => x <= 0).length / v.length,
    deadFraction: dead / units,
    fractionSaturated: v.filter((x) => Math.abs(x) >= 0.99).length / v.length,
  };
}

/** Relative tolerance: the tensors may be float32, the reference sums here are float64. */
function expectClose(got: ActivationStats, want: ReturnType<typeof expectedStats>, rel = 1e-6) {
  for (const k of ['mean', 'std', 'min', 'max'] as const) {
    expect(Math.abs(got[k] - want[k]), `${k}: ${got[k]} vs ${want[k]}`).toBeLessThanOrEqual(rel * Math.max(1, Math.abs(want[k])));
  }
  expect(got.fractionZero).toBe(want.fractionZero);
  expect(got.deadFraction).toBe(want.deadFraction);
  expect(got.fractionSaturated).toBe(want.fractionSaturated);
  expect(got.nonFinite).toBe(0);
}

/** Deterministic inputs in [−1, 1] (a few sines) as a tensor, and as rows read back from it. */
function inputs(sign = 1): { x: Tensor; xs: number[][] } {
  const x = tensor(Array.from({ length: BATCH * IN }, (_, i) => sign * Math.sin(1.7 * Math.floor(i / IN) + 0.9 * (i % IN) + 0.3)), [BATCH, IN]);
  const v = x.dataSync();
  return { x, xs: Array.from({ length: BATCH }, (_, r) => Array.from(v.subarray(r * IN, (r + 1) * IN))) };
}

describe('ActivationRecorder with real @nn/core modules', () => {
  beforeAll(async () => {
    await useBackend(referenceBackend());
    manualSeed(7);
  });

  it('PyTorch door: nn.Sequential(Linear, ReLU, Linear) — dead-ReLU fraction and statistics per layer', () => {
    const net = new nn.Sequential(new nn.Linear(IN, HIDDEN), new nn.ReLU(), new nn.Linear(HIDDEN, OUT));
    const fc1 = net.items[0] as nn.Linear;
    const fc2 = net.items[2] as nn.Linear;
    noGrad(() => {
      const b = Array.from(fc1.bias!.dataSync());
      for (const u of DEAD) b[u] = -100;
      fc1.bias!.copy_(tensor(b, [HIDDEN]));
    });

    const rec = new ActivationRecorder();
    expect(rec.attach(net)).toBe(3); // '0', '1', '2' (the container itself is skipped)
    const { x, xs } = inputs();
    const out = net(x) as Tensor;

    const h = affine(xs, fc1.weight.dataSync(), fc1.bias!.dataSync(), IN, HIDDEN, 'oi');
    const a = relu(h);
    const y = affine(a, fc2.weight.dataSync(), fc2.bias!.dataSync(), HIDDEN, OUT, 'oi');
    const byName = Object.fromEntries(rec.stats().map((s) => [s.name, s]));
    expect(Object.keys(byName)).toEqual(['0', '1', '2']);
    expectClose(byName['0']!, expectedStats(h));
    expectClose(byName['1']!, expectedStats(a));
    expectClose(byName['2']!, expectedStats(y));
    // The network's own output is what the last hook saw.
    expect(Array.from(out.dataSync())).toEqual(Array.from({ length: BATCH * OUT }, (_, i) => expect.closeTo(y[Math.floor(i / OUT)]![i % OUT]!, 5)));

    // Exactly the three forced units are dead (random init leaves the others alive on these inputs).
    const want = expectedStats(a);
    expect(want.deadFraction).toBe(DEAD.length / HIDDEN);
    expect(byName['1']!.deadFraction).toBe(3 / 8);

    // gradientHealth turns the recorded statistics into a dead-ReLU warning for that layer.
    // (3/8 is under the default 0.5 limit; with a 0.25 limit the ReLU layer is flagged.)
    const model = { namedParameters: () => net.namedParameters() };
    const reluOnly = rec.stats().filter((st) => st.name === '1');
    expect(gradientHealth(model, { activations: reluOnly }).warnings.filter((w) => w.kind === 'dead-relu')).toEqual([]);
    const dead = gradientHealth(model, { activations: reluOnly, deadReluFraction: 0.25 }).warnings.filter((w) => w.kind === 'dead-relu');
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ name: '1' });
    expect(dead[0]!.message).toContain('38% of units are zero for every example');

    // detach() removes the hooks: a second pass records nothing new.
    rec.detach();
    const before = rec.stats();
    net(inputs(-1).x);
    expect(rec.stats()).toEqual(before);
  });

  it('Keras door: Sequential([Dense(relu), Dense]) — the hook sees the activated output', () => {
    const model = new Sequential([Input({ shape: [IN] }), new Dense(HIDDEN, { activation: 'relu' }), new Dense(OUT)]);
    const { x, xs } = inputs();
    model(x); // builds the weights
    const [d1, d2] = model.layers as [Dense, Dense];
    const kernel = (d: Dense) => (d as unknown as { kernel: Tensor }).kernel;
    const bias = (d: Dense) => (d as unknown as { bias: Tensor }).bias;
    noGrad(() => {
      const b = Array.from(bias(d1).dataSync());
      for (const u of DEAD) b[u] = -100;
      bias(d1).copy_(tensor(b, [HIDDEN]));
    });

    const rec = new ActivationRecorder();
    expect(rec.attach(model)).toBe(2);
    model(x);
    const a = relu(affine(xs, kernel(d1).dataSync(), bias(d1).dataSync(), IN, HIDDEN, 'io'));
    const y = affine(a, kernel(d2).dataSync(), bias(d2).dataSync(), HIDDEN, OUT, 'io');
    const [s1, s2] = rec.stats();
    expectClose(s1!, expectedStats(a));
    expectClose(s2!, expectedStats(y));
    expect(s1!.deadFraction).toBe(3 / 8);
    rec.detach();
  });
});
