// A small mutable graph IR that the lowering writes and the peephole passes rewrite; it is turned
// into ONNX protobuf messages only at the end (see ./serialize.ts).

/** Element types the exporter writes. */
export type IrDType = 'float32' | 'float64' | 'int32' | 'int64' | 'bool' | 'uint8';

/** Host arrays for each {@link IrDType}. */
export type IrArray = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;

/** A typed attribute value (ONNX distinguishes int from float, so numbers are tagged). */
export type Attr =
  | { readonly kind: 'int'; readonly v: number }
  | { readonly kind: 'float'; readonly v: number }
  | { readonly kind: 'ints'; readonly v: readonly number[] }
  | { readonly kind: 'floats'; readonly v: readonly number[] }
  | { readonly kind: 'string'; readonly v: string }
  | { readonly kind: 'tensor'; readonly v: Initializer };

export const int = (v: number): Attr => ({ kind: 'int', v });
export const float = (v: number): Attr => ({ kind: 'float', v });
export const ints = (v: readonly number[]): Attr => ({ kind: 'ints', v: [...v] });
export const str = (v: string): Attr => ({ kind: 'string', v });
export const tensorAttr = (v: Initializer): Attr => ({ kind: 'tensor', v });

/** One ONNX node. */
export interface IrNode {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, Attr>;
  /** Layer path or kernel that produced it (written as the node's doc_string). */
  doc?: string;
}

/** A constant tensor stored in the model. */
export interface Initializer {
  name: string;
  dtype: IrDType;
  dims: number[];
  data: IrArray;
}

/** A graph input or output. `dims` entries are numbers, a symbolic name, or null (unknown). */
export interface IrValueInfo {
  name: string;
  dtype: IrDType;
  dims: (number | string | null)[];
}

/** A graph under construction. */
export class IrGraph {
  /** The opset the graph is written for (passes check it before emitting newer ops). */
  opset = 17;
  nodes: IrNode[] = [];
  readonly inits = new Map<string, Initializer>();
  inputs: IrValueInfo[] = [];
  outputs: IrValueInfo[] = [];
  /** Static shapes known from the trace (used by the peephole passes). */
  readonly shapes = new Map<string, readonly number[]>();
  /** Element types known from the trace or the lowering. */
  readonly dtypes = new Map<string, IrDType>();
  /**
   * Tiled max-pool gradients (lower-conv.ts), by output name: `y` is the MaxPool whose input `x`
   * the gradient routes into (`nhwc`: the value is the NHWC transpose, and so is the x it masks
   * against), `dyUp` the upsampled dy. Every nonzero of the gradient sits on a
   * window maximum, so where a ReLU mask Greater(x, 0) follows, masking dy by y > 0 before the
   * upsampling gives the same values (a pass uses this to drop the full-size mask).
   */
  readonly poolGrads = new Map<string, { y: string; dyUp: string; nhwc?: boolean }>();
  /**
   * Square max-pool windows cut apart by a tiled max-pool gradient (lower-conv.ts): the first
   * output of a Split of SpaceToDepth(x) (`cropped`: of a Slice of x that drops the rows and
   * columns past the last whole window) → the window size. A MaxPool of the same x over the same
   * windows is the elementwise Max of the Split's outputs (a pass uses this).
   */
  readonly poolWindows = new Map<string, { k: number; cropped: boolean }>();
  private counter = 0;
  private readonly constCache = new Map<string, string>();

  /** A fresh value name with a readable prefix. */
  fresh(prefix = 't'): string {
    let n: string;
    do n = `${prefix}_${this.counter++}`;
    while (this.inits.has(n));
    return n;
  }

  /** Append a node; returns its output names. */
  add(op: string, inputs: string[], attrs: Record<string, Attr> = {}, nOut = 1, doc?: string): string[] {
    const outputs = Array.from({ length: nOut }, () => this.fresh(op.toLowerCase()));
    this.nodes.push({ op, inputs, outputs, attrs, ...(doc ? { doc } : {}) });
    return outputs;
  }

  /** Append a single-output node; returns its output name. */
  add1(op: string, inputs: string[], attrs: Record<string, Attr> = {}, doc?: string): string {
    return this.add(op, inputs, attrs, 1, doc)[0]!;
  }

  /** Add an initializer under `name` (which must be new). */
  addInit(init: Initializer): string {
    this.inits.set(init.name, init);
    this.dtypes.set(init.name, init.dtype);
    this.shapes.set(init.name, init.dims);
    return init.name;
  }

  /** Remove an initializer (and forget it as a shared constant, so {@link constant} makes a new one). */
  dropInit(name: string): void {
    this.inits.delete(name);
    for (const [k, v] of this.constCache) if (v === name) this.constCache.delete(k);
  }

  /** A small constant, shared between uses with the same dtype, shape and values. */
  constant(dtype: IrDType, dims: readonly number[], values: ArrayLike<number> | readonly bigint[]): string {
    const data = makeArray(dtype, values);
    const key = `${dtype}|${dims.join(',')}|${Array.from(data as ArrayLike<number | bigint>, String).join(',')}`;
    const hit = this.constCache.get(key);
    if (hit) return hit;
    const name = this.addInit({ name: this.fresh('const'), dtype, dims: [...dims], data });
    this.constCache.set(key, name);
    return name;
  }

  /** A 1-D int64 constant (shapes, axes, pads …). */
  i64(values: readonly number[]): string {
    return this.constant('int64', [values.length], values);
  }

  /** A rank-0 constant. */
  scalar(dtype: IrDType, v: number): string {
    return this.constant(dtype, [], [v]);
  }
}

/** A typed array of `dtype` holding `values`. */
export function makeArray(dtype: IrDType, values: ArrayLike<number> | readonly bigint[]): IrArray {
  const n = values.length;
  switch (dtype) {
    case 'float32': return Float32Array.from(values as ArrayLike<number>);
    case 'float64': return Float64Array.from(values as ArrayLike<number>);
    case 'int32': return Int32Array.from(values as ArrayLike<number>);
    case 'uint8':
    case 'bool': return Uint8Array.from(values as ArrayLike<number>, (v) => (dtype === 'bool' ? (v ? 1 : 0) : v));
    case 'int64': {
      const a = new BigInt64Array(n);
      for (let i = 0; i < n; i++) {
        const v = (values as ArrayLike<number | bigint>)[i]!;
        a[i] = typeof v === 'bigint' ? v : BigInt(Math.trunc(v));
      }
      return a;
    }
  }
}
