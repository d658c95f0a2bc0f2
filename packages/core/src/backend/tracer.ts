import { sizeOf, type DType, type Shape, type TypedArray } from '../dtype';
import { engine, type HostInfo, type TraceRecorder } from '../engine';
import { observeDraws, type Generator } from '../random';
import { NNError } from '../errors';
import { Tensor, fromHandle } from '../tensor';
import { BACKEND_SPEC_VERSION, type Backend, type Handle, type TensorRef } from './backend';

/**
 * A value in a trace: a graph input, a constant, an external tensor (a parameter), an op result, or
 * a per-step host value (an optimizer's per-step scalar or a random draw: see {@link HostInfo}).
 */
export interface TraceValue {
  readonly id: number;
  readonly shape: Shape;
  readonly dtype: DType;
  readonly kind: 'input' | 'const' | 'external' | 'op' | 'host';
  /** Input name, or the parameter name of an external. */
  name?: string;
  /** Constant values (kind 'const'). */
  data?: TypedArray;
  /** The real backend's handle and its tensor (kind 'external'). */
  external?: { handle: Handle; tensor?: Tensor };
  /** What a per-step host value is and how to get a fresh one (kind 'host'); `data` holds its value at trace time when known. */
  host?: HostInfo;
  /** The module (path, as in `namedModules()`) whose forward created it, when traced with `modules`. */
  scope?: string;
}

/** One recorded kernel call. */
export interface TracedOp {
  /** The Backend kernel name: 'matmul', 'binary', 'conv2dBackpropFilter' … */
  readonly kernel: string;
  /** Non-tensor arguments (op name, axes, shapes, geometry …). */
  readonly attrs: Readonly<Record<string, unknown>>;
  /** Value ids of tensor inputs. */
  readonly inputs: readonly number[];
  /** Value id of the output. */
  readonly output: number;
  /** The innermost module (its path, e.g. `encoder.0.fc1` or `layers.2 (dense_1)`) whose forward recorded it, when traced with `modules`. */
  readonly scope?: string;
}

/** The result of {@link trace}. */
export interface TraceResult {
  readonly values: ReadonlyMap<number, TraceValue>;
  readonly ops: readonly TracedOp[];
  /** Value ids of the graph inputs, in order. */
  readonly inputs: readonly number[];
  /** Value ids of the outputs, flattened in the order `fn` returned them. */
  readonly outputs: readonly number[];
  /** In-place updates recorded by `assign_` (e.g. an optimizer step): external value id → new value id. */
  readonly assigns: ReadonlyMap<number, number>;
  /** Value ids of the per-step host values (kind 'host'), in creation order: the order their values must be drawn. */
  readonly hosts?: readonly number[];
  /**
   * Random numbers the traced code drew from a `Generator` itself (not through core's random ops):
   * the module that drew (when traced with `modules`) and how many 32-bit draws. Their values are
   * constants of the trace, so a graph made from it would repeat them every run: engines refuse it.
   * (The generators are put back in their state before the trace.)
   */
  readonly strayDraws?: readonly { readonly scope?: string; readonly draws: number }[];
}

interface Node {
  readonly __trace: number;
}
const isNode = (h: Handle): h is Node => typeof h === 'object' && h !== null && '__trace' in h;

class TracerBackend implements Backend {
  readonly specVersion = BACKEND_SPEC_VERSION;
  readonly name: string;
  readonly values = new Map<number, TraceValue>();
  readonly ops: TracedOp[] = [];
  private readonly externals = new Map<Handle, number>();
  private next = 1;
  readonly hosts: number[] = [];
  /** Labels of the modules whose forward is running, innermost last. */
  readonly scopes: string[] = [];

  constructor(readonly inner: Backend, readonly paramNames: Map<Handle, { name: string; tensor: Tensor }>, readonly moduleLabels: Map<object, string> = new Map()) {
    this.name = `tracer(${inner.name})`;
  }

  value(shape: Shape, dtype: DType, kind: TraceValue['kind'], extra: Partial<TraceValue> = {}): Node {
    const id = this.next++;
    this.values.set(id, { id, shape: [...shape], dtype, kind, ...extra });
    return { __trace: id };
  }

