import { Tensor, trace, withGrad, type TraceResult } from '@nn/core';
import { ExportOptionsError } from '../errors';
import { writeFileAtomic } from '../fs-atomic';
import { VERSION } from '../version';
import { buildGraph, type GraphInput } from './build';
import { batchDims, staticDims } from './dynamic';
import { serializeModel } from './serialize';
import { lowerForTarget, type LoweringTarget } from './lower-webgpu';
import { simplify } from './simplify';

/**
 * What the exporter needs from a model: something callable on tensors. A PyTorch-style Module or a
 * Keras model also gives its parameters (named by path) and train/eval switches; a plain function
 * can pass its parameters in {@link ExportOptions.params}.
 */
export interface ExportableModel {
  (...inputs: Tensor[]): unknown;
  namedParameters?(): Iterable<[string, Tensor]>;
  namedBuffers?(): Iterable<[string, Tensor]>;
  eval?(): unknown;
  train?(mode?: boolean): unknown;
  training?: boolean;
}

/** One graph input: its name, shape (`null` for the dynamic batch dimension) and dtype. */
export interface InputSpec {
  name: string;
  /** `null` is allowed only as the first (batch) dimension. */
  shape: readonly (number | null)[];
  /** @default 'float32' */
  dtype?: 'float32' | 'int32' | 'bool';
}

/** Options of {@link exportOnnx}. */
export interface ExportOptions {
  /** Graph inputs: `{ x: [null, 784] }` (float32) or a list of {@link InputSpec}, in call order. */
  inputs: Readonly<Record<string, readonly (number | null)[]>> | readonly InputSpec[];
  /** Output names, in the order the model returns its outputs. @default ['output'] or output_0, output_1 … */
  outputs?: readonly string[];
  /** ONNX opset (13 – 18). @default 17 */
  opset?: number;
  /** Model doc string. */
  docString?: string;
  /** Producer name and version. @default { name: 'nn', version: this package's version } */
  producer?: { name?: string; version?: string };
  /** Extra named tensors (parameters of a plain function); merged with the model's own. */
  params?: Iterable<[string, Tensor]>;
  /** Run the peephole simplifier. @default true */
  simplify?: boolean;
  /**
   * Write the graph for an execution provider: `'webgpu'` expresses the ops onnxruntime's WebGPU
   * provider has no kernel for (LogSoftmax) with ops it runs, so no node falls back to the CPU;
   * `'cpu'` rewrites batch sums and transposed Gemm operands for onnxruntime's CPU kernels.
   * @default 'default'
   */
  target?: LoweringTarget;
  /** Name of the symbolic batch dimension. @default 'batch' */
  batchDim?: string;
  /** Extra metadata_props key/values. */
  metadata?: Record<string, string>;
  /**
   * Trace a training graph: gradients stay enabled (so `backward()` inside the function records
   * the backward kernels) and the model's train/eval mode is left as it is. @default false
   */
  training?: boolean;
}

export const MIN_OPSET = 13;
export const MAX_OPSET = 18;

function normInputs(inputs: ExportOptions['inputs']): GraphInput[] {
  const list: InputSpec[] = Array.isArray(inputs)
    ? [...(inputs as readonly InputSpec[])]
    : Object.entries(inputs as Record<string, readonly (number | null)[]>).map(([name, shape]) => ({ name, shape }));
  if (list.length === 0) throw new ExportOptionsError('exportOnnx: `inputs` is empty; give at least one, e.g. { x: [null, 784] }.');
  const seen = new Set<string>();
  return list.map((s) => {
    if (!s.name) throw new ExportOptionsError('exportOnnx: every input needs a name.');
    if (seen.has(s.name)) throw new ExportOptionsError(`exportOnnx: input name "${s.name}" is used twice.`);
    seen.add(s.name);
    s.shape.forEach((d, i) => {
      if (d === null && i !== 0) throw new ExportOptionsError(`exportOnnx: input "${s.name}" has null at axis ${i} (shape [${s.shape.join(', ')}]); only the first (batch) dimension can be dynamic.`);
      if (d !== null && !(Number.isInteger(d) && d >= 0)) throw new ExportOptionsError(`exportOnnx: input "${s.name}" has an invalid dimension ${String(d)} at axis ${i}.`);
    });
    return { name: s.name, dtype: s.dtype ?? 'float32', shape: [...s.shape] };
  });
}

function namedTensors(model: unknown, extra?: Iterable<[string, Tensor]>): [string, Tensor][] {
  const m = model as ExportableModel;
  const out: [string, Tensor][] = [];
  if (typeof m.namedParameters === 'function') out.push(...m.namedParameters());
  if (typeof m.namedBuffers === 'function') out.push(...m.namedBuffers());
  if (extra) out.push(...extra);
  const seen = new Set<Tensor>();
  return out.filter(([, t]) => (seen.has(t) ? false : (seen.add(t), true)));
}

/**
 * Call the model on traced inputs: a Keras functional model with several inputs takes them as one
 * list (`model([a, b])`), everything else as arguments (`model(a, b)`).
 */
export function callModel(model: unknown, xs: Tensor[]): unknown {
  const declared = (model as { inputs?: unknown }).inputs;
  if (xs.length > 1 && Array.isArray(declared) && declared.length === xs.length) return (model as (x: Tensor[]) => unknown)(xs);
  return (model as (...x: Tensor[]) => unknown)(...xs);
}

