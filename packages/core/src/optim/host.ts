import type { Shape } from '../dtype';
import { engine, getBackend } from '../engine';
import type { Tensor } from '../tensor';
import { fromHandle, upload } from '../tensor';

/**
 * Host values for a float32 tensor: a Float64Array on the float64 reference backend (which keeps
 * them exactly), a Float32Array elsewhere (tfjs, the tracer/ONNX path expect float32 data).
 */
function floats(values: ArrayLike<number>): Float32Array | Float64Array {
  return getBackend().name === 'reference' ? Float64Array.from(values) : Float32Array.from(values);
}

/** The parameter whose update is running (set by the optimizer), and how many scalars it uploaded. */
let owner: { p: Tensor; seq: number } | null = null;

/**
 * @internal Run `f` as the update of parameter `p`: the host scalars it uploads are `p`'s, numbered
 * in upload order (nested calls for the same parameter continue the numbering).
 */
export function withScalarOwner<T>(p: Tensor, f: () => T): T {
  if (owner?.p === p) return f();
  const prev = owner;
  owner = { p, seq: 0 };
  try {
    return f();
  } finally {
    owner = prev;
  }
}

/**
 * A float scalar computed on the host, uploaded at full host precision where the backend keeps it
 * (`ops.mul(x, 0.9)` goes through a Float32Array first; this lets the reference backend keep every
 * hyperparameter exact, so float64 checks against PyTorch can be tight).
 *
 * Inside an optimizer's update of a parameter, while a step is traced, it is a per-step host value
 * of that parameter ({@link ScalarHost}) instead of a constant: a compiled step takes it as an input,
 * fed from `optimizer.hostStep()` at every step (learning rates and bias corrections change).
 */
export function hostScalar(v: number): Tensor {
  const tr = engine.tracing?.hook;
  if (tr && owner) return fromHandle(tr.host({ role: 'scalar', owner: owner.p, seq: owner.seq++ }, [], 'float32', [v]), [], 'float32');
  return upload(floats([v]), [], 'float32');
}

/** A float32 tensor from host numbers, at full precision where the backend keeps it. */
export function hostTensor(values: ArrayLike<number>, shape: Shape): Tensor {
  return upload(floats(values), shape, 'float32');
}

/**
 * Uploads host numbers with {@link hostScalar}, one per call, in order: an update written with it
 * uploads exactly the list its optimizer's `updateScalars` returns (see `BaseOptimizer.hostStep`).
 */
export function uploader(k: readonly number[]): () => Tensor {
  let i = 0;
  return () => hostScalar(k[i++]!);
}
