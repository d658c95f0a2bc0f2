import { sizeOf, stridesOf, type DType, type Shape, type TypedArray } from '../dtype';
import {
  BACKEND_SPEC_VERSION,
  type Backend,
  type BinaryOp,
  type Conv2dGeometry,
  type Handle,
  type Pool2dGeometry,
  type ReduceOp,
  type TensorRef,
  type UnaryOp,
} from './backend';

type Data = Float64Array | Int32Array | Uint8Array;
interface RefHandle {
  data: Data;
}

const d = (x: TensorRef): Data => (x.handle as RefHandle).data;
const h = (data: Data): Handle => ({ data }) satisfies RefHandle;

function alloc(dtype: DType, n: number): Data {
  return dtype === 'float32' ? new Float64Array(n) : dtype === 'int32' ? new Int32Array(n) : new Uint8Array(n);
}

/** Index into a broadcast input for each output element (row-major). */
function broadcastIndex(inShape: Shape, outShape: Shape): Int32Array {
  const n = sizeOf(outShape);
  const idx = new Int32Array(n);
  const rank = outShape.length;
  const offset = rank - inShape.length;
  const inStrides = stridesOf(inShape);
  const eff = outShape.map((_, i) => {
    const k = i - offset;
    return k < 0 || inShape[k] === 1 ? 0 : inStrides[k]!;
  });
  const counter = new Array<number>(rank).fill(0);
  let pos = 0;
  for (let i = 0; i < n; i++) {
    idx[i] = pos;
    for (let ax = rank - 1; ax >= 0; ax--) {
      counter[ax]!++;
      pos += eff[ax]!;
      if (counter[ax]! < outShape[ax]!) break;
      pos -= eff[ax]! * counter[ax]!;
      counter[ax] = 0;
    }
  }
  return idx;
}

const erf = (x: number): number => {
  // Abramowitz–Stegun 7.1.26 is too coarse for float64 checks; use a series/continued fraction.
  const ax = Math.abs(x);
  if (ax < 2.5) {
    let sum = x, term = x;
    for (let n = 1; n < 200; n++) {
      term *= (-x * x) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc continued fraction (Lentz) for large |x|
  const t = ax;
  let f = t, c = t, dd = 0;
  for (let n = 1; n < 300; n++) {
    const an = n / 2;
    dd = t + an * dd;
    dd = dd === 0 ? 1e-300 : 1 / dd;
    c = t + an / c;
    if (c === 0) c = 1e-300;
    const delta = c * dd;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const erfc = Math.exp(-t * t) / (f * Math.sqrt(Math.PI));
  return Math.sign(x) * (1 - erfc);
};

const UNARY: Record<UnaryOp, (v: number) => number> = {
  neg: (v) => -v,
  abs: Math.abs,
  sign: Math.sign,
  exp: Math.exp,
  expm1: Math.expm1,
  log: Math.log,
  log1p: Math.log1p,
  sqrt: Math.sqrt,
  rsqrt: (v) => 1 / Math.sqrt(v),
  square: (v) => v * v,
  reciprocal: (v) => 1 / v,
  sin: Math.sin,
  cos: Math.cos,
  tanh: Math.tanh,
  sigmoid: (v) => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v))),
  // NaN passes through (IEEE maximum(NaN, 0) and torch.relu): a NaN must not become a finite 0.
  relu: (v) => (v > 0 || Number.isNaN(v) ? v : 0),
  softplus: (v) => (v > 0 ? v + Math.log1p(Math.exp(-v)) : Math.log1p(Math.exp(v))),
  erf,
  floor: Math.floor,
  ceil: Math.ceil,
  // Banker's rounding, as tfjs and NumPy round half to even.
  round: (v) => {
    const r = Math.round(v);
    return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
  },
  logicalNot: (v) => (v ? 0 : 1),
};

const BINARY: Record<BinaryOp, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: Math.pow,
  maximum: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b)),
  minimum: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b)),
  mod: (a, b) => a - b * Math.floor(a / b),
  equal: (a, b) => +(a === b),
  notEqual: (a, b) => +(a !== b),
  less: (a, b) => +(a < b),
  lessEqual: (a, b) => +(a <= b),
  greater: (a, b) => +(a > b),
  greaterEqual: (a, b) => +(a >= b),
  logicalAnd: (a, b) => +(!!a && !!b),
  logicalOr: (a, b) => +(!!a || !!b),
};
const BOOL_OUT = new Set<BinaryOp>(['equal', 'notEqual', 'less', 'lessEqual', 'greater', 'greaterEqual', 'logicalAnd', 'logicalOr']);

