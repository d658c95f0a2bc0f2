import { readFile } from 'node:fs/promises';
import { fromBinary } from '@bufbuild/protobuf';
import * as ort from 'onnxruntime-node';
import { ModelProtoSchema, type ModelProto } from '../gen/onnx_pb';
import { OnnxFormatError, SessionInputError } from '../errors';
import { openSession, type Device, type RunDevice } from '../runtime/open-session';
import { describeAll, prepareFeed, type FeedValue, type HostArray, type SessionOutput, type ValueSpec } from './feeds';
import { unsupportedOpError } from './unsupported-op';

export { cudaProviderInstalled, type Device, type RunDevice } from '../runtime/open-session';

/** Options of {@link InferenceSession.create}. */
export interface SessionOptions {
  /** Where it runs: `'auto'` (CUDA when its provider is installed, else CPU), `'cpu'`, `'cuda'` or `'webgpu'` (opt-in). @default 'auto' */
  device?: Device;
  /** Intra-op threads (0 lets onnxruntime choose). @default 0 */
  threads?: number;
  /** Whether idle intra-op threads spin (`false`: they sleep, like `OMP_WAIT_POLICY=PASSIVE`). @default true */
  spinWait?: boolean;
  /** onnxruntime graph optimizations. @default 'all' */
  graphOptimization?: 'disabled' | 'basic' | 'extended' | 'all';
}

/** Inputs of {@link InferenceSession.run}: by name, or one value for a single-input model. */
export type Feeds = Readonly<Record<string, FeedValue>> | FeedValue;

function specs(meta: readonly ort.InferenceSession.ValueMetadata[]): ValueSpec[] {
  return meta.map((m) => ({
    name: m.name,
    dtype: m.isTensor ? m.type : 'non-tensor',
    dims: m.isTensor ? m.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : typeof d === 'string' && d ? d : null)) : [],
  }));
}

const isSingle = (f: Feeds): f is FeedValue =>
  ArrayBuffer.isView(f) || (typeof f === 'object' && f !== null && ('dataSync' in f || ('data' in f && 'dims' in f && ArrayBuffer.isView((f as { data: unknown }).data))));

/**
 * An ONNX model loaded in onnxruntime-node, with input checks and typed outputs.
 *
 * @example
 * ```ts
 * const session = await InferenceSession.create('model.onnx');       // CUDA when present, else CPU
 * const { output } = await session.run({ x: tensor(pixels, [1, 784]) });
 * console.log(session.device, output.dims, output.data);
 * ```
 */
export class InferenceSession {
  /** The model's inputs as declared in the file. */
  readonly inputs: readonly ValueSpec[];
  /** The model's outputs as declared in the file. */
  readonly outputs: readonly ValueSpec[];

  private constructor(
    private readonly ort: ort.InferenceSession,
    /** The execution provider in use. */
    readonly device: RunDevice,
    /** Why 'auto' runs on CPU (why not CUDA), when it does. */
    readonly fallbackReason: string | undefined,
  ) {
    this.inputs = specs(ort.inputMetadata);
    this.outputs = specs(ort.outputMetadata);
  }

  /** Input names in model order. */
  get inputNames(): readonly string[] {
    return this.ort.inputNames;
  }
  /** Output names in model order. */
  get outputNames(): readonly string[] {
    return this.ort.outputNames;
  }

