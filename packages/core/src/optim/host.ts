import type { Shape } from '../dtype';
import type { Tensor } from '../tensor';
import { upload } from '../tensor';

/**
 * A float scalar uploaded at full host precision. `ops.mul(x, 0.9)` would go through a Float32Array
 * first; uploading a Float64Array instead lets the float64 reference backend keep every
 * hyperparameter exact (other backends store float32 either way).
 */
export function hostScalar(v: number): Tensor {
  return upload(Float64Array.of(v), [], 'float32');
}

/** A float32 tensor from host numbers, at full precision where the backend keeps it. */
export function hostTensor(values: ArrayLike<number>, shape: Shape): Tensor {
  return upload(Float64Array.from(values), shape, 'float32');
}
