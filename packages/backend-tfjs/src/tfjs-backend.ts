import * as tf from '@tensorflow/tfjs-core';
import {
  BACKEND_SPEC_VERSION,
  type Backend,
  type BinaryOp,
  type DType,
  type Handle,
  type TensorRef,
  type TypedArray,
  type UnaryOp,
} from '@nn/core';
import * as c from './composites';
import {
  checkEngineChoice,
  planEngines,
  resolvePackage,
  specOf,
  type EngineCandidate,
  type EngineChoice,
  type EngineInfo,
  type EngineName,
  type Resolver,
} from './engines';
import { TfjsEngineError } from './errors';
import { loadEngine } from './load-engine';

/** Options of {@link tfjs}. */
export interface TfjsOptions {
  /**
   * Which TensorFlow.js engine runs the kernels: `auto` picks the best installed of `node-gpu`
   * (`@tensorflow/tfjs-node-gpu`), `node` (`@tensorflow/tfjs-node`), `wasm`
   * (`@tensorflow/tfjs-backend-wasm`) and `cpu` (`@tensorflow/tfjs-backend-cpu`, pure JS).
   * @default 'auto'
   */
  engine?: EngineChoice;
  /** @internal Package resolver, injected by tests. */
  resolve?: Resolver;
  /** @internal Engine loader, injected by tests. */
  load?: (engine: EngineName, resolve: Resolver) => Promise<void>;
}

/** A {@link Backend} on TensorFlow.js, with the engine it picked. */
export interface TfjsBackend extends Backend {
  /** `tfjs-<engine>` once initialised (e.g. `tfjs-wasm`); `tfjs` before. */
  readonly name: string;
  /** Which engine runs the kernels and why; `null` until `useBackend` (or `init`) has run. */
  readonly engineInfo: EngineInfo | null;
  init(): Promise<void>;
}

/** Output rows up to which a transposed right operand is left to matMul's flag (see `matmul`). */
const SMALL_ROWS = 4;

/** What an engine gets wrong or lacks, deciding which composites it uses. */
interface Quirks {
  /** matMul with transpose flags is slow: transpose explicitly. */
  explicitTranspose: boolean;
  /** MaxPoolGrad is wrong (all-negative windows). */
  badMaxPoolGrad: boolean;
  /** OneHot into float32 is wrong. */
  badOneHotFloat: boolean;
  /** maximum/minimum drop the second operand's NaN. */
  nanUnsafeMinMax: boolean;
  /** AvgPool gives −∞ (not NaN) for a window holding a NaN. */
  nanUnsafeAvgPool: boolean;
  /** Tile (behind broadcastTo and tf.where) is slow: broadcast by a multiply by ones. */
  slowTile: boolean;
  /** Use our where and broadcastTo (Fill for one element, no Tile in where) instead of tfjs's. */
  fastBroadcast: boolean;
  /**
   * Use the engine's Conv2DBackpropFilter (only native TensorFlow): wasm lacks it, and tfjs-cpu's
   * takes 20 s where the composite (one forward conv) takes 0.4 s on a 32×28×28×16 → 3×3×16×32 layer.
   */
  nativeConv2DBackpropFilter: boolean;
  hasUnsortedSegmentSum: boolean;
  /** The engine hands out its own storage from dataSync (and keeps uploaded arrays): copy. */
  aliasesHostArrays: boolean;
}

function quirksOf(engine: EngineName, tfBackend: string): Quirks {
  const wasm = engine === 'wasm';
  return {
    explicitTranspose: wasm,
    badMaxPoolGrad: wasm,
    badOneHotFloat: wasm,
    nanUnsafeMinMax: wasm,
    nanUnsafeAvgPool: wasm,
    slowTile: wasm,
    fastBroadcast: wasm || engine === 'cpu',
    nativeConv2DBackpropFilter: engine.startsWith('node') && tf.getKernel('Conv2DBackpropFilter', tfBackend) !== undefined,
    hasUnsortedSegmentSum: tf.getKernel('UnsortedSegmentSum', tfBackend) !== undefined,
    aliasesHostArrays: engine === 'cpu',
  };
}

const T = (x: TensorRef): tf.Tensor => x.handle as tf.Tensor;
const asDType = (t: tf.Tensor, dtype: DType): tf.Tensor => (t.dtype === dtype ? t : tf.tidy(() => tf.cast(t, dtype)));

