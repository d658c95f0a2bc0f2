import type { Conv2dGeometry, Pool2dGeometry } from '@nn/core';
import { UnsupportedOpError } from '../errors';
import { HWIO_TO_OIHW, inShape, NCHW_TO_NHWC, NHWC_TO_NCHW, staticDim, transpose, type LowerCtx } from './context';
import { int, ints, tensorAttr } from './ir';

// Core's convolution kernels are NHWC with HWIO filters and no padding (core pads explicitly);
// ONNX's are NCHW with OIHW weights. Each lowering transposes around the ONNX op; constant filters
// are transposed at export time by the constant folder, and Transpose pairs cancel in the peephole pass.

const spatial = (c: LowerCtx, i: number): [number, number] => {
  const s = inShape(c, i);
  return [staticDim(c, s[1]!, 'the height'), staticDim(c, s[2]!, 'the width')];
};

function conv2d(c: LowerCtx): string {
  const [x, f] = c.ins as [string, string];
  const g = c.op.attrs as unknown as Conv2dGeometry;
  const fs = inShape(c, 1) as number[];
  const y = c.g.add1('Conv', [transpose(c, x, NHWC_TO_NCHW), transpose(c, f, HWIO_TO_OIHW)], {
    kernel_shape: ints([fs[0]!, fs[1]!]),
    strides: ints(g.strides),
    dilations: ints(g.dilations),
  });
  return transpose(c, y, NCHW_TO_NHWC);
}

function conv2dBackpropInput(c: LowerCtx): string {
  // dx = ConvTranspose(dy, W) with W = filter as [O, C, KH, KW]; output_padding restores the rows
  // and columns the forward conv's stride skipped.
  const [dy, f] = c.ins as [string, string];
  const g = c.op.attrs as unknown as Conv2dGeometry & { inputShape: number[] };
  const fs = inShape(c, 1) as number[];
  const [OH, OW] = spatial(c, 0);
  const H = g.inputShape[1]!, W = g.inputShape[2]!;
  const rh = H - ((OH - 1) * g.strides[0] + g.dilations[0] * (fs[0]! - 1) + 1);
  const rw = W - ((OW - 1) * g.strides[1] + g.dilations[1] * (fs[1]! - 1) + 1);
  const y = c.g.add1('ConvTranspose', [transpose(c, dy, NHWC_TO_NCHW), transpose(c, f, HWIO_TO_OIHW)], {
    kernel_shape: ints([fs[0]!, fs[1]!]),
    strides: ints(g.strides),
    dilations: ints(g.dilations),
    ...(rh || rw ? { output_padding: ints([rh, rw]) } : {}),
  });
  return transpose(c, y, NCHW_TO_NHWC);
}

function conv2dBackpropFilter(c: LowerCtx): string {
  // dW[o, c, kh, kw] = Σ_{n,i,j} x[n, c, i·s + kh·d, j·s + kw·d] · dy[n, o, i, j]: one Gemm over
  // n·i·j of dy as [O, N·OH·OW] with the patches [KH·KW·C, N·OH·OW] that KH·KW strided Slices of x
  // (as [C, N, H, W]) cut. onnxruntime's Conv would loop over C images with a [O, C·KH·KW]
  // product only KH·KW columns wide; one wide Gemm runs several times faster.
  const [x, dy] = c.ins as [string, string];
  const g = c.op.attrs as unknown as Conv2dGeometry & { filterShape: number[] };
  const [KH, KW] = g.filterShape as [number, number];
  const [OH, OW] = spatial(c, 1);
  const C = inShape(c, 0)[3], O = inShape(c, 1)[3];
  if (typeof C !== 'number' || typeof O !== 'number') return conv2dBackpropFilterConv(c);
  const G = c.g;
  const xt = transpose(c, x, [3, 0, 1, 2]);
  const slices: string[] = [];
  for (let kh = 0; kh < KH; kh++) {
    for (let kw = 0; kw < KW; kw++) {
      const h0 = kh * g.dilations[0], w0 = kw * g.dilations[1];
      const ends = [h0 + (OH - 1) * g.strides[0] + 1, w0 + (OW - 1) * g.strides[1] + 1];
      slices.push(G.add1('Slice', [xt, G.i64([h0, w0]), G.i64(ends), G.i64([2, 3]), G.i64(g.strides)]));
    }
  }
  // Stacked on a new leading axis (whole-block copies): rows in (kh, kw, c) order.
  const patches = G.add1('Reshape', [slices.length === 1 ? slices[0]! : G.add1('Concat', slices, { axis: int(0) }), G.i64([KH * KW * C, -1])]);
  const dyt = G.add1('Reshape', [transpose(c, dy, [3, 0, 1, 2]), G.i64([O, -1])]);
  const dw = G.add1('Gemm', [dyt, patches], { transB: int(1) });
  return transpose(c, G.add1('Reshape', [dw, G.i64([O, KH, KW, C])]), [1, 2, 3, 0]);
}

