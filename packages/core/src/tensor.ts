import type { Backend, Handle, TensorRef } from './backend/backend';
import { arrayFor, fmtShape, sizeOf, type DType, type NestedArray, type Shape, type TypedArray } from './dtype';
import { engine, TENSOR_BRAND, type Tracked } from './engine';
import { DisposedTensorError, GradError, NNError } from './errors';
import { backward } from './autograd';
import { forgetHost } from './train/host-cache';
import * as ops from './ops';

/** An autograd node: how to send an output gradient back to the inputs. */
export interface GradNode {
  readonly op: string;
  readonly inputs: readonly Tensor[];
  /** Other tensors the rule reads (outputs, masks …); kept alive with the graph. */
  readonly saved: readonly Tensor[];
  /** Vector-Jacobian product: one gradient per input (null where an input needs none). */
  readonly vjp: (gy: Tensor) => readonly (Tensor | null)[];
}

/**
 * An n-dimensional array on the active backend, with PyTorch-style autograd.
 *
 * Create one with {@link tensor}, {@link zeros}, {@link randn} …; read values with `dataSync()`,
 * `await data()`, `item()` or `await array()`.
 */
export class Tensor implements Tracked {
  readonly [TENSOR_BRAND] = true;
  readonly id: number;
  /** Set when gradients should flow to (leaf) or through (intermediate) this tensor. */
  requiresGrad = false;
  /** The accumulated gradient of a leaf after `backward()`. */
  grad: Tensor | null = null;
  /** @internal */ node: GradNode | null = null;
  kept = false;
  /** Optional name (parameters get their path here). */
  name?: string;
  private h: Handle | null;
  private readonly token = {};
  /** The backend that holds this tensor's data. */
  readonly backend: Backend;

  /** @internal Use {@link tensor} and the ops to make tensors. */
  constructor(handle: Handle, readonly shape: Shape, readonly dtype: DType) {
    this.id = engine.nextId++;
    this.h = handle;
    this.backend = engine.backend;
    engine.track(this, handle, this.token);
  }

  /** Number of elements. */
  get size(): number {
    return sizeOf(this.shape);
  }
  /** Number of axes. */
  get rank(): number {
    return this.shape.length;
  }
  get isDisposed(): boolean {
    return this.h === null;
  }
  /** True for tensors that are not the result of a recorded op. */
  get isLeaf(): boolean {
    return this.node === null;
  }

  /** @internal The backend view of this tensor; throws if disposed. */
  ref(op = 'op'): TensorRef {
    if (this.h === null) throw new DisposedTensorError(this.id, op);
    if (this.backend !== engine.backend && !engine.tracing) {
      throw new NNError(
        `${op}: tensor #${this.id} ${fmtShape(this.shape)} lives on backend "${this.backend.name}", but the active backend is "${engine.backend.name}".`,
        op,
        'Create tensors and models after useBackend(), or copy values across: tensor(t.dataSync(), t.shape).',
      );
    }
    return { handle: this.h, shape: this.shape, dtype: this.dtype };
  }

  /** @internal The raw handle (for backends and exporters). */
  get handle(): Handle {
    return this.ref('handle').handle;
  }

  graphChildren(): readonly Tensor[] {
    if (!this.node) return this.grad ? [this.grad] : [];
    return [...this.node.inputs, ...this.node.saved];
  }

  /** Free the backend memory now. Later use throws {@link DisposedTensorError}. */
  dispose(): void {
    if (this.h === null) return;
    forgetHost(this);
    engine.untrackGc(this.token);
    this.backend.dispose(this.h);
    this.h = null;
    this.node = null;
  }

  /**
   * Replace this tensor's values by `src`'s (same shape and dtype), in place, without recording a
   * gradient. Used by optimizers; `src` is disposed or adopted.
   */
  assign_(src: Tensor): this {
    if (src.dtype !== this.dtype || src.shape.length !== this.shape.length || src.shape.some((d, i) => d !== this.shape[i])) {
      throw new NNError(`assign_: expected ${this.dtype} ${fmtShape(this.shape)}, got ${src.dtype} ${fmtShape(src.shape)}.`, 'assign_');
    }
    const old = this.ref('assign_').handle;
    // Adopt src's handle: src becomes an empty shell.
    const fresh = src.handle;
    src.releaseHandle();
    if (engine.tracing) engine.tracing.hook.onAssign?.(this, old, fresh);
    else this.backend.dispose(old);
    this.h = fresh;
    if (!engine.tracing) engine.reRegister(this, fresh, this.token);
    return this;
  }

