import type { Backend } from '../backend/backend';
import type { Shape } from '../dtype';
import { engine, scope } from '../engine';
import * as o from '../ops';
import { Tensor, upload } from '../tensor';
import type { ConformanceResult } from './harness';

/**
 * One row of the NaN/±∞ table: fixed inputs holding NaN, +∞, −∞ and ordinary values, and the
 * values PyTorch 1.13 (CPU, float32) returns for the same op. Every value is exactly representable
 * in float32, so a backend must reproduce NaN and ±∞ positions exactly and finite values to 1e-6.
 */
export interface SpecialValueSpec {
  name: string;
  inputs: { values: readonly number[]; shape: Shape }[];
  run: (...xs: Tensor[]) => Tensor;
  /** PyTorch's forward output (flattened). */
  want: readonly number[];
  /** PyTorch's gradient of `sum(run(x))` w.r.t. the first input, where the test checks it. */
  wantGrad?: readonly number[];
}

const N = NaN, I = Infinity;
/** [NaN, +∞, −∞, 0, −1.5, 2]: one of each kind. */
const X = [N, I, -I, 0, -1.5, 2];
/** A second operand pairing NaN with finite, infinite and NaN values. */
const B = [1, N, 0, N, -I, I];
/** Rows: NaN in the middle, all −∞, ties at +∞, NaN after finite values. */
const M = [1, N, 3, N, -I, -I, -I, -I, 2, I, I, 0, 0.5, -1, N, 5];
/** A 4×4 single-channel image (NHWC [1, 4, 4, 1]); 2×2 windows: NaN, +∞, finite, NaN-with-−∞. */
const P = [1, N, 3, 0, -I, -I, 2, I, 0, 1, 2, 3, 4, 5, N, -I];

const un = (name: string, run: (x: Tensor) => Tensor, want: number[], wantGrad?: number[]): SpecialValueSpec =>
  ({ name, inputs: [{ values: X, shape: [6] }], run, want, ...(wantGrad ? { wantGrad } : {}) });
const bin = (name: string, run: (a: Tensor, b: Tensor) => Tensor, want: number[]): SpecialValueSpec =>
  ({ name, inputs: [{ values: X, shape: [6] }, { values: B, shape: [6] }], run: (a, b) => run(a!, b!), want });
const rows = (name: string, run: (m: Tensor) => Tensor, want: number[]): SpecialValueSpec =>
  ({ name, inputs: [{ values: M, shape: [4, 4] }], run, want });
const f32 = (t: Tensor) => o.cast(t, 'float32');

/**
 * NaN and ±∞ semantics, one row per op, expected values from PyTorch 1.13 (printed by
 * `packages/core/scripts/special-values.py`): NaN propagates through relu,
 * maximum/minimum, clip, max/min reductions and max pooling; comparisons with NaN are false (≠ is
 * true); argmax/argmin return the index of the first NaN; max pooling routes the gradient to the NaN.
 */
