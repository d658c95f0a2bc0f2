import type { Shape } from '../dtype';
import { getBackend } from '../engine';
import type { Tensor } from '../tensor';
import { upload } from '../tensor';

/**
 * Host values for a float32 tensor: a Float64Array on the float64 reference backend (which keeps
 * them exactly), a Float32Array elsewhere (tfjs, the tracer/ONNX path expect float32 data).
 */
function floats(values: ArrayLike<number>): Float32Array | Float64Array {
  return getBackend().name === 'reference' ? Float64Array.from(values) : Float32Array.from(values);
}

/**
 * A float scalar uploaded at full host precision where the backend keeps it. `ops.mul(x, 0.9)`
 * goes through a Float32Array first; this lets the reference backend keep every hyperparameter
 * exact, so float64 checks against PyTorch can be tight.
 */
export function hostScalar(v: number): Tensor {
  return upload(floats([v]), [], 'float32');
}

/** A float32 tensor from host numbers, at full precision where the backend keeps it. */
export function hostTensor(values: ArrayLike<number>, shape: Shape): Tensor {
  return upload(floats(values), shape, 'float32');
}

/**
 * Uploads host numbers with {@link hostScalar}, one per call, in order: an update written with it
 * uploads exactly the list that its optimizer's `peekUpdate` returns (see `BaseOptimizer.peekConstants`).
 */
export function uploader(k: readonly number[]): () => Tensor {
  let i = 0;
  return () => hostScalar(k[i++]!);
}
