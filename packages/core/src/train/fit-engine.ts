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
  /**
   * Optional: the model's output for one batch in inference mode (dropout off, moving statistics),
   * computed by the engine from its newest weights, nothing written into the model. fit's validation
   * uses it when present (single input and output, no activity regularizer); undefined: fit runs
   * that batch eagerly.
   */
  infer?(x: Tensor): Promise<{ readonly data: Float32Array; readonly dims: readonly number[] } | undefined>;
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

/**
 * What `fit({ engine })` takes by name: `'auto'` (the default), `'eager'`, or a registered engine
 * (`'ort'`, registered by @nn/onnx when it is imported).
 */
export type FitEngineName = 'auto' | 'eager' | 'ort' | (string & {});

/** Makes the engine of a name, with `fit`'s `engineOptions` (its defaults without them; see {@link registerFitEngine}). */
export type FitEngineFactory = (options?: Readonly<Record<string, unknown>>) => FitEngine;

const registry = new Map<string, FitEngineFactory>();

/** Packages that register a known engine name when imported: `fit` loads them on first use. */
const PROVIDERS: Readonly<Record<string, string>> = { ort: '@nn/onnx' };

/**
 * Register a training engine under a name, so that `fit(x, y, { engine: name })` finds it. Engine
 * packages call this when they are imported (@nn/onnx registers `'ort'`); a later registration of
 * the same name replaces the earlier one.
 *
 * @param name - The name `fit` takes, e.g. `'ort'`.
 * @param factory - Makes the engine with its default options.
 * @example
 * ```ts
 * registerFitEngine('mine', () => ({ name: 'mine', compile: async (model, compiled, sample) => mySession(model, compiled, sample) }));
 * await model.fit(x, y, { engine: 'mine' });
 * ```
 */
export function registerFitEngine(name: string, factory: FitEngineFactory): void {
  if (!name || name === 'auto' || name === 'eager') throw new ValueError(`registerFitEngine: "${name}" is reserved or empty; pick another name.`, 'registerFitEngine');
  registry.set(name, factory);
}

/** The names of the registered engines (after their packages were imported or loaded by `fit`). */
export function registeredFitEngines(): string[] {
  return [...registry.keys()];
}

// Set per output format by the build (tsup `define`): the CommonJS build loads engine packages with
// `require`, so that it gets their CommonJS build — and with it this same copy of @nn/core. Sources
// (tests) and the ESM build use `import()`.
declare const __NN_CJS__: boolean | undefined;
declare const require: ((id: string) => unknown) | undefined;

async function loadPackage(pkg: string): Promise<void> {
  if (typeof __NN_CJS__ !== 'undefined' && __NN_CJS__ && typeof require === 'function') require(pkg);
  else await import(pkg);
}

/**
 * The engine of a name: registered, or registered by loading the package that provides it
 * (`'ort'`: @nn/onnx, loaded with the module system this copy of core was loaded with).
 */
export async function namedFitEngine(name: string, options?: Readonly<Record<string, unknown>>): Promise<FitEngine> {
  let factory = registry.get(name);
  const pkg = PROVIDERS[name];
  if (!factory && pkg) {
    try {
      await loadPackage(pkg);
    } catch (e) {
      throw new NNError(`fit: engine '${name}' needs the ${pkg} package, which could not be loaded (${(e as Error).message.split('\n')[0]}).`, 'fit', `npm install ${pkg}, or pass an engine object.`);
    }
    factory = registry.get(name);
    if (!factory) throw new NNError(`fit: engine '${name}': ${pkg} was loaded but registered no engine '${name}'.`, 'fit', `Update ${pkg} to the version of @nn/core.`);
  }
  if (!factory) {
    const known = [...new Set(['auto', 'eager', ...Object.keys(PROVIDERS), ...registry.keys()])].map((n) => `'${n}'`).join(', ');
    throw new ValueError(`fit: unknown engine "${name}"; expected one of ${known}, or an engine object such as ortEngine({ threads: 2 }) from @nn/onnx.`, 'fit');
  }
  return factory(options);
}

/** What `engine: 'auto'` chose, and why (fit prints it once when verbose). */
export interface AutoChoice {
  readonly engine: FitEngine | undefined;
  readonly reason: string;
}

/**
 * `engine: 'auto'`: the compiled `ort` engine when the active backend computes in float32 (a tfjs
 * engine) and @nn/onnx with onnxruntime-node loads; else eager training on the active backend. On
 * the float64 reference backend fit stays eager: compiled steps are float32, and the reference
 * backend is where results are checked to float64 precision.
 */
export async function autoFitEngine(backendName: string, options?: Readonly<Record<string, unknown>>): Promise<AutoChoice> {
  if (backendName === 'reference') return { engine: undefined, reason: 'the float64 reference backend trains eagerly (compiled steps are float32)' };
  try {
    const e = await namedFitEngine('ort', options);
    return { engine: e, reason: 'compiled steps in onnxruntime (@nn/onnx)' };
  } catch (e) {
    return { engine: undefined, reason: `the ort engine is unavailable: ${(e as Error).message.replace(/^fit: /, '')}` };
  }
}
