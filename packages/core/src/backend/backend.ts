import type { DType, Shape, TypedArray } from '../dtype';

/** The version of the {@link Backend} contract. Bumped when kernels are added or change meaning. */
export const BACKEND_SPEC_VERSION = 1 as const;

/** An opaque handle a backend gives for stored data (a Float64Array, a tf.Tensor, a graph node …). */
export type Handle = unknown;

/** What a kernel receives for each input: the backend's handle plus the shape and dtype core knows. */
export interface TensorRef {
  readonly handle: Handle;
  readonly shape: Shape;
  readonly dtype: DType;
}

/** Elementwise one-input kernels. Every backend implements all of them. */
export type UnaryOp =
  | 'neg' | 'abs' | 'sign' | 'exp' | 'expm1' | 'log' | 'log1p' | 'sqrt' | 'rsqrt' | 'square'
  | 'reciprocal' | 'sin' | 'cos' | 'tanh' | 'sigmoid' | 'relu' | 'softplus' | 'erf'
  | 'floor' | 'ceil' | 'round' | 'logicalNot';

/** Elementwise two-input kernels with NumPy broadcasting. Comparisons return bool. */
export type BinaryOp =
  | 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum' | 'mod'
  | 'equal' | 'notEqual' | 'less' | 'lessEqual' | 'greater' | 'greaterEqual'
  | 'logicalAnd' | 'logicalOr';

/** Reductions over axes. */
export type ReduceOp = 'sum' | 'mean' | 'max' | 'min' | 'prod';

/** 2-D convolution geometry shared by conv and its gradients. Layout is NHWC input, HWIO filter. */
export interface Conv2dGeometry {
  readonly strides: readonly [number, number];
  readonly dilations: readonly [number, number];
}

/** 2-D pooling geometry (NHWC, no padding: core pads explicitly). */
export interface Pool2dGeometry {
  readonly kernel: readonly [number, number];
  readonly strides: readonly [number, number];
}

/**
 * A compute backend: storage plus a fixed set of kernels. Kernels have no policy: core validates
 * inputs, infers output shapes and passes them in; a kernel only computes.
 *
 * A backend that is a tracer records each call instead of computing (see `TracingBackend`).
 */
export interface Backend {
  /** Must equal {@link BACKEND_SPEC_VERSION}; checked by `useBackend`. */
  readonly specVersion: typeof BACKEND_SPEC_VERSION;
  /** Human-readable name, e.g. `reference`, `tfjs-wasm`. */
  readonly name: string;
  /** Called once by `useBackend` before first use (load wasm, pick an engine …). */
  init?(): Promise<void>;

  // ---- storage ----
  /** Store host values. `values.length` equals the shape's size. */
  upload(values: TypedArray, shape: Shape, dtype: DType): Handle;
  /** Read values back (float32 as Float32Array or Float64Array, int32 as Int32Array, bool as Uint8Array). */
  read(x: TensorRef): Promise<TypedArray>;
  /** Synchronous read; backends that cannot may throw. */
  readSync(x: TensorRef): TypedArray;
  /** Free a handle. Called exactly once per handle by core. */
  dispose(handle: Handle): void;
  /** Number of live handles this backend holds (for leak tests). */
  numHandles(): number;

  // ---- elementwise ----
  unary(op: UnaryOp, x: TensorRef): Handle;
  binary(op: BinaryOp, a: TensorRef, b: TensorRef, outShape: Shape): Handle;
  /** `cond ? a : b`, broadcasting all three to `outShape`. */
  where(cond: TensorRef, a: TensorRef, b: TensorRef, outShape: Shape): Handle;
  cast(x: TensorRef, dtype: DType): Handle;
  /** A tensor of `shape` filled with `value`. */
  fill(shape: Shape, value: number, dtype: DType): Handle;

  // ---- linear algebra ----
  /** Batched matmul over the last two axes, batch axes broadcast; `outShape` is the result's shape. */
  matmul(a: TensorRef, b: TensorRef, transposeA: boolean, transposeB: boolean, outShape: Shape): Handle;

  // ---- reductions ----
  /** Reduce over `axes` (sorted, unique, non-negative). Output keeps reduced axes as size 1 iff keepDims. */
  reduce(op: ReduceOp, x: TensorRef, axes: readonly number[], keepDims: boolean): Handle;
  /** Index of the max (or min) along one axis, int32, axis removed. */
  argReduce(op: 'argmax' | 'argmin', x: TensorRef, axis: number): Handle;

  // ---- shape and indexing ----
  reshape(x: TensorRef, shape: Shape): Handle;
  transpose(x: TensorRef, perm: readonly number[]): Handle;
  /** Repeat size-1 axes (and add leading axes) to reach `shape`. */
  broadcastTo(x: TensorRef, shape: Shape): Handle;
  concat(xs: readonly TensorRef[], axis: number): Handle;
  slice(x: TensorRef, begin: readonly number[], size: readonly number[]): Handle;
  /** Constant padding; `pads[i] = [before, after]` for axis i. */
  pad(x: TensorRef, pads: readonly (readonly [number, number])[], value: number): Handle;
  /** `x` indexed along `axis` by int32 `indices` (any shape): output shape x[:axis] + indices + x[axis+1:]. */
  gather(x: TensorRef, indices: TensorRef, axis: number): Handle;
  /**
   * The adjoint of gather: a zero tensor of `outShape` into which slices of `updates` are added at
   * `indices` along `axis` (duplicates accumulate).
   */
  scatterAdd(updates: TensorRef, indices: TensorRef, axis: number, outShape: Shape): Handle;
  /** One-hot over a new last axis of size `depth`, float32 (out-of-range indices give all zeros). */
  oneHot(indices: TensorRef, depth: number): Handle;

  // ---- convolution and pooling (NHWC input, HWIO filter, no padding: core pads) ----
  conv2d(x: TensorRef, filter: TensorRef, g: Conv2dGeometry, outShape: Shape): Handle;
  /** Gradient of conv2d with respect to its input, whose shape is `inputShape`. */
  conv2dBackpropInput(dy: TensorRef, filter: TensorRef, g: Conv2dGeometry, inputShape: Shape): Handle;
  /** Gradient of conv2d with respect to its filter, whose shape is `filterShape`. */
  conv2dBackpropFilter(x: TensorRef, dy: TensorRef, g: Conv2dGeometry, filterShape: Shape): Handle;
  maxPool(x: TensorRef, g: Pool2dGeometry, outShape: Shape): Handle;
  /** Routes each output gradient to the first maximal element of its window (ties: first in row-major order). */
  maxPoolGrad(dy: TensorRef, x: TensorRef, g: Pool2dGeometry): Handle;
  avgPool(x: TensorRef, g: Pool2dGeometry, outShape: Shape): Handle;
  avgPoolGrad(dy: TensorRef, g: Pool2dGeometry, inputShape: Shape): Handle;
}
