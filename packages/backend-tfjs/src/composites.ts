// Composite kernels: built from kernels an engine has and computes right, for the ones it lacks or
// gets wrong (tfjs-backend-wasm 4.22, see README "Composites"). Each runs inside tf.tidy, so only
// its result survives.
import * as tf from '@tensorflow/tfjs-core';

type T = tf.Tensor;
type T4 = tf.Tensor4D;
type Pair = readonly [number, number];

/** Swap the last two axes (an explicit transpose: wasm's matMul with a transpose flag is ~15× slower). */
export function swapLastTwo(x: T): T {
  const r = x.rank;
  const perm = Array.from({ length: r }, (_, i) => i);
  perm[r - 2] = r - 1;
  perm[r - 1] = r - 2;
  return tf.transpose(x, perm);
}

/**
 * conv2d without tfjs's "either strides or dilations must be 1" op-level check: the Conv2D kernels of
 * wasm (XNNPACK) and cpu compute any combination (checked against the reference in the tests).
 */
export function conv2dKernel(x: T, filter: T, strides: Pair, dilations: Pair): T4 {
  return tf.engine().runKernel('Conv2D', { x, filter }, {
    strides: [...strides],
    pad: 'valid',
    dataFormat: 'NHWC',
    dilations: [...dilations],
    dimRoundingMode: undefined,
  } as unknown as tf.NamedAttrMap) as T4;
}

/**
 * Insert `d - 1` zeros between the taps of an HWIO filter, so that a dilated convolution becomes an
 * ordinary one (tfjs's Conv2DBackpropInput has no dilation attribute).
 */
export function dilateFilter(f: T4, [dh, dw]: Pair): T4 {
  if (dh === 1 && dw === 1) return f;
  const [KH, KW, C, CO] = f.shape;
  const spread = tf.pad(tf.reshape(f, [KH, 1, KW, 1, C, CO]), [[0, 0], [0, dh - 1], [0, 0], [0, dw - 1], [0, 0], [0, 0]]);
  const full = tf.reshape(spread, [KH * dh, KW * dw, C, CO]);
  return tf.slice(full, [0, 0, 0, 0], [(KH - 1) * dh + 1, (KW - 1) * dw + 1, C, CO]) as T4;
}

/** Gradient of a valid conv2d with respect to its input, any strides and dilations. */
export function conv2dBackpropInput(dy: T4, filter: T4, strides: Pair, dilations: Pair, inputShape: readonly number[]): T4 {
  return tf.tidy(() =>
    tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: dilateFilter(filter, dilations) }, {
      strides: [...strides],
      pad: 'valid',
      dataFormat: 'NHWC',
      dimRoundingMode: undefined,
      inputShape: [...inputShape],
    } as unknown as tf.NamedAttrMap) as T4,
  );
}

/**
 * Gradient of a valid conv2d with respect to its filter, as one forward convolution (wasm has no
 * Conv2DBackpropFilter; the cpu fallback takes seconds):
 *
 *   dW[kh,kw,c,co] = Σ_{n,oh,ow} x[n, oh·s + kh·d, ow·s + kw·d, c] · dy[n,oh,ow,co]
 *
 * is conv2d of x with channels and batch swapped ([C,H,W,N]) by dy as an HWIO filter ([OH,OW,N,CO]),
 * with stride d and dilation s (roles exchanged). Rows past the last window are cut off.
 */
export function conv2dBackpropFilter(x: T4, dy: T4, strides: Pair, dilations: Pair, filterShape: readonly number[]): T4 {
  const [KH, KW, C, CO] = filterShape as [number, number, number, number];
  return tf.tidy(() => {
    const xt = tf.transpose(x, [3, 1, 2, 0]);
    const dyt = tf.transpose(dy, [1, 2, 0, 3]);
    const g = conv2dKernel(xt, dyt, dilations, strides); // [C, >=KH, >=KW, CO]
    const cut = g.shape[1] === KH && g.shape[2] === KW ? g : tf.slice(g, [0, 0, 0, 0], [C, KH, KW, CO]);
    return tf.transpose(cut, [1, 2, 0, 3]);
  });
}

