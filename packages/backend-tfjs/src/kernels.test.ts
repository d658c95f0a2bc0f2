// Kernel-level checks of every composite and every quirk found in tfjs 4.22, against the float64
// reference backend, on both installed engines (the backend switches tfjs's active engine itself).
import { referenceBackend, useBackend, type Backend, type DType, type Handle, type Shape, type TensorRef } from '@nn/core';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tfjs } from './index';

interface In {
  values: number[] | Float32Array | Int32Array;
  shape: Shape;
  dtype?: DType;
}
type Call = (b: Backend, r: TensorRef[]) => Handle;

/** Run one kernel call on `b` and read the result; disposes everything it made. */
function run(b: Backend, ins: In[], call: Call, outShape: Shape, outDtype: DType = 'float32'): number[] {
  const refs = ins.map((i) => {
    const dtype = i.dtype ?? 'float32';
    const arr = dtype === 'float32' ? Float32Array.from(i.values) : dtype === 'int32' ? Int32Array.from(i.values) : Uint8Array.from(i.values);
    return { handle: b.upload(arr, i.shape, dtype), shape: i.shape, dtype };
  });
  const h = call(b, refs);
  const out = Array.from(b.readSync({ handle: h, shape: outShape, dtype: outDtype }));
  b.dispose(h);
  for (const r of refs) b.dispose(r.handle);
  return out;
}

/** Deterministic pseudo-random values in [-1, 1) (or all negative). */
function vals(n: number, seed: number, negative = false): Float32Array {
  const a = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const v = (s / 2 ** 31) * 2 - 1;
    a[i] = negative ? -0.1 - Math.abs(v) : v;
  }
  return a;
}
const size = (s: Shape) => s.reduce((p, d) => p * d, 1);
const reference = referenceBackend();

/** Worst |got − want| / max(1, |want|); NaN where exactly one side is NaN counts as Infinity. */
function maxRelError(got: number[], want: number[]): number {
  expect(got.length).toBe(want.length);
  let worst = 0;
  got.forEach((g, i) => {
    const w = want[i]!;
    if (Object.is(g, w)) return;
    if (Number.isNaN(w) || Number.isNaN(g)) worst = Number.isNaN(w) && Number.isNaN(g) ? worst : Infinity;
    else worst = Math.max(worst, Math.abs(g - w) / Math.max(1, Math.abs(w)));
  });
  return worst;
}