  /**
   * Load a model from a path or bytes. `device: 'auto'` asks for `['cuda', 'cpu']` and, because
   * onnxruntime-node throws when its CUDA provider is not installed, retries on CPU; `'webgpu'` asks
   * for onnxruntime-node's bundled WebGPU provider (never chosen by 'auto'). `session.device` says
   * which one runs, `session.fallbackReason` why 'auto' did not get CUDA. Sessions are opened by
   * `openSession` (src/runtime/open-session.ts), as the training engine's are.
   *
   * @param source - Path to a `.onnx` file, or its bytes.
   * @param opts - Device, threads and optimization level.
   * @throws OnnxFormatError for a missing, corrupt or truncated model, or one with an op onnxruntime cannot run
   *   (naming the op, its domain and node in the message and in `error.op`); DeviceError when 'cuda' or 'webgpu' is asked for and cannot start (naming the device and onnxruntime's reason).
   */
  static async create(source: string | Uint8Array, opts: SessionOptions = {}): Promise<InferenceSession> {
    const where = typeof source === 'string' ? source : '<bytes>';
    let bytes: Uint8Array;
    if (typeof source === 'string') {
      try {
        bytes = await readFile(source);
      } catch (e) {
        throw new OnnxFormatError(where, `cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
    } else bytes = source;
    if (bytes.byteLength === 0) throw new OnnxFormatError(where, 'it is empty');
    let model: ModelProto;
    try {
      model = fromBinary(ModelProtoSchema, bytes);
      if (!model.graph || model.opsetImport.length === 0 || model.graph.output.length === 0) throw new Error('it has no graph, opset or outputs');
    } catch (e) {
      throw new OnnxFormatError(where, `the protobuf does not decode as an ONNX ModelProto (${(e as Error).message})`);
    }
    // An op onnxruntime cannot run is named (op, domain, node, layer); anything else is wrapped as is.
    const wrap = (e: unknown) => unsupportedOpError(where, e, model) ?? new OnnxFormatError(where, `onnxruntime could not load it: ${(e as Error).message}`);
    const s = await openSession(bytes, { device: opts.device ?? 'auto', threads: opts.threads ?? 0, spinWait: opts.spinWait, graphOptimization: opts.graphOptimization ?? 'all', where, wrap });
    return new InferenceSession(s.session, s.device, s.fallbackReason);
  }

  private feeds(input: Feeds): Record<string, ort.Tensor> {
    const byName: Record<string, FeedValue> = isSingle(input) ? (this.inputs.length === 1 ? { [this.inputs[0]!.name]: input } : {}) : (input as Record<string, FeedValue>);
    if (isSingle(input) && this.inputs.length !== 1) {
      throw new SessionInputError('(unnamed)', `one unnamed value was given but the model has ${this.inputs.length} inputs; pass them by name`, describeAll(this.inputs));
    }
    for (const k of Object.keys(byName)) {
      if (!this.inputs.some((s) => s.name === k)) throw new SessionInputError(k, 'the model has no input of that name', describeAll(this.inputs));
    }
    const out: Record<string, ort.Tensor> = {};
    for (const s of this.inputs) {
      const v = byName[s.name];
      if (v === undefined) throw new SessionInputError(s.name, 'is missing', describeAll(this.inputs));
      const { data, dims } = prepareFeed(s, v, this.inputs);
      out[s.name] = new ort.Tensor(s.dtype as 'float32', data as Float32Array, dims);
    }
    return out;
  }

  /**
   * Run the model once.
   *
   * @param input - Values by input name (nn Tensors, typed arrays or `{ data, dims }`), or one value for a single-input model.
   * @returns Each output by name: `{ dtype, dims, data }` (a Float32Array for float32 …).
   * @throws SessionInputError for an unknown or missing name, or a wrong dtype or shape, listing the expected inputs.
   */
  async run(input: Feeds): Promise<Record<string, SessionOutput>> {
    const res = await this.ort.run(this.feeds(input));
    const out: Record<string, SessionOutput> = {};
    for (const name of this.ort.outputNames) {
      const t = res[name]!;
      out[name] = { name, dtype: t.type, dims: [...t.dims], data: t.data as HostArray };
    }
    return out;
  }

  /**
   * Run a large batch in chunks of `batchSize` rows (the first axis of every input) and concatenate
   * the outputs along their first axis.
   *
   * @param input - As for {@link run}; every input must have the same number of rows.
   * @param batchSize - Rows per run. @default 1024
   */
  async runBatched(input: Feeds, batchSize = 1024): Promise<Record<string, SessionOutput>> {
    if (!Number.isInteger(batchSize) || batchSize <= 0) throw new SessionInputError('(batchSize)', `batchSize must be a positive integer, got ${batchSize}`, describeAll(this.inputs));
    const full = this.feeds(input);
    const rows = new Set(Object.values(full).map((t) => t.dims[0]));
    if (rows.size !== 1) throw new SessionInputError('(all)', `inputs have different numbers of rows: ${[...rows].join(', ')}`, describeAll(this.inputs));
    const n = [...rows][0]!;
    const parts: Record<string, SessionOutput[]> = {};
    for (let start = 0; start < n; start += batchSize) {
      const end = Math.min(n, start + batchSize);
      const chunk: Record<string, ort.Tensor> = {};
      for (const [k, t] of Object.entries(full)) {
        const row = t.size / n;
        const d = t.data as HostArray;
        chunk[k] = new ort.Tensor(t.type as 'float32', d.subarray(start * row, end * row) as Float32Array, [end - start, ...t.dims.slice(1)]);
      }
      const res = await this.ort.run(chunk);
      for (const name of this.ort.outputNames) {
        const t = res[name]!;
        (parts[name] ??= []).push({ name, dtype: t.type, dims: [...t.dims], data: t.data as HostArray });
      }
    }
    const out: Record<string, SessionOutput> = {};
    for (const [name, ps] of Object.entries(parts)) {
      const total = ps.reduce((p, q) => p + q.data.length, 0);
      const data = new (ps[0]!.data.constructor as new (n: number) => HostArray)(total);
      let off = 0;
      for (const p of ps) {
        (data as Float32Array).set(p.data as Float32Array, off);
        off += p.data.length;
      }
      out[name] = { name, dtype: ps[0]!.dtype, dims: [ps.reduce((p, q) => p + (q.dims[0] ?? 0), 0), ...ps[0]!.dims.slice(1)], data };
    }
    return out;
  }

  /** Free the native session. */
  async release(): Promise<void> {
    await this.ort.release();
  }
}