function conv2dBackpropFilterConv(c: LowerCtx): string {
  // dW[kh,kw,c,o] = Σ_{n,i,j} x[n, i·s + kh·d, j·s + kw·d, c] · dy[n, i, j, o]: a Conv of x as
  // [C, N, H, W] with dy as weights [O, N, OH, OW], strides = d and dilations = s. Its output
  // [C, O, h, w] may be larger than the filter when the forward conv left rows unused: slice.
  const [x, dy] = c.ins as [string, string];
  const g = c.op.attrs as unknown as Conv2dGeometry & { filterShape: number[] };
  const [KH, KW] = g.filterShape as [number, number];
  const [H, W] = spatial(c, 0);
  const [OH, OW] = spatial(c, 1);
  let y = c.g.add1('Conv', [transpose(c, x, [3, 0, 1, 2]), transpose(c, dy, [3, 0, 1, 2])], {
    kernel_shape: ints([OH, OW]),
    strides: ints(g.dilations),
    dilations: ints(g.strides),
  });
  const h = Math.floor((H - g.strides[0] * (OH - 1) - 1) / g.dilations[0]) + 1;
  const w = Math.floor((W - g.strides[1] * (OW - 1) - 1) / g.dilations[1]) + 1;
  if (h !== KH || w !== KW) y = c.g.add1('Slice', [y, c.g.i64([0, 0]), c.g.i64([KH, KW]), c.g.i64([2, 3])]);
  return transpose(c, y, [2, 3, 0, 1]);
}

function pool(c: LowerCtx, op: 'MaxPool' | 'AveragePool'): string {
  const g = c.op.attrs as unknown as Pool2dGeometry;
  const y = c.g.add1(op, [transpose(c, c.ins[0]!, NHWC_TO_NCHW)], { kernel_shape: ints(g.kernel), strides: ints(g.strides) });
  return transpose(c, y, NCHW_TO_NHWC);
}

function maxPoolGrad(c: LowerCtx): string {
  const g = c.op.attrs as unknown as Pool2dGeometry;
  if (g.kernel[0] === g.strides[0] && g.kernel[1] === g.strides[1] && typeof inShape(c, 1)[3] === 'number') return maxPoolGradTiled(c);
  return maxPoolGradScatter(c);
}