/** Walk all output positions of a strided view: calls f(outIndex, inOffset). */
function forEachPermuted(shape: Shape, strides: readonly number[], f: (i: number, off: number) => void): void {
  const rank = shape.length;
  const n = sizeOf(shape);
  const counter = new Array<number>(rank).fill(0);
  let off = 0;
  for (let i = 0; i < n; i++) {
    f(i, off);
    for (let ax = rank - 1; ax >= 0; ax--) {
      counter[ax]!++;
      off += strides[ax]!;
      if (counter[ax]! < shape[ax]!) break;
      off -= strides[ax]! * counter[ax]!;
      counter[ax] = 0;
    }
  }
}

/** Output size of a strided, dilated window over an unpadded axis. */
const outDim = (n: number, k: number, s: number, dil = 1) => Math.floor((n - dil * (k - 1) - 1) / s) + 1;

/**
 * The reference backend: every kernel in plain TypeScript over Float64Array. It is the specification
 * of each kernel and the oracle of the conformance suite; it is slow on purpose (clear loops).
 */
export function referenceBackend(): Backend {
  let live = 0;
  const mk = (data: Data): Handle => {
    live++;
    return h(data);
  };
  return {
    specVersion: BACKEND_SPEC_VERSION,
    name: 'reference',
    upload(values, shape, dtype) {
      const out = alloc(dtype, sizeOf(shape));
      if (dtype === 'bool') for (let i = 0; i < out.length; i++) out[i] = values[i] ? 1 : 0;
      else out.set(values as ArrayLike<number>);
      return mk(out);
    },
    readSync: (x) => d(x).slice() as TypedArray,
    read: async (x) => d(x).slice() as TypedArray,
    dispose() {
      live--;
    },
    numHandles: () => live,

    unary(op, x) {
      const a = d(x);
      const f = UNARY[op];
      const out = alloc(op === 'logicalNot' ? 'bool' : x.dtype, a.length);
      for (let i = 0; i < a.length; i++) out[i] = f(a[i]!);
      return mk(out);
    },
    binary(op, a, b, outShape) {
      const f = BINARY[op];
      const ia = broadcastIndex(a.shape, outShape), ib = broadcastIndex(b.shape, outShape);
      const da = d(a), db = d(b);
      const out = alloc(BOOL_OUT.has(op) ? 'bool' : a.dtype, ia.length);
      const intDiv = a.dtype === 'int32' && op === 'div';
      for (let i = 0; i < out.length; i++) {
        const v = f(da[ia[i]!]!, db[ib[i]!]!);
        out[i] = intDiv ? Math.floor(v) : v;
      }
      return mk(out);
    },
    where(cond, a, b, outShape) {
      const ic = broadcastIndex(cond.shape, outShape), ia = broadcastIndex(a.shape, outShape), ib = broadcastIndex(b.shape, outShape);
      const dc = d(cond), da = d(a), db = d(b);
      const out = alloc(a.dtype, ic.length);
      for (let i = 0; i < out.length; i++) out[i] = dc[ic[i]!] ? da[ia[i]!]! : db[ib[i]!]!;
      return mk(out);
    },
    cast(x, dtype) {
      const a = d(x);
      const out = alloc(dtype, a.length);
      for (let i = 0; i < a.length; i++) out[i] = dtype === 'bool' ? +(a[i] !== 0) : dtype === 'int32' ? Math.trunc(a[i]!) : a[i]!;
      return mk(out);
    },
    fill(shape, value, dtype) {
      return mk(alloc(dtype, sizeOf(shape)).fill(value));
    },

    matmul(a, b, ta, tb, outShape) {
      const ra = a.shape.length, rb = b.shape.length, ro = outShape.length;
      const M = outShape[ro - 2]!, N = outShape[ro - 1]!;
      const K = ta ? a.shape[ra - 2]! : a.shape[ra - 1]!;
      const batchShape = outShape.slice(0, ro - 2);
      const ib = broadcastIndex(a.shape.slice(0, ra - 2), batchShape);
      const jb = broadcastIndex(b.shape.slice(0, rb - 2), batchShape);
      const da = d(a), db = d(b);
      const out = new Float64Array(sizeOf(outShape));
      const sa = a.shape[ra - 2]! * a.shape[ra - 1]!, sb = b.shape[rb - 2]! * b.shape[rb - 1]!;
      const aCols = a.shape[ra - 1]!, bCols = b.shape[rb - 1]!;
      for (let bi = 0; bi < ib.length; bi++) {
        const oa = ib[bi]! * sa, ob = jb[bi]! * sb, oo = bi * M * N;
        for (let m = 0; m < M; m++)
          for (let n = 0; n < N; n++) {
            let s = 0;
            for (let k = 0; k < K; k++) {
              const av = ta ? da[oa + k * aCols + m]! : da[oa + m * aCols + k]!;
              const bv = tb ? db[ob + n * bCols + k]! : db[ob + k * bCols + n]!;
              s += av * bv;
            }
            out[oo + m * N + n] = s;
          }
      }
      return mk(out);
    },

    reduce(op, x, axes, keepDims) {
      void keepDims;
      const shape = x.shape;
      const outShape = shape.map((s, i) => (axes.includes(i) ? 1 : s));
      const n = sizeOf(outShape);
      const init = op === 'sum' || op === 'mean' ? 0 : op === 'prod' ? 1 : op === 'max' ? -Infinity : Infinity;
      const out = alloc(x.dtype === 'bool' ? 'int32' : x.dtype, n).fill(init);
      const ostr = stridesOf(outShape);
      const eff = shape.map((_, i) => (axes.includes(i) ? 0 : ostr[i]!));
      const a = d(x);
      const f: Record<ReduceOp, (acc: number, v: number) => number> = {
        sum: (s, v) => s + v, mean: (s, v) => s + v, prod: (s, v) => s * v,
        max: (s, v) => (Number.isNaN(v) || v > s ? v : s), min: (s, v) => (Number.isNaN(v) || v < s ? v : s),
      };
      const g = f[op];
      forEachPermuted(shape, eff, (i, o) => {
        out[o] = g(out[o]!, a[i]!);
      });
      if (op === 'mean') {
        const cnt = axes.reduce((p, ax) => p * shape[ax]!, 1);
        for (let i = 0; i < n; i++) out[i] = out[i]! / cnt;
      }
      return mk(out);
    },
    argReduce(op, x, axis) {
      const shape = x.shape;
      const outer = sizeOf(shape.slice(0, axis)), len = shape[axis]!, inner = sizeOf(shape.slice(axis + 1));
      const a = d(x);
      const out = new Int32Array(outer * inner);
      for (let o = 0; o < outer; o++)
        for (let i = 0; i < inner; i++) {
          // The first NaN wins, as in PyTorch (NaN compares greater and smaller than everything).
          let best = 0, bv = a[o * len * inner + i]!;
          for (let k = 1; k < len && !Number.isNaN(bv); k++) {
            const v = a[(o * len + k) * inner + i]!;
            if (Number.isNaN(v) || (op === 'argmax' ? v > bv : v < bv)) (best = k), (bv = v);
          }
          out[o * inner + i] = best;
        }
      return mk(out);
    },

    reshape: (x) => mk(d(x).slice()),
    transpose(x, perm) {
      const st = stridesOf(x.shape);
      const outShape = perm.map((p) => x.shape[p]!);
      const a = d(x);
      const out = alloc(x.dtype, a.length);
      forEachPermuted(outShape, perm.map((p) => st[p]!), (i, o) => {
        out[i] = a[o]!;
      });
      return mk(out);
    },
    broadcastTo(x, shape) {
      const idx = broadcastIndex(x.shape, shape);
      const a = d(x);
      const out = alloc(x.dtype, idx.length);
      for (let i = 0; i < idx.length; i++) out[i] = a[idx[i]!]!;
      return mk(out);
    },
    concat(xs, axis) {
      const outShape = xs[0]!.shape.slice();
      outShape[axis] = xs.reduce((s, x) => s + x.shape[axis]!, 0);
      const outer = sizeOf(outShape.slice(0, axis)), inner = sizeOf(outShape.slice(axis + 1));
      const out = alloc(xs[0]!.dtype, sizeOf(outShape));
      let off = 0;
      for (const x of xs) {
        const a = d(x), w = x.shape[axis]! * inner;
        for (let o = 0; o < outer; o++) out.set(a.subarray(o * w, (o + 1) * w), o * outShape[axis]! * inner + off);
        off += w;
      }
      return mk(out);
    },
    slice(x, begin, size) {
      const st = stridesOf(x.shape);
      const base = begin.reduce((s, b, i) => s + b * st[i]!, 0);
      const a = d(x);
      const out = alloc(x.dtype, sizeOf(size));
      forEachPermuted(size, st, (i, o) => {
        out[i] = a[base + o]!;
      });
      return mk(out);
    },
    pad(x, pads, value) {
      const outShape = x.shape.map((s, i) => s + pads[i]![0] + pads[i]![1]);
      const ost = stridesOf(outShape);
      const base = pads.reduce((s, p, i) => s + p[0] * ost[i]!, 0);
      const out = alloc(x.dtype, sizeOf(outShape)).fill(value);
      const a = d(x);
      forEachPermuted(x.shape, ost, (i, o) => {
        out[base + o] = a[i]!;
      });
      return mk(out);
    },
    gather(x, indices, axis) {
      const shape = x.shape;
      const outer = sizeOf(shape.slice(0, axis)), len = shape[axis]!, inner = sizeOf(shape.slice(axis + 1));
      const idx = d(indices), a = d(x);
      const out = alloc(x.dtype, outer * idx.length * inner);
      for (let o = 0; o < outer; o++)
        for (let j = 0; j < idx.length; j++) {
          const k = idx[j]!;
          for (let i = 0; i < inner; i++) out[(o * idx.length + j) * inner + i] = a[(o * len + k) * inner + i]!;
        }
      return mk(out);
    },
    scatterAdd(updates, indices, axis, outShape) {
      const outer = sizeOf(outShape.slice(0, axis)), len = outShape[axis]!, inner = sizeOf(outShape.slice(axis + 1));
      const idx = d(indices), u = d(updates);
      const out = alloc(updates.dtype, sizeOf(outShape));
      for (let o = 0; o < outer; o++)
        for (let j = 0; j < idx.length; j++) {
          const k = idx[j]!;
          for (let i = 0; i < inner; i++) out[(o * len + k) * inner + i] += u[(o * idx.length + j) * inner + i]!;
        }
      return mk(out);
    },
    oneHot(indices, depth) {
      const idx = d(indices);
      const out = new Float64Array(idx.length * depth);
      for (let i = 0; i < idx.length; i++) {
        const k = idx[i]!;
        if (k >= 0 && k < depth) out[i * depth + k] = 1;
      }
      return mk(out);
    },

    conv2d(x, f, g, outShape) {
      const [N, H, W, C] = x.shape as [number, number, number, number];
      const [KH, KW, , CO] = f.shape as [number, number, number, number];
      const [, OH, OW] = outShape as [number, number, number, number];
      const [sh, sw] = g.strides, [dh, dw] = g.dilations;
      const a = d(x), w = d(f);
      const out = new Float64Array(sizeOf(outShape));
      for (let n = 0; n < N; n++)
        for (let oh = 0; oh < OH; oh++)
          for (let ow = 0; ow < OW; ow++)
            for (let co = 0; co < CO; co++) {
              let s = 0;
              for (let kh = 0; kh < KH; kh++)
                for (let kw = 0; kw < KW; kw++) {
                  const ih = oh * sh + kh * dh, iw = ow * sw + kw * dw;
                  for (let c = 0; c < C; c++) s += a[((n * H + ih) * W + iw) * C + c]! * w[((kh * KW + kw) * C + c) * CO + co]!;
                }
              out[((n * OH + oh) * OW + ow) * CO + co] = s;
            }
      return mk(out);
    },
    conv2dBackpropInput(dy, f, g, inputShape) {
      const [N, H, W, C] = inputShape as [number, number, number, number];
      const [KH, KW, , CO] = f.shape as [number, number, number, number];
      const [, OH, OW] = dy.shape as [number, number, number, number];
      const [sh, sw] = g.strides, [dh, dw] = g.dilations;
      const gy = d(dy), w = d(f);
      const out = new Float64Array(N * H * W * C);
      for (let n = 0; n < N; n++)
        for (let oh = 0; oh < OH; oh++)
          for (let ow = 0; ow < OW; ow++)
            for (let co = 0; co < CO; co++) {
              const gv = gy[((n * OH + oh) * OW + ow) * CO + co]!;
              for (let kh = 0; kh < KH; kh++)
                for (let kw = 0; kw < KW; kw++) {
                  const ih = oh * sh + kh * dh, iw = ow * sw + kw * dw;
                  for (let c = 0; c < C; c++) out[((n * H + ih) * W + iw) * C + c] += gv * w[((kh * KW + kw) * C + c) * CO + co]!;
                }
            }
      return mk(out);
    },
    conv2dBackpropFilter(x, dy, g, filterShape) {
      const [N, H, W, C] = x.shape as [number, number, number, number];
      const [KH, KW, , CO] = filterShape as [number, number, number, number];
      const [, OH, OW] = dy.shape as [number, number, number, number];
      const [sh, sw] = g.strides, [dh, dw] = g.dilations;
      const a = d(x), gy = d(dy);
      const out = new Float64Array(sizeOf(filterShape));
      for (let n = 0; n < N; n++)
        for (let oh = 0; oh < OH; oh++)
          for (let ow = 0; ow < OW; ow++)
            for (let co = 0; co < CO; co++) {
              const gv = gy[((n * OH + oh) * OW + ow) * CO + co]!;
              for (let kh = 0; kh < KH; kh++)
                for (let kw = 0; kw < KW; kw++) {
                  const ih = oh * sh + kh * dh, iw = ow * sw + kw * dw;
                  for (let c = 0; c < C; c++) out[((kh * KW + kw) * C + c) * CO + co] += gv * a[((n * H + ih) * W + iw) * C + c]!;
                }
            }
      return mk(out);
    },
    maxPool(x, g, outShape) {
      return mk(pool(x, g, outShape, 'max'));
    },
    maxPoolGrad(dy, x, g) {
      const [N, H, W, C] = x.shape as [number, number, number, number];
      const [, OH, OW] = dy.shape as [number, number, number, number];
      const [KH, KW] = g.kernel, [sh, sw] = g.strides;
      const a = d(x), gy = d(dy);
      const out = new Float64Array(N * H * W * C);
      for (let n = 0; n < N; n++)
        for (let oh = 0; oh < OH; oh++)
          for (let ow = 0; ow < OW; ow++)
            for (let c = 0; c < C; c++) {
              let best = -1, bv = -Infinity;
              for (let kh = 0; kh < KH; kh++)
                for (let kw = 0; kw < KW; kw++) {
                  const i = ((n * H + oh * sh + kh) * W + ow * sw + kw) * C + c;
                  // The gradient goes to the first NaN of the window, as the forward returns it (PyTorch).
                  if (best < 0 || (!Number.isNaN(bv) && (a[i]! > bv || Number.isNaN(a[i]!)))) (best = i), (bv = a[i]!);
                }
              out[best] += gy[((n * OH + oh) * OW + ow) * C + c]!;
            }
      return mk(out);
    },
    avgPool(x, g, outShape) {
      return mk(pool(x, g, outShape, 'avg'));
    },
    avgPoolGrad(dy, g, inputShape) {
      const [N, H, W, C] = inputShape as [number, number, number, number];
      const [, OH, OW] = dy.shape as [number, number, number, number];
      const [KH, KW] = g.kernel, [sh, sw] = g.strides;
      const gy = d(dy);
      const out = new Float64Array(N * H * W * C);
      const inv = 1 / (KH * KW);
      for (let n = 0; n < N; n++)
        for (let oh = 0; oh < OH; oh++)
          for (let ow = 0; ow < OW; ow++)
            for (let c = 0; c < C; c++) {
              const gv = gy[((n * OH + oh) * OW + ow) * C + c]! * inv;
              for (let kh = 0; kh < KH; kh++)
                for (let kw = 0; kw < KW; kw++) out[((n * H + oh * sh + kh) * W + ow * sw + kw) * C + c] += gv;
            }
      return mk(out);
    },
  };
}

function pool(x: TensorRef, g: Pool2dGeometry, outShape: Shape, kind: 'max' | 'avg'): Float64Array {
  const [N, H, W, C] = x.shape as [number, number, number, number];
  const [, OH, OW] = outShape as [number, number, number, number];
  const [KH, KW] = g.kernel, [sh, sw] = g.strides;
  const a = d(x);
  const out = new Float64Array(sizeOf(outShape));
  for (let n = 0; n < N; n++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++)
        for (let c = 0; c < C; c++) {
          let s = kind === 'max' ? -Infinity : 0;
          for (let kh = 0; kh < KH; kh++)
            for (let kw = 0; kw < KW; kw++) {
              const v = a[((n * H + oh * sh + kh) * W + ow * sw + kw) * C + c]!;
              s = kind === 'max' ? (v > s || Number.isNaN(v) ? v : s) : s + v; // max: NaN propagates (sticks once s is NaN)
            }
          out[((n * OH + oh) * OW + ow) * C + c] = kind === 'max' ? s : s / (KH * KW);
        }
  return out;
}

export { outDim };
export type { Conv2dGeometry };
