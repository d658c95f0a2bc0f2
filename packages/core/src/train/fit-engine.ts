// The plug-in interface of `fit({ engine })`: another way to run fit's training steps (e.g. @nn/onnx's
// `ortEngine()`, compiled ONNX graphs in onnxruntime). Core defines the interface; it does not depend
// on an engine package: `engine: 'ort'` loads @nn/onnx when fit runs.
import { NNError, ValueError } from '../errors';
import type { Optimizer } from '../optim';
import type { Tensor } from '../tensor';
import type { Trainable } from './fit';

/** Shapes of one sample and of its target, taken from fit's first batch. */
export interface FitEngineSample {
  /** Shape of one input sample, e.g. `[784]`. */
  readonly x: readonly number[];
  /** Shape of one target: `[]` for class indices. */
  readonly y: readonly number[];
  /** The targets' dtype. */
  readonly yDtype: 'int32' | 'float32';
}

/** What `fit` hands an engine from `model.compile()`. */
export interface FitEngineCompiled {
  /** The compiled optimizer (bound to the model's weights). */
  readonly optimizer: Optimizer;
  /**
   * The training loss `(yTrue, yPred) => scalar`, already multiplied by its loss weight. Exactly one:
   * fit uses an engine for single-output models only. The engine adds the Keras layers'
   * regularization penalties, as fit does.
   */
  readonly losses: ReadonlyArray<(yTrue: Tensor, yPred: Tensor) => Tensor>;
}

/**
 * An engine's state for one `fit` call. Between sync points the newest weights, buffers and
 * optimizer state may live in the engine, not in the model's tensors: `fit` calls {@link sync} before
 * validation, epoch-end callbacks, batch callbacks and on interrupt, and {@link invalidate} after
 * callbacks (they may have changed the weights).
 */
export interface FitEngineSession {
  /** One training step (forward, loss, backward, optimizer update) on one batch; resolves to its loss. */
  step(x: Tensor, y: Tensor): Promise<number>;
  /**
   * `k` training steps on `k` batches of equal size, stacked along axis 0 (`[k · batch, …]`) and
   * given as their row-major values (Float32Array for float32 tensors, Int32Array for int32), in
   * order; resolves to the k losses. Called only when the engine's `stepsPerCall` is above 1.
   */
  steps?(x: Float32Array | Int32Array, y: Float32Array | Int32Array, k: number): Promise<ArrayLike<number>>;
  /** The model's outputs of the last call, `[k · batch, …]`, for fit's metrics (none: metrics are not updated). */
  readonly lastPred?: { readonly data: Float32Array; readonly dims: readonly number[] } | undefined;
  /** Write the engine's newest weights, buffers and optimizer state into the model's tensors. */
  sync(): void;
  /** The model's tensors were changed outside the engine: read them again before the next step. */
  invalidate(): void;
  /** {@link sync}, then free the engine's resources. */
  dispose(): Promise<void>;
}

/**
 * A training engine for `fit(x, y, { engine })`: fit keeps the epochs, batching, shuffling,
 * callbacks, metrics, validation and History; the engine runs the training steps.
 *
 * fit trains eagerly instead (and says why, once) when it cannot hand the steps over: several model
 * inputs or outputs, several losses, `classWeight`. An engine may itself run steps eagerly.
 *
 * @example
 * ```ts
 * import { ortEngine } from '@nn/onnx';
 * model.compile({ optimizer: optimizers.Adam(), loss: 'sparseCategoricalCrossentropy' });
 * await model.fit(xTrain, yTrain, { epochs: 5, batchSize: 64, engine: ortEngine() });
 * ```
 */
export interface FitEngine {
  /** Short name for messages, e.g. `'ort'`. */
  readonly name: string;
  /**
   * Batches per engine call (`FitEngineSession.steps`) when no callback has batch hooks: a number,
   * or a function of fit's `batchSize`.
   * @default 1
   */
  readonly stepsPerCall?: number | ((batchSize: number) => number);
  /** Prepare the engine for a model; called once per `fit`, on the first batch. */
  compile(model: Trainable, compiled: FitEngineCompiled, sample: FitEngineSample): Promise<FitEngineSession>;
}

/** Engines `fit` knows by name (`engine: 'ort'`), each with the package that provides it. */
export type FitEngineName = 'ort';

/**
 * The engine named by `fit({ engine: 'ort' })`: `ortEngine()` of @nn/onnx with its defaults, loaded
 * when fit runs (core does not depend on @nn/onnx; it must be installed).
 */
export async function namedFitEngine(name: string): Promise<FitEngine> {
  if (name !== 'ort') throw new ValueError(`fit: unknown engine "${name}"; expected 'ort' or an engine object such as ortEngine({ threads: 2 }) from @nn/onnx.`, 'fit');
  const pkg = '@nn/onnx';
  let mod: { ortEngine?: () => FitEngine };
  try {
    mod = (await import(pkg)) as typeof mod;
  } catch (e) {
    throw new NNError(`fit: engine 'ort' needs the @nn/onnx package, which could not be loaded (${(e as Error).message.split('\n')[0]}).`, 'fit', 'npm install @nn/onnx, or pass an engine object.');
  }
  if (typeof mod.ortEngine !== 'function') throw new NNError("fit: engine 'ort': the loaded @nn/onnx has no ortEngine().", 'fit', 'Update @nn/onnx.');
  return mod.ortEngine();
}