  /** @internal Drop the handle without disposing it (its ownership moved). */
  releaseHandle(): void {
    engine.untrackGc(this.token);
    this.h = null;
    this.node = null;
  }

  /** @internal Swap in a handle without disposing the old one (tracing restores). */
  swapHandle(h: Handle): Handle {
    const old = this.ref('swapHandle').handle;
    this.h = h;
    return old;
  }

  // ---- reading values ----
  /** Values as a typed array (float32 tensors read as Float32Array, or Float64Array on the reference backend). */
  dataSync(): TypedArray {
    return this.readBackend().readSync(this.readRef('dataSync'));
  }
  /** Values as a typed array, asynchronously (preferred on GPU engines). */
  async data(): Promise<TypedArray> {
    return this.readBackend().read(this.readRef('data'));
  }
  /** Reads go to the owning backend (a tracer can read constants and externals only). */
  private readBackend(): Backend {
    return engine.tracing ? engine.backend : this.backend;
  }
  private readRef(op: string): TensorRef {
    if (this.h === null) throw new DisposedTensorError(this.id, op);
    return { handle: this.h, shape: this.shape, dtype: this.dtype };
  }
  /** The single value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new NNError(`item(): tensor has ${this.size} elements, expected 1 (shape ${fmtShape(this.shape)}).`, 'item');
    return this.dataSync()[0]!;
  }
  /** Values as nested JS arrays. */
  async array(): Promise<NestedArray> {
    return toNested(await this.data(), this.shape, this.dtype);
  }
  /** Values as nested JS arrays, synchronously. */
  arraySync(): NestedArray {
    return toNested(this.dataSync(), this.shape, this.dtype);
  }