  idOf(r: TensorRef): number {
    if (isNode(r.handle)) return r.handle.__trace;
    let id = this.externals.get(r.handle);
    if (id === undefined) {
      const p = this.paramNames.get(r.handle);
      const n = this.value(r.shape, r.dtype, 'external', {
        ...(p ? { name: p.name } : {}),
        external: { handle: r.handle, ...(p ? { tensor: p.tensor } : {}) },
      });
      id = n.__trace;
      this.externals.set(r.handle, id);
    }
    return id;
  }

  emit(kernel: string, ins: readonly TensorRef[], attrs: Record<string, unknown>, shape: Shape, dtype: DType): Node {
    const inputs = ins.map((r) => this.idOf(r));
    const scope = this.scopes[this.scopes.length - 1] || undefined;
    const o = this.value(shape, dtype, 'op', scope === undefined ? {} : { scope });
    this.ops.push({ kernel, attrs, inputs, output: o.__trace, ...(scope === undefined ? {} : { scope }) });
    return o;
  }

  host(info: HostInfo, shape: Shape, dtype: DType, data?: ArrayLike<number>): Node {
    const scope = this.scopes[this.scopes.length - 1] || undefined;
    const values = data === undefined ? undefined : (dtype === 'int32' ? Int32Array.from(data) : Float64Array.from(data)) as TypedArray;
    const n = this.value(shape, dtype, 'host', { host: info, ...(values ? { data: values } : {}), ...(scope === undefined ? {} : { scope }) });
    this.hosts.push(n.__trace);
    return n;
  }

  upload(values: TypedArray, shape: Shape, dtype: DType): Handle {
    return this.value(shape, dtype, 'const', { data: values.slice() as TypedArray });
  }
  readSync(x: TensorRef): TypedArray {
    const v = isNode(x.handle) ? this.values.get(x.handle.__trace) : undefined;
    if (v?.data && v.kind !== 'host') return v.data.slice() as TypedArray;
    if (!isNode(x.handle)) return this.inner.readSync(x);
    throw new NNError('Cannot read tensor values while tracing: traced code must not depend on data values.', 'trace', 'Move the read (item(), dataSync(), data()) outside the traced function.');
  }
  async read(x: TensorRef): Promise<TypedArray> {
    return this.readSync(x);
  }
  dispose(): void {}
  numHandles(): number {
    return 0;
  }

