import type { Conv2dGeometry, Pool2dGeometry } from '../backend/backend';
import { record } from '../autograd';
import { ShapeError, ValueError } from '../errors';
import type { Tensor } from '../tensor';
import { div, full } from './elementwise';
import { pad, slice, transpose } from './shape';
import { engine, out, requireFloat } from './util';

/** Padding: a mode, one number for all sides, or `[top, bottom, left, right]`. */
export type Padding2d = 'valid' | 'same' | number | readonly [number, number, number, number];
/** Data layout: channels last (Keras, NHWC) or channels first (PyTorch, NCHW). */
export type DataFormat = 'NHWC' | 'NCHW';

/** Options of {@link conv2d}. */
export interface Conv2dOptions {
  /** @default 1 */ strides?: number | readonly [number, number];
  /** @default 'valid' */ padding?: Padding2d;
  /** @default 1 */ dilations?: number | readonly [number, number];
  /** Layout of `x` and of the result. The filter is HWIO for NHWC and OIHW for NCHW. @default 'NHWC' */
  dataFormat?: DataFormat;
}

const pair = (v: number | readonly [number, number]): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);
const outDim = (n: number, k: number, s: number, d: number) => Math.floor((n - d * (k - 1) - 1) / s) + 1;

/** Explicit [top, bottom, left, right] padding for a spatial size (TensorFlow's 'same' rule). */
export function resolvePadding(p: Padding2d, [H, W]: [number, number], [KH, KW]: [number, number], [sh, sw]: [number, number], [dh, dw]: [number, number] = [1, 1]): [number, number, number, number] {
  if (typeof p === 'number') return [p, p, p, p];
  if (p === 'valid') return [0, 0, 0, 0];
  if (p === 'same') {
    const ekh = (KH - 1) * dh + 1, ekw = (KW - 1) * dw + 1;
    const ph = Math.max((Math.ceil(H / sh) - 1) * sh + ekh - H, 0);
    const pw = Math.max((Math.ceil(W / sw) - 1) * sw + ekw - W, 0);
    return [Math.floor(ph / 2), ph - Math.floor(ph / 2), Math.floor(pw / 2), pw - Math.floor(pw / 2)];
  }
  return [p[0], p[1], p[2], p[3]];
}

function toNHWC(x: Tensor, fmt: DataFormat): Tensor {
  return fmt === 'NCHW' ? transpose(x, [0, 2, 3, 1]) : x;
}
function fromNHWC(x: Tensor, fmt: DataFormat): Tensor {
  return fmt === 'NCHW' ? transpose(x, [0, 3, 1, 2]) : x;
}

/**
 * 2-D convolution (cross-correlation, as in every framework).
 *
 * @param x - `[N, H, W, C]` (NHWC) or `[N, C, H, W]` (NCHW).
 * @param filter - `[KH, KW, C, O]` (HWIO) for NHWC, `[O, C, KH, KW]` (OIHW) for NCHW.
 */
export function conv2d(x: Tensor, filter: Tensor, opts: Conv2dOptions = {}): Tensor {
  requireFloat('conv2d', x);
  const fmt = opts.dataFormat ?? 'NHWC';
  if (x.rank !== 4 || filter.rank !== 4) throw new ShapeError('conv2d', 'expects a rank-4 input and a rank-4 filter', [x.shape, filter.shape]);
  const xh = toNHWC(x, fmt);
  const w = fmt === 'NCHW' ? transpose(filter, [2, 3, 1, 0]) : filter;
  const [N, H, W, C] = xh.shape as [number, number, number, number];
  const [KH, KW, CI, CO] = w.shape as [number, number, number, number];
  if (C !== CI) throw new ShapeError('conv2d', `input has ${C} channels but the filter expects ${CI}`, [x.shape, filter.shape]);
  const strides = pair(opts.strides ?? 1), dilations = pair(opts.dilations ?? 1);
  const [pt, pb, pl, pr] = resolvePadding(opts.padding ?? 'valid', [H, W], [KH, KW], strides, dilations);
  const xp = pad(xh, [[0, 0], [pt, pb], [pl, pr], [0, 0]]);
  const OH = outDim(H + pt + pb, KH, strides[0], dilations[0]), OW = outDim(W + pl + pr, KW, strides[1], dilations[1]);
  if (OH <= 0 || OW <= 0) throw new ShapeError('conv2d', `the ${KH}x${KW} filter (dilation ${dilations}) is larger than the padded input`, [x.shape, filter.shape]);
  const g: Conv2dGeometry = { strides, dilations };
  const shape = [N, OH, OW, CO];
  const y = out(engine.backend.conv2d(xp.ref('conv2d'), w.ref('conv2d'), g, shape), shape, 'float32');
  const r = record(y, 'conv2d', [xp, w], (gy) => [
    xp.requiresGrad ? out(engine.backend.conv2dBackpropInput(gy.ref('conv2d'), w.ref('conv2d'), g, xp.shape), xp.shape, 'float32') : null,
    w.requiresGrad ? out(engine.backend.conv2dBackpropFilter(xp.ref('conv2d'), gy.ref('conv2d'), g, w.shape), w.shape, 'float32') : null,
  ]);
  return fromNHWC(r, fmt);
}