for (const engine of ['wasm', 'cpu'] as const) {
  describe(`kernels on tfjs-${engine}`, async () => {
    const b = await useBackend(tfjs({ engine }));
    /** Compare one call against the reference. Tolerance 1e-5: float32 sums of < 300 terms. */
    const check = (ins: In[], call: Call, outShape: Shape, outDtype: DType = 'float32', tol = 1e-5) => {
      const before = tf.memory().numTensors;
      const got = run(b, ins, call, outShape, outDtype);
      expect(tf.memory().numTensors, 'no tfjs tensors leaked').toBe(before);
      expect(maxRelError(got, run(reference, ins, call, outShape, outDtype))).toBeLessThanOrEqual(tol);
      return got;
    };

    it('conv2dBackpropFilter with stride 2 (a composite on wasm), leftover rows cut', () => {
      const x = { values: vals(2 * 9 * 8 * 3, 1), shape: [2, 9, 8, 3] };
      const dy = { values: vals(2 * 4 * 3 * 4, 2), shape: [2, 4, 3, 4] };
      check([x, dy], (k, [a, g]) => k.conv2dBackpropFilter(a!, g!, { strides: [2, 2], dilations: [1, 1] }, [3, 3, 3, 4]), [3, 3, 3, 4]);
    });
    it('conv2dBackpropFilter with stride 2 and dilation 2 together', () => {
      const x = { values: vals(1 * 9 * 9 * 2, 3), shape: [1, 9, 9, 2] };
      const dy = { values: vals(1 * 3 * 3 * 3, 4), shape: [1, 3, 3, 3] };
      check([x, dy], (k, [a, g]) => k.conv2dBackpropFilter(a!, g!, { strides: [2, 2], dilations: [2, 2] }, [3, 3, 2, 3]), [3, 3, 2, 3]);
    });
    it('conv2d and conv2dBackpropInput with stride 2 and dilation 2 (tfjs ops refuse both > 1)', () => {
      const x = { values: vals(2 * 9 * 10 * 2, 5), shape: [2, 9, 10, 2] };
      const w = { values: vals(3 * 3 * 2 * 3, 6), shape: [3, 3, 2, 3] };
      const g = { strides: [2, 2], dilations: [2, 2] } as const;
      check([x, w], (k, [a, f]) => k.conv2d(a!, f!, g, [2, 3, 3, 3]), [2, 3, 3, 3]);
      const dy = { values: vals(2 * 3 * 3 * 3, 7), shape: [2, 3, 3, 3] };
      check([dy, w], (k, [d, f]) => k.conv2dBackpropInput(d!, f!, g, [2, 9, 10, 2]), [2, 9, 10, 2]);
    });
    it('conv2dBackpropFilter of a realistic layer runs on the engine itself, not a slow fallback', () => {
      const x = tf.randomNormal([32, 28, 28, 16]);
      const dy = tf.randomNormal([32, 26, 26, 32]);
      const t0 = performance.now();
      const h = b.conv2dBackpropFilter({ handle: x, shape: x.shape, dtype: 'float32' }, { handle: dy, shape: dy.shape, dtype: 'float32' }, { strides: [1, 1], dilations: [1, 1] }, [3, 3, 16, 32]);
      (h as tf.Tensor).dataSync();
      const ms = performance.now() - t0;
      b.dispose(h);
      x.dispose();
      dy.dispose();
      // 200 MFLOP: ~100 ms on wasm and ~0.4 s on cpu through the composite; tfjs-cpu's own kernel takes
      // ~20 s (and was the fallback wasm would have needed). Bounds leave 10× headroom on a busy machine.
      expect(ms).toBeLessThan(engine === 'wasm' ? 1500 : 5000);
    });
    it('maxPoolGrad on all-negative windows and ties goes to the first maximum (wrong natively on wasm)', () => {
      const x = { values: [-5, -3, -4, -2, -1, -9, -8, -7, -6, -6, -6, -6, -3, -3, -3, -3], shape: [1, 4, 4, 1] };
      const dy = { values: [1, 2, 3, 4], shape: [1, 2, 2, 1] };
      const got = check([dy, x], (k, [d, a]) => k.maxPoolGrad(d!, a!, { kernel: [2, 2], strides: [2, 2] }), [1, 4, 4, 1]);
      expect(got).toEqual([0, 0, 0, 2, 1, 0, 0, 0, 0, 0, 0, 0, 3, 0, 4, 0]);
    });
    it('maxPoolGrad with overlapping windows accumulates (3×3, stride 1, all negative)', () => {
      const x = { values: vals(2 * 6 * 5 * 3, 8, true), shape: [2, 6, 5, 3] };
      const dy = { values: vals(2 * 4 * 3 * 3, 9), shape: [2, 4, 3, 3] };
      check([dy, x], (k, [d, a]) => k.maxPoolGrad(d!, a!, { kernel: [3, 3], strides: [1, 1] }), [2, 6, 5, 3]);
    });
    it('avgPoolGrad with overlapping windows', () => {
      const dy = { values: vals(1 * 3 * 2 * 2, 10), shape: [1, 3, 2, 2] };
      check([dy], (k, [d]) => k.avgPoolGrad(d!, { kernel: [3, 2], strides: [1, 2] }, [1, 5, 4, 2]), [1, 5, 4, 2]);
    });
    it('scatterAdd accumulates duplicate indices along axis 0 and axis 1 (UnsortedSegmentSum is missing on wasm)', () => {
      const idx = { values: [2, 0, 2, 2], shape: [4], dtype: 'int32' as const };
      check([{ values: vals(4 * 3, 11), shape: [4, 3] }, idx], (k, [u, i]) => k.scatterAdd(u!, i!, 0, [5, 3]), [5, 3]);
      check([{ values: vals(2 * 4 * 3, 12), shape: [2, 4, 3] }, idx], (k, [u, i]) => k.scatterAdd(u!, i!, 1, [2, 3, 3]), [2, 3, 3]);
      const ints = { values: [1, 2, 3, 4, 5, 6, 7, 8], shape: [4, 2], dtype: 'int32' as const };
      expect(check([ints, idx], (k, [u, i]) => k.scatterAdd(u!, i!, 0, [3, 2]), [3, 2], 'int32')).toEqual([3, 4, 0, 0, 13, 16]);
    });
    it('oneHot is float32 1/0 and all zeros out of range (wasm writes int bits into floats)', () => {
      const got = check([{ values: [-1, 0, 2, 3], shape: [4], dtype: 'int32' }], (k, [i]) => k.oneHot(i!, 3), [4, 3]);
      expect(got).toEqual([0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0]);
    });
    it('maximum and minimum propagate NaN from either operand (wasm drops the second one)', () => {
      const a = { values: [NaN, 1, 2], shape: [3] }, c = { values: [1, NaN, 3], shape: [3] };
      expect(check([a, c], (k, [x, y]) => k.binary('maximum', x!, y!, [3]), [3])).toEqual([NaN, NaN, 3]);
      expect(check([a, c], (k, [x, y]) => k.binary('minimum', x!, y!, [3]), [3])).toEqual([NaN, NaN, 2]);
      const col = { values: [NaN, 0], shape: [2, 1] };
      check([col, c], (k, [x, y]) => k.binary('maximum', x!, y!, [2, 3]), [2, 3]);
    });
    it('matmul with transpose flags and batch broadcasting (explicit transposes on wasm)', () => {
      const a = { values: vals(2 * 3 * 4 * 5, 13), shape: [2, 3, 4, 5] }, c = { values: vals(3 * 6 * 4, 14), shape: [3, 6, 4] };
      check([a, c], (k, [x, y]) => k.matmul(x!, y!, true, true, [2, 3, 5, 6]), [2, 3, 5, 6]);
    });
    it('matmul with few output rows keeps b\'s transpose flag (batch-1 inference), around the 4-row switch', () => {
      for (const rows of [1, 3, 4, 5]) {
        const b = { values: vals(6 * 7, 15 + rows), shape: [6, 7] };
        const a = { values: vals(rows * 7, 20 + rows), shape: [rows, 7] }, at = { values: vals(2 * 7 * rows, 25 + rows), shape: [2, 7, rows] };
        check([a, b], (k, [x, y]) => k.matmul(x!, y!, false, true, [rows, 6]), [rows, 6]);
        check([at, b], (k, [x, y]) => k.matmul(x!, y!, true, true, [2, rows, 6]), [2, rows, 6]);
      }
    });
    it('int32 division floors, comparisons give bool, reductions of bool give int32', () => {
      const a = { values: [7, -7, 6], shape: [3], dtype: 'int32' as const }, c = { values: [2, 2, -4], shape: [3], dtype: 'int32' as const };
      expect(check([a, c], (k, [x, y]) => k.binary('div', x!, y!, [3]), [3], 'int32')).toEqual([3, -4, -2]);
      expect(check([a, c], (k, [x, y]) => k.binary('greater', x!, y!, [3]), [3], 'bool')).toEqual([1, 0, 1]);
      const m = { values: [1, 0, 1, 1], shape: [2, 2], dtype: 'bool' as const };
      expect(check([m], (k, [x]) => k.reduce('sum', x!, [0], false), [2], 'int32')).toEqual([2, 1]);
      expect(check([m], (k, [x]) => k.reduce('max', x!, [], false), [2, 2], 'int32')).toEqual([1, 0, 1, 1]);
    });
    it('float-only unary ops on int32 (tfjs throws on floor(int32))', () => {
      const a = { values: [4, -3, 9], shape: [3], dtype: 'int32' as const };
      expect(check([a], (k, [x]) => k.unary('floor', x!), [3], 'int32')).toEqual([4, -3, 9]);
      expect(check([{ values: [4, 9], shape: [2], dtype: 'int32' }], (k, [x]) => k.unary('sqrt', x!), [2], 'int32')).toEqual([2, 3]);
    });
    it('broadcastTo (Fill or a multiply by ones on wasm, whose Tile is slow) keeps -0, NaN, ints and bools', () => {
      const one = { values: [-0], shape: [1, 1] };
      const got = check([one], (k, [x]) => k.broadcastTo(x!, [2, 3]), [2, 3]);
      expect(got.every((v) => Object.is(v, -0))).toBe(true);
      check([{ values: [1, NaN, -Infinity], shape: [3, 1] }], (k, [x]) => k.broadcastTo(x!, [2, 3, 4]), [2, 3, 4]);
      expect(check([{ values: [7, -2], shape: [2] }], (k, [x]) => k.broadcastTo(x!, [2, 2]), [2, 2])).toEqual([7, -2, 7, -2]);
      const ints = { values: [2 ** 30, -5], shape: [2, 1], dtype: 'int32' as const };
      expect(check([ints], (k, [x]) => k.broadcastTo(x!, [2, 2]), [2, 2], 'int32')).toEqual([2 ** 30, 2 ** 30, -5, -5]);
      const bools = { values: [1, 0], shape: [1, 2], dtype: 'bool' as const };
      expect(check([bools], (k, [x]) => k.broadcastTo(x!, [2, 2]), [2, 2], 'bool')).toEqual([1, 0, 1, 0]);
    });
    it('where broadcasts condition, a and b (scalar b, column condition, bool values)', () => {
      const cond = { values: [1, 0, 1], shape: [3, 1], dtype: 'bool' as const };
      const a = { values: vals(3 * 4, 15), shape: [3, 4] }, zero = { values: [0], shape: [] };
      check([cond, a, zero], (k, [c, x, y]) => k.where(c!, x!, y!, [3, 4]), [3, 4]);
      const a3 = { values: vals(2 * 3 * 4, 16), shape: [2, 3, 4] };
      check([cond, zero, a3], (k, [c, x, y]) => k.where(c!, x!, y!, [2, 3, 4]), [2, 3, 4]);
      // wasm's Select writes 4-byte floats into bool/int32 outputs (a heap overrun): both avoid it.
      const t = { values: [1], shape: [1], dtype: 'bool' as const }, f = { values: [0, 0], shape: [2], dtype: 'bool' as const };
      expect(check([cond, t, f], (k, [c, x, y]) => k.where(c!, x!, y!, [3, 2]), [3, 2], 'bool')).toEqual([1, 1, 0, 0, 1, 1]);
      const big = { values: [2 ** 31 - 1, -(2 ** 31)], shape: [2], dtype: 'int32' as const }, small = { values: [-7], shape: [1], dtype: 'int32' as const };
      expect(check([cond, big, small], (k, [c, x, y]) => k.where(c!, x!, y!, [3, 2]), [3, 2], 'int32')).toEqual([2 ** 31 - 1, -(2 ** 31), -7, -7, 2 ** 31 - 1, -(2 ** 31)]);
    });
    it('uploads copy host arrays and reads hand out copies', () => {
      const host = new Float32Array([1, 2, 3]);
      const h = b.upload(host, [3], 'float32');
      host[0] = 99;
      const ref = { handle: h, shape: [3], dtype: 'float32' as const };
      const read = b.readSync(ref);
      read[1] = 99;
      expect(Array.from(b.readSync(ref))).toEqual([1, 2, 3]);
      b.dispose(h);
    });
    it('bool uploads normalise any non-zero to 1', () => {
      expect(run(b, [{ values: [0, 2, 255], shape: [3], dtype: 'bool' }], (k, [x]) => k.cast(x!, 'int32'), [3], 'int32')).toEqual([0, 1, 1]);
    });
  });
}
