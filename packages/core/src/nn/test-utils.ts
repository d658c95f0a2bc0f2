/**
 * Helpers for the nn tests (not exported from the package): plain-JS oracles and a finite-difference
 * check of a layer through the op-spec harness.
 */
import { noGrad } from '../engine';
import * as o from '../ops';
import type { Tensor } from '../tensor';
import { gradCheck } from '../testing/harness';
import type { InputSpec } from '../testing/op-specs';

/** A fixture tensor: shape and flat values. */
export interface FixtureTensor {
  shape: number[];
  values: number[];
}

/** Make a tensor from a fixture entry (values are float32-exact, so the upload is lossless). */
export const fromFixture = (t: FixtureTensor): Tensor => o.tensor(t.values, t.shape);

/** Worst absolute difference between two flat arrays (Infinity when lengths differ). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    m = Number.isNaN(d) ? Infinity : Math.max(m, d);
  }
  return m;
}

/** Worst error |a − b| / max(1, |b|) (Infinity when lengths differ). */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!));
    m = Number.isNaN(d) ? Infinity : Math.max(m, d);
  }
  return m;
}

/** Copy values into a parameter or buffer in place. */
export function setValues(t: Tensor, values: ArrayLike<number>): void {
  noGrad(() => t.assign_(o.tensor(Float64Array.from(values as ArrayLike<number>), t.shape).cast(t.dtype)));
}

/** Read a tensor's values as plain numbers. */
export const vals = (t: Tensor): number[] => Array.from(t.dataSync());

/**
 * Central finite differences of ⟨gy, f(inputs)⟩ against autograd on the float64 reference, via the
 * op-spec harness. `run` receives fresh leaf tensors for every input (plug them into the layer).
 * Returns the worst relative error max|a − n| / max(1, |n|).
 */
export function layerGradCheck(inputs: InputSpec[], run: (...xs: Tensor[]) => Tensor, seed = 3): number {
  return gradCheck({ name: 'layer', inputs: () => inputs, run }, seed);
}

/** Error function (Maclaurin series; ≤ 1e-9 absolute for |x| ≤ 6, exact sign beyond). */
export function erf(x: number): number {
  if (Math.abs(x) > 6) return Math.sign(x); // 1 − erf(6) ≈ 2e-17
  let sum = 0, term = x, n = 0;
  while (Math.abs(term) > 1e-17 * Math.abs(sum) || n < 3) {
    sum += term / (2 * n + 1);
    n++;
    term *= (-x * x) / n;
    if (n > 200) break;
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

/** Naive NHWC convolution with an HWIO kernel, explicit padding [top, bottom, left, right]. */
export function naiveConvNHWC(
  x: ArrayLike<number>, [n, h, w, c]: number[], k: ArrayLike<number>, [kh, kw, , co]: number[],
  stride: [number, number], pad: [number, number, number, number], dil: [number, number] = [1, 1],
): { values: number[]; shape: number[] } {
  const oh = Math.floor((h + pad[0] + pad[1] - dil[0] * (kh - 1) - 1) / stride[0]) + 1;
  const ow = Math.floor((w + pad[2] + pad[3] - dil[1] * (kw - 1) - 1) / stride[1]) + 1;
  const out: number[] = [];
  for (let b = 0; b < n; b++) for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) for (let o2 = 0; o2 < co!; o2++) {
    let s = 0;
    for (let p = 0; p < kh; p++) for (let q = 0; q < kw; q++) {
      const yi = i * stride[0] + p * dil[0] - pad[0], xj = j * stride[1] + q * dil[1] - pad[2];
      if (yi < 0 || yi >= h || xj < 0 || xj >= w) continue;
      for (let ci = 0; ci < c; ci++) s += x[((b * h + yi) * w + xj) * c + ci]! * k[((p * kw + q) * c + ci) * co! + o2]!;
    }
    out.push(s);
  }
  return { values: out, shape: [n, oh, ow, co!] };
}

/** Naive NHWC 2-D pooling ('max' or 'avg'); padded cells are skipped (avg divides by the real count). */
export function naivePoolNHWC(
  x: ArrayLike<number>, [n, h, w, c]: number[], kind: 'max' | 'avg', k: [number, number], stride: [number, number],
  pad: [number, number, number, number] = [0, 0, 0, 0],
): { values: number[]; shape: number[] } {
  const oh = Math.floor((h + pad[0] + pad[1] - k[0]) / stride[0]) + 1, ow = Math.floor((w + pad[2] + pad[3] - k[1]) / stride[1]) + 1;
  const out: number[] = [];
  for (let b = 0; b < n; b++) for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) for (let ch = 0; ch < c; ch++) {
    let m = -Infinity, s = 0, cnt = 0;
    for (let p = 0; p < k[0]; p++) for (let q = 0; q < k[1]; q++) {
      const yi = i * stride[0] + p - pad[0], xj = j * stride[1] + q - pad[2];
      if (yi < 0 || yi >= h || xj < 0 || xj >= w) continue;
      const v = x[((b * h + yi) * w + xj) * c + ch]!;
      m = Math.max(m, v);
      s += v;
      cnt++;
    }
    out.push(kind === 'max' ? m : s / cnt);
  }
  return { values: out, shape: [n, oh, ow, c] };
}

/** Transpose a flat NCHW array to NHWC (or OIHW weights to HWIO with `perm` [2, 3, 1, 0]). */
export function permute(x: ArrayLike<number>, shape: number[], perm: number[]): { values: number[]; shape: number[] } {
  const outShape = perm.map((p) => shape[p]!);
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const n = shape.reduce((a, b) => a * b, 1);
  const values = new Array<number>(n);
  const idx = new Array<number>(outShape.length).fill(0);
  for (let k = 0; k < n; k++) {
    let src = 0;
    for (let a = 0; a < perm.length; a++) src += idx[a]! * strides[perm[a]!]!;
    values[k] = x[src]!;
    for (let a = outShape.length - 1; a >= 0; a--) {
      if (++idx[a]! < outShape[a]!) break;
      idx[a] = 0;
    }
  }
  return { values, shape: outShape };
}