  toString(): string {
    return `Tensor(${this.dtype}, ${fmtShape(this.shape)}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }

  // ---- autograd ----
  /**
   * Accumulate gradients of this tensor into the `.grad` of every leaf that requires them.
   *
   * @param gradient - Upstream gradient; required unless this tensor has one element.
   */
  backward(gradient?: Tensor, options: { retainGraph?: boolean } = {}): void {
    if (!this.requiresGrad) {
      throw new GradError('backward(): this tensor does not require grad and has no grad_fn.', 'backward', 'Create inputs with requiresGrad: true or use Parameters.');
    }
    if (!gradient && this.size !== 1) {
      throw new GradError(`backward(): grad can be implicitly created only for scalar outputs; got shape ${fmtShape(this.shape)}.`, 'backward', 'Pass a gradient of the same shape: y.backward(ones(y.shape)).');
    }
    backward(this, gradient, options.retainGraph ?? false);
  }

  /** A new tensor sharing no graph with this one (same values, no gradient). */
  detach(): Tensor {
    return ops.identity(this, false);
  }

  /** Set `requiresGrad` in place (leaves only). */
  requiresGrad_(flag = true): this {
    if (!this.isLeaf && !flag) throw new GradError('requiresGrad_(false) on a non-leaf tensor; use detach().', 'requiresGrad_');
    this.requiresGrad = flag;
    return this;
  }

  /** Mark as kept: scopes never dispose it. */
  keep(): this {
    engine.keep(this);
    return this;
  }

  // ---- in-place helpers (no grad), PyTorch style ----
  /** Fill with a constant, in place. */
  fill_(value: number): this {
    return this.assign_(ops.full(this.shape, value, this.dtype));
  }
  /** Zero in place. */
  zero_(): this {
    return this.fill_(0);
  }
  /** Copy another tensor's values in place. */
  copy_(src: Tensor): this {
    return this.assign_(ops.identity(src, false));
  }

  // ---- fluent ops (see the free functions for docs) ----
  add(b: Tensor | number) { return ops.add(this, b); }
  sub(b: Tensor | number) { return ops.sub(this, b); }
  mul(b: Tensor | number) { return ops.mul(this, b); }
  div(b: Tensor | number) { return ops.div(this, b); }
  pow(b: Tensor | number) { return ops.pow(this, b); }
  maximum(b: Tensor | number) { return ops.maximum(this, b); }
  minimum(b: Tensor | number) { return ops.minimum(this, b); }
  neg() { return ops.neg(this); }
  abs() { return ops.abs(this); }
  sign() { return ops.sign(this); }
  exp() { return ops.exp(this); }
  log() { return ops.log(this); }
  log1p() { return ops.log1p(this); }
  sqrt() { return ops.sqrt(this); }
  rsqrt() { return ops.rsqrt(this); }
  square() { return ops.square(this); }
  reciprocal() { return ops.reciprocal(this); }
  sin() { return ops.sin(this); }
  cos() { return ops.cos(this); }
  floor() { return ops.floor(this); }
  round() { return ops.round(this); }
  clip(min: number, max: number) { return ops.clip(this, min, max); }
  eq(b: Tensor | number) { return ops.equal(this, b); }
  ne(b: Tensor | number) { return ops.notEqual(this, b); }
  lt(b: Tensor | number) { return ops.less(this, b); }
  le(b: Tensor | number) { return ops.lessEqual(this, b); }
  gt(b: Tensor | number) { return ops.greater(this, b); }
  ge(b: Tensor | number) { return ops.greaterEqual(this, b); }
  relu() { return ops.relu(this); }
  leakyRelu(alpha?: number) { return ops.leakyRelu(this, alpha); }
  elu(alpha?: number) { return ops.elu(this, alpha); }
  selu() { return ops.selu(this); }
  gelu(approximate?: 'none' | 'tanh') { return ops.gelu(this, approximate); }
  sigmoid() { return ops.sigmoid(this); }
  tanh() { return ops.tanh(this); }
  softplus() { return ops.softplus(this); }
  softmax(axis = -1) { return ops.softmax(this, axis); }
  logSoftmax(axis = -1) { return ops.logSoftmax(this, axis); }
  matmul(b: Tensor, opts?: { transposeA?: boolean; transposeB?: boolean }) { return ops.matmul(this, b, opts); }
  sum(axis?: number | readonly number[], keepDims = false) { return ops.sum(this, axis, keepDims); }
  mean(axis?: number | readonly number[], keepDims = false) { return ops.mean(this, axis, keepDims); }
  max(axis?: number | readonly number[], keepDims = false) { return ops.max(this, axis, keepDims); }
  min(axis?: number | readonly number[], keepDims = false) { return ops.min(this, axis, keepDims); }
  variance(axis?: number | readonly number[], keepDims = false, correction = 0) { return ops.variance(this, axis, keepDims, correction); }
  std(axis?: number | readonly number[], keepDims = false, correction = 0) { return ops.std(this, axis, keepDims, correction); }
  argmax(axis = -1) { return ops.argmax(this, axis); }
  argmin(axis = -1) { return ops.argmin(this, axis); }
  reshape(shape: readonly number[]) { return ops.reshape(this, shape); }
  view(...shape: number[]) { return ops.reshape(this, shape); }
  flatten(startDim = 0, endDim = -1) { return ops.flatten(this, startDim, endDim); }
  transpose(perm?: readonly number[]) { return ops.transpose(this, perm); }
  permute(...perm: number[]) { return ops.transpose(this, perm); }
  /** Transpose of a 2-D tensor (`x.T` in PyTorch). */
  get T() { return ops.transpose(this); }
  squeeze(axis?: number | readonly number[]) { return ops.squeeze(this, axis); }
  unsqueeze(axis: number) { return ops.unsqueeze(this, axis); }
  expand(shape: readonly number[]) { return ops.expand(this, shape); }
  slice(begin: readonly number[], size?: readonly number[]) { return ops.slice(this, begin, size); }
  gather(indices: Tensor, axis = 0) { return ops.gather(this, indices, axis); }
  indexSelect(axis: number, indices: Tensor) { return ops.gather(this, indices, axis); }
  pad(pads: readonly (readonly [number, number])[], value = 0) { return ops.pad(this, pads, value); }
  cast(dtype: DType) { return ops.cast(this, dtype); }
  float() { return ops.cast(this, 'float32'); }
  int() { return ops.cast(this, 'int32'); }
  where(cond: Tensor, other: Tensor | number) { return ops.where(cond, this, other); }
}

function toNested(data: TypedArray, shape: Shape, dtype: DType): NestedArray {
  const conv = (v: number) => (dtype === 'bool' ? v !== 0 : v);
  if (shape.length === 0) return conv(data[0]!);
  const rec = (off: number, ax: number): NestedArray => {
    const n = shape[ax]!;
    const step = sizeOf(shape.slice(ax + 1));
    const out: NestedArray[] = [];
    for (let i = 0; i < n; i++) out.push(ax === shape.length - 1 ? conv(data[off + i]!) : rec(off + i * step, ax + 1));
    return out;
  };
  return rec(0, 0);
}

/** @internal Wrap a backend handle as a tensor. */
export function fromHandle(handle: Handle, shape: Shape, dtype: DType): Tensor {
  return new Tensor(handle, shape, dtype);
}

/** @internal Upload host values. */
export function upload(values: TypedArray, shape: Shape, dtype: DType): Tensor {
  return new Tensor(engine.backend.upload(values, shape, dtype), shape, dtype);
}

export { arrayFor };