/**
 * Gradient of a valid max pool: each dy goes to the FIRST maximal element of its window (row-major).
 * wasm's MaxPoolGrad and MaxPoolWithArgmax start their running max at FLT_MIN (> 0), so windows whose
 * values are all negative send every gradient to element 0; this builds the argmax itself:
 * the window's KH·KW strided views are stacked, ArgMax picks the first maximum, and the flat input
 * index of each winner receives dy through ScatterNd (which accumulates overlapping windows).
 * A window holding a NaN sends its gradient to its first NaN, as PyTorch does.
 */
export function maxPoolGrad(dy: T4, x: T4, kernel: Pair, strides: Pair): T4 {
  const [N, H, W, C] = x.shape;
  const [, OH, OW] = dy.shape;
  const [KH, KW] = kernel, [sh, sw] = strides;
  return tf.tidy(() => {
    const views: T[] = [];
    const offsets = new Int32Array(KH * KW);
    for (let kh = 0; kh < KH; kh++)
      for (let kw = 0; kw < KW; kw++) {
        offsets[kh * KW + kw] = (kh * W + kw) * C;
        views.push(tf.stridedSlice(x, [0, kh, kw, 0], [N, kh + (OH - 1) * sh + 1, kw + (OW - 1) * sw + 1, C], [1, sh, sw, 1]));
      }
    const which = argExtremeNaN('argmax', tf.stack(views, 4), 4); // [N, OH, OW, C], first NaN or else first maximum
    const base = new Int32Array(N * OH * OW * C);
    let i = 0;
    for (let n = 0; n < N; n++)
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++) {
          const b = ((n * H + oh * sh) * W + ow * sw) * C;
          for (let c = 0; c < C; c++) base[i++] = b + c;
        }
    const flatIndex = tf.add(tf.tensor(base, [N, OH, OW, C], 'int32'), tf.gather(tf.tensor1d(offsets, 'int32'), which));
    const dx = tf.scatterND(tf.reshape(flatIndex, [-1, 1]), tf.reshape(dy, [-1]), [N * H * W * C]);
    return tf.reshape(dx, [N, H, W, C]);
  });
}

/**
 * The adjoint of gather along `axis` (duplicates accumulate) through ScatterNd, which wasm has and
 * which sums duplicate indices (UnsortedSegmentSum is missing on wasm). The axis is moved to the front.
 */
export function scatterAdd(updates: T, indices: T, axis: number, outShape: readonly number[]): T {
  return tf.tidy(() => {
    const n = indices.size;
    const rank = outShape.length;
    const perm = [axis, ...Array.from({ length: rank }, (_, i) => i).filter((i) => i !== axis)];
    const front = axis === 0 ? updates : tf.transpose(updates, perm);
    const frontShape = perm.map((p) => outShape[p]!);
    const u = tf.reshape(front, [n, ...frontShape.slice(1)]);
    const isFloat = updates.dtype === 'float32';
    const summed = tf.scatterND(tf.reshape(indices, [n, 1]), isFloat ? u : tf.cast(u, 'float32'), frontShape);
    const back = axis === 0 ? summed : tf.transpose(summed, inversePerm(perm));
    return isFloat ? back : tf.cast(back, updates.dtype);
  });
}