/** Run `fn` with the model in eval mode, restoring its mode afterwards. */
function inEval<T>(model: ExportableModel, fn: () => T): T {
  const wasTraining = model.training;
  if (typeof model.eval === 'function') model.eval();
  try {
    return fn();
  } finally {
    if (wasTraining && typeof model.train === 'function') model.train(true);
  }
}

/**
 * Trace `model` in eval mode and return the ONNX model's bytes (no file written). See {@link exportOnnx}.
 *
 * @param model - A Module, a Keras model or any function of tensors.
 * @param opts - Inputs (required), output names, opset …
 * @example
 * ```ts
 * const bytes = toOnnxBytes((x) => linear(x, w, true).softmax(), { inputs: { x: [null, 4] }, params: [['w', w]] });
 * ```
 */
export function toOnnxBytes(model: ExportableModel | ((...xs: Tensor[]) => unknown), opts: ExportOptions): Uint8Array {
  const opset = opts.opset ?? 17;
  if (!Number.isInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET) {
    throw new ExportOptionsError(`exportOnnx: opset ${opset} is not supported; use ${MIN_OPSET} to ${MAX_OPSET}.`);
  }
  if (typeof model !== 'function') throw new ExportOptionsError(`exportOnnx: the model must be callable (a Module, a Keras model or a function), got ${typeof model}.`);
  const inputs = normInputs(opts.inputs);
  const params = namedTensors(model, opts.params);
  const dynamic = inputs.some((i) => i.shape[0] === null);
  let result: unknown;
  // Each op records the module whose forward made it (node names, errors that name the layer).
  const nm = (model as { namedModules?: () => Iterable<[string, object]> }).namedModules;
  const modules = typeof nm === 'function' ? [...nm.call(model)] : undefined;
  const run = (b: number): TraceResult =>
    withGrad(!!opts.training, () =>
      trace(
        (...xs: Tensor[]) => (result = callModel(model, xs)),
        inputs.map((i) => ({ name: i.name, dtype: i.dtype, shape: i.shape.map((d) => d ?? b) })),
        { params, ...(modules ? { modules } : {}) },
      ),
    );
  // A dynamic batch: trace at two batch sizes and make every shape that differs batch-relative.
  const mode = opts.training ? <T>(_: ExportableModel, f: () => T) => f() : inEval;
  const [t, dims, layers] = mode(model as ExportableModel, () => {
    const t1 = run(2);
    const l1 = new Map(t1.ops.flatMap((o) => (o.scope ? [[o, o.scope] as const] : [])));
    return [t1, dynamic ? batchDims(t1, run(3), 2, 3) : staticDims(t1), l1] as const;
  });
  // Default output names: the keys of a returned record of tensors, else output / output_i.
  const keys = result && typeof result === 'object' && !Array.isArray(result) && !(result instanceof Tensor) ? Object.keys(result) : undefined;
  const outputNames = opts.outputs
    ? [...opts.outputs]
    : keys && keys.length === t.outputs.length
      ? keys
      : t.outputs.length === 1 ? ['output'] : t.outputs.map((_, i) => `output_${i}`);
  if (outputNames.length !== t.outputs.length) {
    throw new ExportOptionsError(`exportOnnx: ${outputNames.length} output names given (${outputNames.join(', ')}) but the model returned ${t.outputs.length} tensors.`);
  }
  if (t.outputs.length === 0) throw new ExportOptionsError('exportOnnx: the model returned no tensors.');
  const dup = outputNames.find((n, i) => outputNames.indexOf(n) !== i || inputs.some((x) => x.name === n));
  if (dup) throw new ExportOptionsError(`exportOnnx: output name "${dup}" is used twice or is also an input name.`);
  let g = buildGraph({ trace: t, dims, opset, inputs, outputNames, layers, target: opts.target ?? 'default', ...(opts.batchDim ? { batchDim: opts.batchDim } : {}) });
  if (opts.simplify !== false) g = simplify(g);
  g = lowerForTarget(g, opts.target ?? 'default');
  return serializeModel(g, {
    opset,
    producerName: opts.producer?.name ?? 'nn',
    producerVersion: opts.producer?.version ?? VERSION,
    graphName: (model as { name?: string }).name || 'nn_model',
    ...(opts.docString ? { docString: opts.docString } : {}),
    ...(opts.metadata ? { metadata: opts.metadata } : {}),
  });
}

/**
 * Export a model to ONNX by tracing its ops in eval mode: every kernel call becomes standard ONNX
 * operators, parameters become little-endian `raw_data` initializers named by their path, and a
 * `null` first dimension makes the batch size dynamic. The file is written atomically (a temporary
 * file, then a rename).
 *
 * @param model - A Module, a Keras model or any function of tensors.
 * @param path - Where to write the `.onnx` file; omit to only get the bytes.
 * @param opts - Inputs (required), output names, opset …
 * @returns The serialized model.
 * @throws UnsupportedOpError naming the kernel (and layer) that cannot be exported.
 * @throws DynamicBatchError when the graph's structure depends on the batch size.
 * @example
 * ```ts
 * await exportOnnx(model, 'model.onnx', { inputs: { x: [null, 784] }, outputs: ['logits'], opset: 17 });
 * ```
 */
export async function exportOnnx(
  model: ExportableModel | ((...xs: Tensor[]) => unknown),
  path: string | undefined,
  opts: ExportOptions,
): Promise<Uint8Array> {
  const bytes = toOnnxBytes(model, opts);
  if (path) await writeFileAtomic(path, bytes);
  return bytes;
}