export const specialValueSpecs: SpecialValueSpec[] = [
  // relu passes NaN (torch.relu), as max(x, 0) in IEEE maximum semantics.
  un('relu', o.relu, [N, I, 0, 0, 0, 2]),
  un('sigmoid', o.sigmoid, [N, 1, 0, 0.5, 0.18242552380635635, 0.8807970779778823]),
  un('tanh', o.tanh, [N, 1, -1, 0, -0.9051482536448664, 0.9640275800758169]),
  un('abs', o.abs, [N, I, I, 0, 1.5, 2]),
  un('softplus', o.softplus, [N, I, 0, 0.6931471805599453, 0.20141327798275246, 2.1269280110429727]),
  un('leakyRelu', (x) => o.leakyRelu(x, 0.1), [N, I, -I, 0, -0.15, 2]),
  un('elu', (x) => o.elu(x), [N, I, -1, 0, -0.7768698398515702, 2]),
  un('clip', (x) => o.clip(x, -1, 1), [N, 1, -1, 0, -1, 1]),
  bin('maximum', o.maximum, [N, N, 0, N, -1.5, I]),
  bin('minimum', o.minimum, [N, N, -I, N, -I, 2]),
  bin('equal', (a, b) => f32(o.equal(a, b)), [0, 0, 0, 0, 0, 0]),
  bin('notEqual', (a, b) => f32(o.notEqual(a, b)), [1, 1, 1, 1, 1, 1]),
  bin('less', (a, b) => f32(o.less(a, b)), [0, 0, 1, 0, 0, 1]),
  bin('lessEqual', (a, b) => f32(o.lessEqual(a, b)), [0, 0, 1, 0, 0, 1]),
  bin('greater', (a, b) => f32(o.greater(a, b)), [0, 0, 0, 0, 1, 0]),
  bin('greaterEqual', (a, b) => f32(o.greaterEqual(a, b)), [0, 0, 0, 0, 1, 0]),
  rows('max(axis)', (m) => o.max(m, 1), [N, -I, I, N]),
  rows('min(axis)', (m) => o.min(m, 1), [N, -I, 0, N]),
  rows('argmax', (m) => f32(o.argmax(m, 1)), [1, 0, 1, 2]),
  rows('argmin', (m) => f32(o.argmin(m, 1)), [1, 0, 3, 2]),
  rows('sum(axis)', (m) => o.sum(m, 1), [N, -I, I, N]),
  rows('mean(axis)', (m) => o.mean(m, 1), [N, -I, I, N]),
  rows('prod(axis)', (m) => o.prod(m, 1), [N, I, N, N]),
  rows('logSumExp(axis)', (m) => o.logSumExp(m, 1), [N, -I, I, N]),
  rows('softmax(axis)', (m) => o.softmax(m, 1), new Array<number>(16).fill(N)),
  {
    name: 'maxPool2d',
    inputs: [{ values: P, shape: [1, 4, 4, 1] }],
    run: (x) => o.maxPool2d(x!, { kernelSize: 2 }),
    want: [N, I, 5, N],
    wantGrad: [0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 1, 0],
  },
  { name: 'avgPool2d', inputs: [{ values: P, shape: [1, 4, 4, 1] }], run: (x) => o.avgPool2d(x!, { kernelSize: 2 }), want: [N, I, 2.5, N] },
];

/** Whether `got` matches `want`: NaN ↔ NaN, ±∞ exactly, finite values to 1e-6 relative (float32 rounding of these inputs). */
function same(got: number, want: number): boolean {
  if (Number.isNaN(want)) return Number.isNaN(got);
  if (!Number.isFinite(want)) return got === want;
  return Math.abs(got - want) <= 1e-6 * Math.max(1, Math.abs(want));
}
const fmt = (a: ArrayLike<number>) => `[${Array.from(a, (v) => String(v)).join(', ')}]`;

/**
 * Run the NaN/±∞ table on `backend` (float32 inputs) and report every mismatch with PyTorch.
 * `maxError` is 0 when all values match and Infinity otherwise (the comparison is exact for
 * NaN/±∞ positions, so there is no meaningful relative error).
 */
export function runSpecialValues(backend: Backend, specs: readonly SpecialValueSpec[] = specialValueSpecs): ConformanceResult[] {
  const prev = engine.backend;
  engine.backend = backend;
  try {
    return specs.map((spec) => {
      const problems: string[] = [];
      try {
        scope(() => {
          const ins = spec.inputs.map((i) => upload(Float32Array.from(i.values), i.shape, 'float32'));
          if (spec.wantGrad) ins[0]!.requiresGrad = true;
          const y = spec.run(...ins);
          const got = y.dataSync();
          if (got.length !== spec.want.length || !spec.want.every((w, i) => same(got[i]!, w)))
            problems.push(`output ${fmt(got)}, PyTorch ${fmt(spec.want)}`);
          if (spec.wantGrad) {
            y.sum().backward();
            const g = ins[0]!.grad?.dataSync() ?? new Float32Array(spec.wantGrad.length);
            if (!spec.wantGrad.every((w, i) => same(g[i]!, w))) problems.push(`gradient ${fmt(g)}, PyTorch ${fmt(spec.wantGrad)}`);
            ins[0]!.grad?.dispose();
            ins[0]!.grad = null;
          }
        });
      } catch (e) {
        problems.push(`threw ${(e as Error).message}`);
      }
      return { name: `${spec.name} (NaN/±∞)`, maxError: problems.length ? Infinity : 0, tolerance: 0, problems };
    });
  } finally {
    engine.backend = prev;
  }
}