/** Options of the 2-D pooling ops. */
export interface Pool2dOptions {
  /** Window size. */
  kernelSize: number | readonly [number, number];
  /** @default kernelSize */ strides?: number | readonly [number, number];
  /** @default 'valid' */ padding?: Padding2d;
  /** @default 'NHWC' */ dataFormat?: DataFormat;
  /**
   * Average pooling only: count padded zeros in the divisor (PyTorch `count_include_pad`, its
   * default true). Keras 'same' pooling excludes them. @default true for numeric padding, false for 'same'
   */
  countIncludePad?: boolean;
}

function poolPrep(op: string, x: Tensor, o: Pool2dOptions) {
  if (x.rank !== 4) throw new ShapeError(op, 'expects a rank-4 input', [x.shape]);
  const fmt = o.dataFormat ?? 'NHWC';
  const xh = toNHWC(x, fmt);
  const k = pair(o.kernelSize), s = pair(o.strides ?? o.kernelSize);
  if (k[0] <= 0 || k[1] <= 0 || s[0] <= 0 || s[1] <= 0) throw new ValueError(`${op}: kernel and strides must be positive.`, op);
  const [N, H, W, C] = xh.shape as [number, number, number, number];
  const p = resolvePadding(o.padding ?? 'valid', [H, W], k, s);
  const OH = outDim(H + p[0] + p[1], k[0], s[0], 1), OW = outDim(W + p[2] + p[3], k[1], s[1], 1);
  if (OH <= 0 || OW <= 0) throw new ShapeError(op, `the ${k[0]}x${k[1]} window is larger than the padded input`, [x.shape]);
  const g: Pool2dGeometry = { kernel: k, strides: s };
  return { fmt, xh, g, p, shape: [N, OH, OW, C] };
}

/** 2-D max pooling (padding with −∞). */
export function maxPool2d(x: Tensor, opts: Pool2dOptions): Tensor {
  requireFloat('maxPool2d', x);
  const { fmt, xh, g, p, shape } = poolPrep('maxPool2d', x, opts);
  const xp = pad(xh, [[0, 0], [p[0], p[1]], [p[2], p[3]], [0, 0]], -Infinity);
  const y = out(engine.backend.maxPool(xp.ref('maxPool2d'), g, shape), shape, 'float32');
  const r = record(y, 'maxPool2d', [xp], (gy) => [out(engine.backend.maxPoolGrad(gy.ref('maxPool2d'), xp.ref('maxPool2d'), g), xp.shape, 'float32')]);
  return fromNHWC(r, fmt);
}

/** 2-D average pooling. */
export function avgPool2d(x: Tensor, opts: Pool2dOptions): Tensor {
  requireFloat('avgPool2d', x);
  const { fmt, xh, g, p, shape } = poolPrep('avgPool2d', x, opts);
  const padded = p.some((v) => v > 0);
  const xp = pad(xh, [[0, 0], [p[0], p[1]], [p[2], p[3]], [0, 0]], 0);
  const raw = (t: Tensor) => {
    const y = out(engine.backend.avgPool(t.ref('avgPool2d'), g, shape), shape, 'float32');
    return record(y, 'avgPool2d', [t], (gy) => [out(engine.backend.avgPoolGrad(gy.ref('avgPool2d'), g, t.shape), t.shape, 'float32')]);
  };
  let y = raw(xp);
  const include = opts.countIncludePad ?? opts.padding !== 'same';
  if (padded && !include) {
    // Rescale by the fraction of real (unpadded) cells in each window.
    const ones = pad(full([1, xh.shape[1]!, xh.shape[2]!, 1], 1), [[0, 0], [p[0], p[1]], [p[2], p[3]], [0, 0]], 0);
    const frac = out(engine.backend.avgPool(ones.ref('avgPool2d'), g, [1, shape[1]!, shape[2]!, 1]), [1, shape[1]!, shape[2]!, 1], 'float32');
    y = div(y, frac);
  }
  return fromNHWC(y, fmt);
}

/** Mean over the spatial axes: `[N, H, W, C]` → `[N, C]` (or NCHW → `[N, C]`). */
export function globalAvgPool2d(x: Tensor, dataFormat: DataFormat = 'NHWC'): Tensor {
  if (x.rank !== 4) throw new ShapeError('globalAvgPool2d', 'expects a rank-4 input', [x.shape]);
  return x.mean(dataFormat === 'NHWC' ? [1, 2] : [2, 3]);
}

export { slice };