function inversePerm(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

/** One-hot as float32: wasm's OneHot writes the integer bits of 1 into float32 outputs, so build int32 and cast. */
export function oneHotFloat(indices: T, depth: number): T {
  return tf.tidy(() => tf.cast(tf.oneHot(indices as tf.Tensor1D, depth, 1, 0, 'int32'), 'float32'));
}

/** maximum/minimum that propagate NaN from either side (wasm's return the first operand's NaN only). */
export function nanPropagating(f: (a: T, b: T) => T, a: T, b: T): T {
  return tf.tidy(() => {
    const r = f(a, b);
    if (a.dtype !== 'float32') return r;
    return tf.where(tf.logicalOr(tf.isNaN(a), tf.isNaN(b)), tf.scalar(NaN), r);
  });
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * broadcastTo without wasm's Tile kernel (~15× slower than a broadcasting multiply: 1.1 ms vs 0.1 ms
 * for 64×256): a one-element tensor becomes a Fill of its value (also 80× faster than Tile on cpu),
 * anything else, when `viaMul`, `x · ones(shape)`, which is exact (x·1 = x for every float, ±0, ±∞
 * and NaN included); otherwise Tile (tfjs-cpu's broadcasting multiply is slower than its Tile).
 * Bool keeps Tile. Returns `x` itself when it already has the shape (callers inside tidy only).
 */
export function broadcastFast(x: T, shape: readonly number[], viaMul = true): T {
  if (sameShape(x.shape, shape)) return x;
  if (x.size === 1 && x.dtype !== 'bool') return tf.fill([...shape], x.dataSync()[0]!, x.dtype);
  if (x.dtype === 'bool' || !viaMul) return tf.broadcastTo(x, [...shape]);
  return tf.mul(x, tf.ones([...shape], x.dtype));
}

/**
 * `cond ? a : b` for wasm and cpu (tf.where Tiles every operand: 2 ms vs 0.3 ms for 64×256 on cpu).
 * wasm's Select kernel (behind tf.where) reads and writes 4-byte floats whatever
 * the dtype, so bool outputs overrun their buffer and corrupt the heap: float32 goes through Select on
 * operands broadcast by {@link broadcastFast} (tf.where would Tile); int32 is `a·c + b·(1−c)` with
 * c ∈ {0, 1} (exact, no overflow); bool is `(c ∧ a) ∨ (¬c ∧ b)`.
 */
export function whereFast(cond: T, a: T, b: T, shape: readonly number[], viaMul = true): T {
  return tf.tidy(() => {
    const c = cond.dtype === 'bool' ? cond : tf.cast(cond, 'bool');
    const e = b.dtype === a.dtype ? b : tf.cast(b, a.dtype);
    if (a.dtype === 'bool') return broadcastFast(tf.logicalOr(tf.logicalAnd(c, a), tf.logicalAnd(tf.logicalNot(c), e)), shape, viaMul);
    if (a.dtype === 'int32') {
      const ci = tf.cast(c, 'int32');
      return broadcastFast(tf.add(tf.mul(a, ci), tf.mul(e, tf.sub(tf.scalar(1, 'int32'), ci))), shape, viaMul);
    }
    const bc = (t: T) => broadcastFast(t, shape, viaMul);
    return tf.engine().runKernel('Select', { condition: bc(c), t: bc(a), e: bc(e) }) as T;
  });
}

/**
 * ArgMax/ArgMin where the first NaN wins, as in PyTorch (tfjs's kernels skip NaN, as NaN compares
 * false): where the slice holds a NaN, the index of its first NaN (ArgMax of the 0/1 NaN mask).
 */
export function argExtremeNaN(op: 'argmax' | 'argmin', x: T, axis: number): T {
  return tf.tidy(() => {
    const r = op === 'argmax' ? tf.argMax(x, axis) : tf.argMin(x, axis);
    if (x.dtype !== 'float32') return r;
    const nan = tf.cast(tf.isNaN(x), 'int32');
    return tf.where(tf.cast(tf.max(nan, axis), 'bool'), tf.argMax(nan, axis), r);
  });
}

/**
 * NaN where a pooling window holds a NaN, else `pooled` (PyTorch propagates NaN through max and
 * average pooling; tfjs's MaxPool skips NaN and wasm's AvgPool returns −∞). The mask is one more
 * max pool, of the 0/1 NaN indicator.
 */
export function nanPooled(pooled: T4, x: T4, kernel: Pair, strides: Pair): T4 {
  return tf.tidy(() => {
    const hasNaN = tf.maxPool(tf.cast(tf.isNaN(x), 'float32') as T4, [...kernel], [...strides], 'valid');
    return tf.where(tf.greater(hasNaN, 0), tf.scalar(NaN) as T, pooled as T) as T4;
  });
}