function maxPoolGradTiled(c: LowerCtx): string {
  // Windows that tile the input (kernel = strides; core pads explicitly, so no padding here). Slice
  // with steps (square windows: SpaceToDepth + Split) takes window element i = a·kw + b of every
  // window as one [N, C, OH, OW] tensor; the first i equal to the window's maximum (the forward's
  // MaxPool output) is where core routes dy: on the CPU, MaxUnpool puts it there (below). Elsewhere
  // (GPU providers may lack MaxUnpool: onnxruntime would run it on the CPU with copies around it), below
  // opset 11 or without a known channel count, both `first` and dy are upsampled (nearest) to the input
  // size, and each element keeps dy where its own position in the window is `first`. Rows and
  // columns past the last whole window get zero. MaxPool's Indices output and a ScatterElements
  // were the step's two slowest kernels in onnxruntime: `first` is found with contiguous passes.
  const [dy, x] = c.ins as [string, string];
  const { kernel: [kh, kw] } = c.op.attrs as unknown as Pool2dGeometry;
  const G = c.g, K = kh * kw;
  const [H, W] = spatial(c, 1);
  const [OH, OW] = spatial(c, 0);
  const Hc = OH * kh, Wc = OW * kw;
  const xt = transpose(c, x, NHWC_TO_NCHW);
  // The same MaxPool as the forward's: onnxruntime's common-subexpression pass computes it once.
  const y = G.add1('MaxPool', [xt], { kernel_shape: ints([kh, kw]), strides: ints([kh, kw]) });
  const f32 = (v: number) => G.scalar('float32', v);
  // Square windows: SpaceToDepth puts element i of every window in channel block i, and Split cuts
  // the blocks apart (whole-block copies): cheaper in onnxruntime than K strided Slices.
  let parts: string[] | undefined;
  if (kh === kw) {
    const xc = Hc < H || Wc < W ? G.add1('Slice', [xt, G.i64([0, 0]), G.i64([Hc, Wc]), G.i64([2, 3])]) : xt;
    parts = G.add('Split', [G.add1('SpaceToDepth', [xc], { blocksize: int(kh) })], { axis: int(1) }, K);
    G.poolWindows.set(parts[0]!, { k: kh, cropped: xc !== xt });
  }
  const part = (i: number) => parts ? parts[i]! : G.add1('Slice', [xt, G.i64([Math.floor(i / kw), i % kw]), G.i64([Hc, Wc]), G.i64([2, 3]), G.i64([kh, kw])]);
  const [N, C] = [inShape(c, 1)[0], inShape(c, 1)[3]];
  if (c.target === 'cpu' && c.opset >= 11 && typeof C === 'number') {
    // MaxUnpool writes each dy at the flat NCHW index of its window's first maximum into zeros: one
    // full-size pass (the zero fill) where upsampling dy and the window positions, comparing, casting
    // and multiplying (and padding a crop) took six. The index is the window's top-left corner plus
    // the first matching element's offset in it (a·W + b), picked at the pooled size; walking the
    // window backwards makes the first match the last written, and no match (NaN) leaves K − 1.
    // Indices below 2²⁴ are exact in float32, whose Where and Add onnxruntime runs faster than
    // int64's (one Cast at the end); larger tensors, or a batch size known only at run time, use int64.
    const flt = typeof N === 'number' && N * C * H * W <= 2 ** 24;
    const dt = flt ? 'float32' : 'int64';
    const num = (v: number) => G.scalar(dt, v);
    let off = num(Math.floor((K - 1) / kw) * W + ((K - 1) % kw));
    for (let i = K - 2; i >= 0; i--) off = G.add1('Where', [G.add1('Equal', [part(i), y]), num(Math.floor(i / kw) * W + (i % kw)), off]);
    // Corners: (n·C + c)·H·W (per plane) + oh·kh·W + ow·kw (within it), two small constants broadcast
    // (onnxruntime folds their sum once, at session start). A batch size known only at run time: the
    // plane offsets are a Range over N·C planes.
    const planes = typeof N === 'number'
      ? G.constant(dt, [N, C, 1, 1], Array.from({ length: N * C }, (_, j) => j * H * W))
      : G.add1('Reshape', [G.add1('Range', [num(0), G.add1('Mul', [G.add1('Gather', [G.add1('Shape', [xt]), num(0)]), num(C * H * W)]), num(H * W)]), G.i64([-1, C, 1, 1])]);
    const within = G.constant(dt, [1, 1, OH, OW], Array.from({ length: OH * OW }, (_, j) => Math.floor(j / OW) * kh * W + (j % OW) * kw));
    let idx = G.add1('Add', [G.add1('Add', [planes, within]), off]);
    if (flt) idx = G.add1('Cast', [idx], { to: int(7) }); // int64
    const shape = typeof N === 'number' ? G.i64([N, C, H, W]) : G.add1('Shape', [xt]);
    const back = G.add1('MaxUnpool', [transpose(c, dy, NHWC_TO_NCHW), idx, shape], {
      kernel_shape: ints([kh, kw]), strides: ints([kh, kw]),
    });
    const out = transpose(c, back, NCHW_TO_NHWC);
    // The ReLU mask of a ReLU → MaxPool pair moves onto dy, MaxUnpool's first input (simplify.ts).
    G.poolGrads.set(back, { y, dyUp: back });
    G.poolGrads.set(out, { y, dyUp: back, nhwc: true });
    return out;
  }
  // Walk the window backwards so the first match is written last; no match (NaN) leaves K - 1.
  let first = f32(K - 1);
  for (let i = K - 1; i >= 0; i--) {
    const xi = part(i);
    first = i === K - 1 ? G.add1('Where', [G.add1('Equal', [xi, y]), f32(i), f32(K - 1)]) : G.add1('Where', [G.add1('Equal', [xi, y]), f32(i), first]);
  }
  const up = (v: string) => G.add1('Resize', [v, '', G.constant('float32', [4], [1, 1, kh, kw])], {
    mode: { kind: 'string', v: 'nearest' },
    coordinate_transformation_mode: { kind: 'string', v: 'asymmetric' },
    nearest_mode: { kind: 'string', v: 'floor' },
  });
  const pos = G.constant('float32', [1, 1, Hc, Wc], Array.from({ length: Hc * Wc }, (_, j) => (Math.floor(j / Wc) % kh) * kw + ((j % Wc) % kw)));
  const dyUp = up(transpose(c, dy, NHWC_TO_NCHW));
  // Cast + Mul: onnxruntime's Where with a broadcast scalar costs about twice as much at this size.
  let back = G.add1('Mul', [G.add1('Cast', [G.add1('Equal', [up(first), pos])], { to: int(1) }), dyUp]);
  if (Hc < H || Wc < W) {
    back = G.add1('Pad', [back, G.i64([0, 0, 0, 0, 0, 0, H - Hc, W - Wc]), f32(0)], { mode: { kind: 'string', v: 'constant' } });
  }
  const out = transpose(c, back, NCHW_TO_NHWC);
  // NCHW models mask `back` once the Transpose pairs cancel; NHWC ones (Keras, core functions) mask `out`.
  G.poolGrads.set(back, { y, dyUp });
  G.poolGrads.set(out, { y, dyUp, nhwc: true });
  return out;
}

