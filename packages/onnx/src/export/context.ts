import type { TracedOp, TraceResult } from '@nn/core';
import { UnsupportedOpError } from '../errors';
import { shapeTensor, type DimSpec } from './dims';
import { int, ints, type IrDType, type IrGraph } from './ir';
import type { LoweringTarget } from './lower-webgpu';

/** What a kernel lowering sees. */
export interface LowerCtx {
  readonly g: IrGraph;
  readonly opset: number;
  /** The execution provider the graph is for (lower-webgpu.ts). */
  readonly target: LoweringTarget;
  readonly trace: TraceResult;
  /** The op being lowered and its index in the trace. */
  readonly op: TracedOp;
  readonly index: number;
  /** ONNX names of the op's inputs. */
  readonly ins: readonly string[];
  /** Shape-like attribute `key` of the current op, batch-relative where it differs between traces. */
  attrDims(key: string): DimSpec[];
  /** The shape of a traced value, batch-relative where it depends on the batch size. */
  valueDims(id: number): DimSpec[];
  /** The runtime batch size as an int64 tensor of shape [1]. */
  batch(): string;
  /** Layer path of the current op, when core recorded one. */
  readonly layer?: string;
}

export const inShape = (c: LowerCtx, i: number): DimSpec[] => c.valueDims(c.op.inputs[i]!);
export const inDType = (c: LowerCtx, i: number) => c.trace.values.get(c.op.inputs[i]!)!.dtype;
export const outDType = (c: LowerCtx) => c.trace.values.get(c.op.output)!.dtype;

/** A static number from a traced value's shape (errors if it depends on the batch size). */
export function staticDim(c: LowerCtx, d: DimSpec, what: string): number {
  if (typeof d === 'number') return d;
  throw new UnsupportedOpError(c.op.kernel, `${what} depends on the batch size`, c.layer, 'Export with a fixed batch size.');
}

export function shapeOf(c: LowerCtx, dims: readonly DimSpec[]): string {
  return shapeTensor(c.g, dims, () => c.batch());
}

export function cast(c: LowerCtx, x: string, to: IrDType): string {
  return c.g.add1('Cast', [x], { to: int(ONNX_CODE[to]) });
}

const ONNX_CODE: Record<IrDType, number> = { float32: 1, uint8: 2, int32: 6, int64: 7, bool: 9, float64: 11 };

/** Unsqueeze with axes as an input (opset ≥ 13). */
export function unsqueeze(c: LowerCtx, x: string, axes: readonly number[]): string {
  return c.g.add1('Unsqueeze', [x, c.g.i64(axes)]);
}

export function transpose(c: LowerCtx, x: string, perm: readonly number[]): string {
  return c.g.add1('Transpose', [x], { perm: ints(perm) });
}

/** Reduce over `axes`: axes are an input for ReduceSum from opset 13 and for the others from 18. */
export function reduceNode(c: LowerCtx, onnxOp: string, x: string, axes: readonly number[], keepDims: boolean): string {
  const asInput = onnxOp === 'ReduceSum' ? c.opset >= 13 : c.opset >= 18;
  return asInput
    ? c.g.add1(onnxOp, [x, c.g.i64(axes)], { keepdims: int(keepDims ? 1 : 0) })
    : c.g.add1(onnxOp, [x], { axes: ints(axes), keepdims: int(keepDims ? 1 : 0) });
}

export const NHWC_TO_NCHW = [0, 3, 1, 2] as const;
export const NCHW_TO_NHWC = [0, 2, 3, 1] as const;
/** HWIO filter → OIHW (Conv weight) and [O, C, KH, KW] (ConvTranspose weight of the input gradient). */
export const HWIO_TO_OIHW = [3, 2, 0, 1] as const;