  unary: Backend['unary'] = (op, x) => this.emit('unary', [x], { op }, x.shape, op === 'logicalNot' ? 'bool' : x.dtype);
  binary: Backend['binary'] = (op, a, b, s) => {
    const cmp = !['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'mod'].includes(op);
    return this.emit('binary', [a, b], { op }, s, cmp ? 'bool' : a.dtype);
  };
  where: Backend['where'] = (c, a, b, s) => this.emit('where', [c, a, b], {}, s, a.dtype);
  cast: Backend['cast'] = (x, dtype) => this.emit('cast', [x], { dtype }, x.shape, dtype);
  fill: Backend['fill'] = (shape, value, dtype) => this.emit('fill', [], { shape, value, dtype }, shape, dtype);
  matmul: Backend['matmul'] = (a, b, transposeA, transposeB, s) => this.emit('matmul', [a, b], { transposeA, transposeB }, s, 'float32');
  reduce: Backend['reduce'] = (op, x, axes, keepDims) => {
    const s = keepDims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
    return this.emit('reduce', [x], { op, axes, keepDims }, s, x.dtype === 'bool' ? 'int32' : x.dtype);
  };
  argReduce: Backend['argReduce'] = (op, x, axis) => this.emit('argReduce', [x], { op, axis }, x.shape.filter((_, i) => i !== axis), 'int32');
  reshape: Backend['reshape'] = (x, shape) => this.emit('reshape', [x], { shape }, shape, x.dtype);
  transpose: Backend['transpose'] = (x, perm) => this.emit('transpose', [x], { perm }, perm.map((p) => x.shape[p]!), x.dtype);
  broadcastTo: Backend['broadcastTo'] = (x, shape) => this.emit('broadcastTo', [x], { shape }, shape, x.dtype);
  concat: Backend['concat'] = (xs, axis) => {
    const s = xs[0]!.shape.slice();
    s[axis] = xs.reduce((p, x) => p + x.shape[axis]!, 0);
    return this.emit('concat', xs, { axis }, s, xs[0]!.dtype);
  };
  slice: Backend['slice'] = (x, begin, size) => this.emit('slice', [x], { begin, size }, size, x.dtype);
  pad: Backend['pad'] = (x, pads, value) => this.emit('pad', [x], { pads, value }, x.shape.map((d, i) => d + pads[i]![0] + pads[i]![1]), x.dtype);
  gather: Backend['gather'] = (x, idx, axis) =>
    this.emit('gather', [x, idx], { axis }, [...x.shape.slice(0, axis), ...idx.shape, ...x.shape.slice(axis + 1)], x.dtype);
  scatterAdd: Backend['scatterAdd'] = (u, idx, axis, outShape) => this.emit('scatterAdd', [u, idx], { axis, outShape }, outShape, u.dtype);
  oneHot: Backend['oneHot'] = (idx, depth) => this.emit('oneHot', [idx], { depth }, [...idx.shape, depth], 'float32');
  conv2d: Backend['conv2d'] = (x, f, g, s) => this.emit('conv2d', [x, f], { ...g }, s, 'float32');
  conv2dBackpropInput: Backend['conv2dBackpropInput'] = (dy, f, g, s) => this.emit('conv2dBackpropInput', [dy, f], { ...g, inputShape: s }, s, 'float32');
  conv2dBackpropFilter: Backend['conv2dBackpropFilter'] = (x, dy, g, s) => this.emit('conv2dBackpropFilter', [x, dy], { ...g, filterShape: s }, s, 'float32');
  maxPool: Backend['maxPool'] = (x, g, s) => this.emit('maxPool', [x], { ...g }, s, 'float32');
  maxPoolGrad: Backend['maxPoolGrad'] = (dy, x, g) => this.emit('maxPoolGrad', [dy, x], { ...g }, x.shape, 'float32');
  avgPool: Backend['avgPool'] = (x, g, s) => this.emit('avgPool', [x], { ...g }, s, 'float32');
  avgPoolGrad: Backend['avgPoolGrad'] = (dy, g, s) => this.emit('avgPoolGrad', [dy], { ...g, inputShape: s }, s, 'float32');
}

/** Options of {@link trace}. */
export interface TraceOptions {
  /** Tensors made before the trace, by name (parameters, buffers, optimizer state): named 'external' values. */
  params?: Iterable<[string, Tensor]>;
  /**
   * The model's modules by path (`model.namedModules()`): each recorded op and host value then says
   * which module's forward made it ({@link TracedOp.scope}), for messages and ONNX node names.
   */
  modules?: Iterable<[string, object]>;
}

/** The label of a module in traces: its path, and its Keras name when that differs (`layers.2 (dense_1)`). */
function moduleLabel(path: string, m: object): string {
  const name = (m as { name?: unknown }).name;
  return typeof name === 'string' && name && name !== path ? `${path} (${name})` : path;
}

/** A symbolic input of {@link trace}. */
export interface TraceInput {
  name: string;
  shape: Shape;
  dtype?: DType;
}

/**
 * Run `fn` on symbolic inputs and record every kernel call instead of computing it. Tensors made
 * before the trace (parameters) appear as 'external' values, named when listed in `params`; their
 * handles and gradients are restored afterwards, and in-place updates (`assign_`) are returned as
 * `assigns`. This is what the ONNX exporter and the compiled training step build on.
 *
 * @example
 * ```ts
 * const t = trace((x) => model(x), [{ name: 'x', shape: [1, 784] }], { params: model.namedParameters() });
 * t.ops.map((o) => o.kernel);   // ['matmul', 'binary', 'unary', …]
 * ```
 */
export function trace(
  fn: (...inputs: Tensor[]) => unknown,
  inputs: readonly TraceInput[],
  opts: TraceOptions = {},
): TraceResult {
  if (engine.tracing) throw new NNError('trace(): already tracing; traces do not nest.', 'trace');
  const params = [...(opts.params ?? [])];
  const paramNames = new Map<Handle, { name: string; tensor: Tensor }>();
  for (const [name, t] of params) paramNames.set(t.handle, { name, tensor: t });
  const saved = params.map(([, t]) => ({ t, h: t.handle, grad: t.grad, rg: t.requiresGrad }));
  const inner = engine.backend;
  const labels = new Map<object, string>();
  for (const [path, m] of opts.modules ?? []) if (path && !labels.has(m)) labels.set(m, moduleLabel(path, m));
  const tracer = new TracerBackend(inner, paramNames, labels);
  const assigns = new Map<number, number>();
  const restoreAssigned: Array<[Tensor, Handle]> = [];
  engine.backend = tracer;
  const hook: TraceRecorder = {
      host: (info, shape, dtype, data) => tracer.host(info, shape, dtype, data),
      enterModule: (m) => {
        const l = labels.get(m);
        // A module that is not listed (or the root) keeps the enclosing label.
        tracer.scopes.push(l ?? tracer.scopes[tracer.scopes.length - 1] ?? '');
      },
      exitModule: () => void tracer.scopes.pop(),
      onAssign: (target, oldHandle, newHandle) => {
        const oldId = tracer.idOf({ handle: oldHandle, shape: (target as Tensor).shape, dtype: (target as Tensor).dtype });
        if (!isNode(newHandle)) throw new NNError('assign_ during trace with a non-traced value.', 'trace');
        // Map the ORIGINAL external to its newest value.
        let root = oldId;
        for (const [k, v] of assigns) if (v === oldId) root = k;
        assigns.set(root, newHandle.__trace);
        if (!isNode(oldHandle)) restoreAssigned.push([target as Tensor, oldHandle]);
      },
  };
  engine.tracing = { restore: [], hook };
  const outIds: number[] = [];
  const strayDraws: { scope?: string; draws: number }[] = [];
  // A trace computes nothing: generators drawn from are put back as they were (as parameters are).
  const drawnFrom = new Map<Generator, number[]>();
  const stopObserving = observeDraws((g) => {
    if (!drawnFrom.has(g)) drawnFrom.set(g, g.getState());
    const scope = tracer.scopes[tracer.scopes.length - 1] || undefined;
    const last = strayDraws[strayDraws.length - 1];
    if (last && last.scope === scope) last.draws++;
    else strayDraws.push({ ...(scope ? { scope } : {}), draws: 1 });
  });
  try {
    const ins = inputs.map((i) => fromHandle(tracer.value(i.shape, i.dtype ?? 'float32', 'input', { name: i.name }), i.shape, i.dtype ?? 'float32'));
    const inputIds = ins.map((t) => (t.handle as Node).__trace);
    const result = fn(...ins);
    const flat: Tensor[] = [];
    const walk = (r: unknown) => {
      if (r instanceof Tensor) flat.push(r);
      else if (Array.isArray(r)) r.forEach(walk);
      else if (r && typeof r === 'object') Object.values(r).forEach(walk);
    };
    walk(result);
    for (const t of flat) outIds.push(tracer.idOf(t.ref('trace')));
    return { values: tracer.values, ops: tracer.ops, inputs: inputIds, outputs: outIds, assigns, hosts: tracer.hosts, strayDraws };
  } finally {
    stopObserving();
    for (const [g, st] of drawnFrom) g.setState(st);
    engine.backend = inner;
    engine.tracing = null;
    for (const [t, h] of restoreAssigned) t.swapHandle(h);
    for (const s of saved) {
      if (s.t.handle !== s.h) s.t.swapHandle(s.h);
      s.t.grad = s.grad;
      s.t.requiresGrad = s.rg;
    }
  }
}

/** Count of elements of a traced value (helper for exporters). */
export const traceSize = (v: TraceValue): number => sizeOf(v.shape);