function maxPoolGradScatter(c: LowerCtx): string {
  // MaxPool's Indices (flat NCHW offsets of the first maximum of each window, as core routes the
  // gradient) say where each dy goes; ScatterElements(add) accumulates overlapping windows.
  if (c.opset < 16) return unsupportedOpset(c);
  const [dy, x] = c.ins as [string, string];
  const g = c.op.attrs as unknown as Pool2dGeometry;
  const G = c.g;
  const xt = transpose(c, x, NHWC_TO_NCHW);
  const [, idx] = G.add('MaxPool', [xt], { kernel_shape: ints(g.kernel), strides: ints(g.strides) }, 2) as [string, string];
  const flat = G.i64([-1]);
  const zeros = G.add1('ConstantOfShape', [G.add1('Shape', [G.add1('Reshape', [xt, flat])])], {
    value: tensorAttr({ name: 'value', dtype: 'float32', dims: [1], data: Float32Array.of(0) }),
  });
  const upd = G.add1('Reshape', [transpose(c, dy, NHWC_TO_NCHW), flat]);
  const s = G.add1('ScatterElements', [zeros, G.add1('Reshape', [idx, flat]), upd], { axis: int(0), reduction: { kind: 'string', v: 'add' } });
  return transpose(c, G.add1('Reshape', [s, G.add1('Shape', [xt])]), NCHW_TO_NHWC);
}

function avgPoolGrad(c: LowerCtx): string {
  // Each dy spreads evenly over its window: a depthwise ConvTranspose with a constant 1/(kh·kw) kernel.
  const g = c.op.attrs as unknown as Pool2dGeometry & { inputShape: number[] };
  const [OH, OW] = spatial(c, 0);
  const C = g.inputShape[3]!;
  const [kh, kw] = g.kernel;
  const k = c.g.constant('float32', [C, 1, kh, kw], new Array<number>(C * kh * kw).fill(1 / (kh * kw)));
  const rh = g.inputShape[1]! - ((OH - 1) * g.strides[0] + kh), rw = g.inputShape[2]! - ((OW - 1) * g.strides[1] + kw);
  const y = c.g.add1('ConvTranspose', [transpose(c, c.ins[0]!, NHWC_TO_NCHW), k], {
    kernel_shape: ints(g.kernel),
    strides: ints(g.strides),
    group: int(C),
    ...(rh || rw ? { output_padding: ints([rh, rw]) } : {}),
  });
  return transpose(c, y, NCHW_TO_NHWC);
}

function unsupportedOpset(c: LowerCtx): never {
  throw new UnsupportedOpError(c.op.kernel, `its lowering uses ScatterElements with reduction "add", which needs opset 16 or newer (asked for ${c.opset})`, c.layer, 'Export with opset ≥ 16.');
}

/** Lower a convolution or pooling kernel; undefined when the kernel is not one. */
export function lowerConvKernel(c: LowerCtx): string | undefined {
  switch (c.op.kernel) {
    case 'conv2d': return conv2d(c);
    case 'conv2dBackpropInput': return conv2dBackpropInput(c);
    case 'conv2dBackpropFilter': return conv2dBackpropFilter(c);
    case 'maxPool': return pool(c, 'MaxPool');
    case 'avgPool': return pool(c, 'AveragePool');
    case 'maxPoolGrad': return maxPoolGrad(c);
    case 'avgPoolGrad': return avgPoolGrad(c);
    default: return undefined;
  }
}