const UNARY: Record<UnaryOp, (x: tf.Tensor) => tf.Tensor> = {
  neg: tf.neg, abs: tf.abs, sign: tf.sign, exp: tf.exp, expm1: tf.expm1, log: tf.log, log1p: tf.log1p,
  sqrt: tf.sqrt, rsqrt: tf.rsqrt, square: tf.square, reciprocal: tf.reciprocal, sin: tf.sin, cos: tf.cos,
  tanh: tf.tanh, sigmoid: tf.sigmoid, relu: tf.relu, softplus: tf.softplus, erf: tf.erf,
  floor: tf.floor, ceil: tf.ceil, round: tf.round, logicalNot: tf.logicalNot,
};
/** Unary ops tfjs accepts on int32 (the others get a float32 round trip; floor/ceil/round are the identity). */
const INT_UNARY = new Set<UnaryOp>(['neg', 'abs', 'sign', 'square', 'relu']);
const INT_IDENTITY = new Set<UnaryOp>(['floor', 'ceil', 'round']);

const BINARY: Record<BinaryOp, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor> = {
  add: tf.add, sub: tf.sub, mul: tf.mul, div: tf.div, pow: tf.pow, maximum: tf.maximum, minimum: tf.minimum,
  mod: tf.mod, equal: tf.equal, notEqual: tf.notEqual, less: tf.less, lessEqual: tf.lessEqual,
  greater: tf.greater, greaterEqual: tf.greaterEqual, logicalAnd: tf.logicalAnd, logicalOr: tf.logicalOr,
};
const ARITH = new Set<BinaryOp>(['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'mod']);

/**
 * An nn {@link Backend} whose kernels run on TensorFlow.js. The engine is chosen when
 * `useBackend` initialises it: `auto` takes the best installed of tfjs-node-gpu, tfjs-node, wasm and
 * the pure-JS cpu backend, and `engineInfo` says which and why. Where an engine lacks a kernel or
 * computes one wrongly, a composite of its own correct kernels is used (see the README).
 *
 * @param opts - Engine choice; see {@link TfjsOptions}.
 * @returns A backend to pass to `useBackend`.
 * @throws {@link TfjsEngineError} from `init` when a named engine is not installed or fails to load.
 * @example
 * ```ts
 * import { useBackend, randn } from '@nn/core';
 * import { tfjs } from '@nn/backend-tfjs';
 * const backend = await useBackend(tfjs());        // or tfjs({ engine: 'wasm' })
 * console.log(backend.name);                       // 'tfjs-wasm' here
 * randn([2, 3]).relu().sum().item();
 * ```
 */
export function tfjs(opts: TfjsOptions = {}): TfjsBackend {
  const resolve = opts.resolve ?? resolvePackage;
  const load = opts.load ?? loadEngine;
  const requested = checkEngineChoice(opts.engine ?? 'auto', resolve);
  let info: EngineInfo | null = null;
  let q: Quirks = quirksOf('cpu', 'cpu');
  let tfBackend = '';

  async function init(): Promise<void> {
    if (info) {
      await tf.setBackend(info.tfBackend);
      return;
    }
    const plan = planEngines(requested, resolve);
    const tried: EngineCandidate[] = [];
    for (const cand of plan) {
      if (!cand.installed) {
        tried.push(cand);
        continue;
      }
      try {
        await load(cand.engine, resolve);
      } catch (e) {
        const error = e instanceof Error ? e.message : String(e);
        tried.push({ ...cand, error });
        if (requested !== 'auto') {
          const spec = specOf(cand.engine);
          throw new TfjsEngineError(cand.engine, `failed to load (${error})`, spec.packageName, [], spec.install);
        }
        continue;
      }
      tried.push(cand);
      const spec = specOf(cand.engine);
      const skipped = tried.slice(0, -1).map((t) => `${t.packageName} ${t.error ? `failed to load: ${t.error}` : 'not installed'}`);
      info = {
        requested,
        engine: cand.engine,
        packageName: spec.packageName,
        tfBackend: spec.tfBackend,
        reason: requested === 'auto' ? `auto: ${[...skipped, `picked ${spec.packageName}`].join('; ')}` : `named: ${spec.packageName}`,
        candidates: [...tried, ...plan.slice(tried.length)],
      };
      tfBackend = spec.tfBackend;
      q = quirksOf(cand.engine, tfBackend);
      return;
    }
    throw new TfjsEngineError(
      'auto',
      `found no usable engine (${tried.map((t) => `${t.packageName}: ${t.error ?? 'not installed'}`).join('; ')})`,
      '@tensorflow/tfjs-backend-wasm',
      [],
      'Install @tensorflow/tfjs-backend-wasm or @tensorflow/tfjs-backend-cpu (dependencies of @nn/backend-tfjs).',
    );
  }

  const matmul = (a: tf.Tensor, b: tf.Tensor, ta: boolean, tb: boolean): tf.Tensor => {
    if (!q.explicitTranspose || (!ta && !tb)) return tf.matMul(a, b, ta, tb);
    // With few output rows (batch-1 inference through an (out, in) nn.Linear weight) transposing the whole
    // of b costs more than the product: wasm's flagged matMul is 3–5× faster there (measured up to 4 rows;
    // the two cross near 8–16 rows), so b keeps its flag.
    const rows = a.shape[ta ? a.rank - 1 : a.rank - 2]!;
    const flagB = tb && rows <= SMALL_ROWS;
    return tf.tidy(() => tf.matMul(ta ? c.swapLastTwo(a) : a, tb && !flagB ? c.swapLastTwo(b) : b, false, flagB));
  };

  const kernels: Omit<TfjsBackend, 'name' | 'engineInfo' | 'specVersion' | 'init'> = {
    upload(values, shape, dtype) {
      let v: TypedArray = values;
      if (dtype === 'bool' && !(values instanceof Uint8Array && values.every((x) => x <= 1))) v = Uint8Array.from(values, (x) => (x ? 1 : 0));
      else if (q.aliasesHostArrays && v === values) v = values.slice();
      return tf.tensor(v as tf.TypedArray, [...shape], dtype);
    },
    readSync(x) {
      const d = T(x).dataSync() as TypedArray;
      return q.aliasesHostArrays ? d.slice() : d;
    },
    async read(x) {
      const d = (await T(x).data()) as TypedArray;
      return q.aliasesHostArrays ? d.slice() : d;
    },
    dispose(h: Handle) {
      (h as tf.Tensor).dispose();
    },
    numHandles: () => tf.memory().numTensors,

    unary(op, x) {
      const t = T(x);
      if (t.dtype === 'int32' && INT_IDENTITY.has(op)) return tf.clone(t);
      if (t.dtype === 'int32' && !INT_UNARY.has(op)) return tf.tidy(() => tf.cast(UNARY[op](tf.cast(t, 'float32')), 'int32'));
      const arg = op === 'logicalNot' ? asDType(t, 'bool') : t;
      const y = UNARY[op](arg);
      if (arg !== t) arg.dispose();
      return y;
    },
    binary(op, a, b) {
      let A = T(a), B = T(b);
      return tf.tidy(() => {
        if (ARITH.has(op) && A.dtype === 'bool') (A = tf.cast(A, 'int32')), (B = asDType(B, 'int32'));
        if (op === 'logicalAnd' || op === 'logicalOr') (A = asDType(A, 'bool')), (B = asDType(B, 'bool'));
        if (op === 'div' && A.dtype === 'int32') return tf.floorDiv(A, B);
        if (q.nanUnsafeMinMax && (op === 'maximum' || op === 'minimum')) return c.nanPropagating(BINARY[op], A, B);
        return BINARY[op](A, B);
      });
    },
    where(cond, a, b, outShape) {
      if (q.fastBroadcast) return c.whereFast(T(cond), T(a), T(b), outShape, q.slowTile);
      return tf.tidy(() => {
        const A = T(a);
        return tf.where(asDType(T(cond), 'bool'), A, asDType(T(b), A.dtype as DType));
      });
    },
    cast(x, dtype) {
      return tf.cast(T(x), dtype);
    },
    fill(shape, value, dtype) {
      return tf.fill([...shape], value, dtype);
    },

    matmul(a, b, ta, tb) {
      return matmul(T(a), T(b), ta, tb);
    },

    reduce(op, x, axes, keepDims) {
      return tf.tidy(() => {
        const t = T(x);
        const dtype: DType = t.dtype === 'bool' ? 'int32' : (t.dtype as DType);
        const src = asDType(t, dtype);
        if (axes.length === 0) return src === t ? tf.clone(t) : src;
        const ax = [...axes];
        const y =
          op === 'sum' ? tf.sum(src, ax, keepDims)
          : op === 'mean' ? tf.mean(src, ax, keepDims)
          : op === 'max' ? tf.max(src, ax, keepDims)
          : op === 'min' ? tf.min(src, ax, keepDims)
          : tf.prod(src, ax, keepDims);
        return asDType(y, dtype);
      });
    },
    argReduce(op, x, axis) {
      return c.argExtremeNaN(op, T(x), axis); // the first NaN wins (PyTorch); tfjs's ArgMax skips NaN
    },

    reshape: (x, shape) => tf.reshape(T(x), [...shape]),
    transpose: (x, perm) => tf.transpose(T(x), [...perm]),
    broadcastTo(x, shape) {
      const t = T(x);
      const y = q.fastBroadcast ? tf.tidy(() => c.broadcastFast(t, shape, q.slowTile)) : tf.broadcastTo(t, [...shape]);
      return y === t ? tf.clone(t) : y;
    },
    concat: (xs, axis) => (xs.length === 1 ? tf.clone(T(xs[0]!)) : tf.concat(xs.map(T), axis)),
    slice: (x, begin, size) => tf.slice(T(x), [...begin], [...size]),
    pad: (x, pads, value) => tf.pad(T(x), pads.map((p) => [p[0], p[1]] as [number, number]), value),
    gather: (x, indices, axis) => tf.gather(T(x), T(indices), axis),
    scatterAdd(updates, indices, axis, outShape) {
      if (q.hasUnsortedSegmentSum && axis === 0) {
        return tf.tidy(() => tf.unsortedSegmentSum(T(updates), tf.reshape(T(indices), [-1]) as tf.Tensor1D, outShape[0]!));
      }
      return c.scatterAdd(T(updates), T(indices), axis, outShape);
    },
    oneHot(indices, depth) {
      const i = T(indices);
      return q.badOneHotFloat ? c.oneHotFloat(i, depth) : tf.oneHot(i as tf.Tensor1D, depth, 1, 0, 'float32');
    },

    conv2d: (x, f, g) => c.conv2dKernel(T(x), T(f), g.strides, g.dilations),
    conv2dBackpropInput: (dy, f, g, inputShape) => c.conv2dBackpropInput(T(dy) as tf.Tensor4D, T(f) as tf.Tensor4D, g.strides, g.dilations, inputShape),
    conv2dBackpropFilter(x, dy, g, filterShape) {
      const native = q.nativeConv2DBackpropFilter && g.dilations[0] === 1 && g.dilations[1] === 1;
      if (!native) return c.conv2dBackpropFilter(T(x) as tf.Tensor4D, T(dy) as tf.Tensor4D, g.strides, g.dilations, filterShape);
      return tf.engine().runKernel('Conv2DBackpropFilter', { x: T(x), dy: T(dy) }, {
        strides: [...g.strides], pad: 'valid', dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape: [...filterShape],
      } as unknown as tf.NamedAttrMap) as tf.Tensor;
    },
    maxPool: (x, g) => tf.tidy(() => {
      const t = T(x) as tf.Tensor4D;
      return c.nanPooled(tf.maxPool(t, [...g.kernel], [...g.strides], 'valid'), t, g.kernel, g.strides);
    }),
    maxPoolGrad(dy, x, g) {
      if (q.badMaxPoolGrad) return c.maxPoolGrad(T(dy) as tf.Tensor4D, T(x) as tf.Tensor4D, g.kernel, g.strides);
      return tf.tidy(() => {
        const input = T(x) as tf.Tensor4D;
        const output = tf.maxPool(input, [...g.kernel], [...g.strides], 'valid');
        return tf.engine().runKernel('MaxPoolGrad', { dy: T(dy), input, output }, {
          filterSize: [...g.kernel], strides: [...g.strides], pad: 'valid', dimRoundingMode: undefined,
        } as unknown as tf.NamedAttrMap) as tf.Tensor;
      });
    },
    avgPool: (x, g) => tf.tidy(() => {
      const t = T(x) as tf.Tensor4D;
      const y = tf.avgPool(t, [...g.kernel], [...g.strides], 'valid');
      return q.nanUnsafeAvgPool ? c.nanPooled(y, t, g.kernel, g.strides) : y;
    }),
    avgPoolGrad(dy, g, inputShape) {
      const d = T(dy);
      // AvgPoolGrad reads only the shape and dtype of `input`: pass dy's storage under the input's shape
      // instead of allocating a tensor of the input's size.
      const input = { dataId: d.dataId, shape: [...inputShape], dtype: 'float32' } as unknown as tf.Tensor;
      return tf.engine().runKernel('AvgPoolGrad', { dy: d, input }, {
        filterSize: [...g.kernel], strides: [...g.strides], pad: 'valid',
      } as unknown as tf.NamedAttrMap) as tf.Tensor;
    },
  };

  // tfjs has one active backend per process: switch back to ours if another engine took over.
  const guarded = Object.fromEntries(
    Object.entries(kernels).map(([k, f]) => [
      k,
      (...args: unknown[]) => {
        if (tfBackend && tf.getBackend() !== tfBackend) void tf.setBackend(tfBackend);
        return (f as (...a: unknown[]) => unknown)(...args);
      },
    ]),
  ) as typeof kernels;

  return {
    specVersion: BACKEND_SPEC_VERSION,
    get name() {
      return info ? `tfjs-${info.engine}` : 'tfjs';
    },
    get engineInfo() {
      return info;
    },
    init,
    ...guarded,
  };
}
