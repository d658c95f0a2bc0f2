import { getLoss, type Optimizer, type Tensor } from '@nn/core';
import type { LoweringTarget } from '../export/lower-webgpu';
import type { Device } from '../runtime/open-session';
import type { StepLoss } from './step-trace';

/** A batch: an nn Tensor, or a typed array / number array of `batch × sample size` values. */
export type BatchData = Tensor | Float32Array | Float64Array | Int32Array | readonly number[];

/** Options of {@link compileTrainStep}. */
export interface CompileTrainStepOptions {
  /** The optimizer (either door). @default the one given to `model.compile` */
  optimizer?: Optimizer;
  /** `(yTrue, yPred) => scalar`, a loss name of `compile` ('sparseCategoricalCrossentropy', 'mse' …) or a Keras loss object. @default the compiled loss */
  loss?: LossArg;
  /** Shape of ONE sample, e.g. `[784]`. */
  inputShape: readonly number[];
  /** Shape of one sample's target. @default [] (a class index) */
  targetShape?: readonly number[];
  /** Target dtype. @default 'int32' when `targetShape` is [], else 'float32' */
  targetDtype?: 'int32' | 'float32';
  /** Compile for this batch size now (other sizes compile on first use). */
  batchSize?: number;
  /**
   * Where onnxruntime runs: `'auto'` (CUDA when its provider is installed, else CPU), `'cpu'`,
   * `'cuda'` or `'webgpu'` (onnxruntime-node's bundled WebGPU provider; opt-in, never chosen by
   * 'auto'). 'cuda' / 'webgpu' throw a `DeviceError` when they cannot start. @default 'auto'
   */
  device?: Device;
  /** onnxruntime intra-op threads (0: onnxruntime's choice). @default 0 */
  threads?: number;
  /** ONNX opset of the compiled graph (16 – 18: max-pool gradients need ScatterElements add). @default 17 */
  opset?: number;
  /**
   * How `steps(x, y, k)` puts k steps in one call: an ONNX `Loop` (one copy of the step graph), or
   * the step graph unrolled k times into one flat graph. The WebGPU provider has no Loop kernel (it
   * runs on the CPU there, and one measured run gave wrong Adam moments), so webgpu unrolls.
   * @default 'unroll' on webgpu, else 'loop'
   */
  multiStep?: 'loop' | 'unroll';
  /**
   * Write the graphs for this provider: `'webgpu'` expresses the ops the WebGPU provider has no
   * kernel for (LogSoftmax) with ops it runs. @default 'webgpu' when device is 'webgpu', else 'default'
   */
  target?: LoweringTarget;
  /**
   * webgpu only: keep weights and optimizer state on the GPU between calls (outputs stay GPU
   * buffers and are fed back as the next call's inputs); they come back to the host only on
   * {@link CompiledTrainStep.flush} / `dispose()` (and after each call with `readbackEachCall`).
   * Ignored on CPU and CUDA. @default true
   */
  stateOnDevice?: boolean;
  /**
   * webgpu with `stateOnDevice`: read the state back after every call, so that the synchronous
   * `sync()` always works (what `ortEngine` uses for core `fit`, whose `sync()` cannot wait).
   * @default false
   */
  readbackEachCall?: boolean;
  /**
   * Mode passed to a Keras model's call (`model(x, { training })`), as `fit` does. PyTorch-style
   * modules use their own `train()` / `eval()` flags; changing them compiles another graph. @default true
   */
  training?: boolean;
  /**
   * Where dropout masks and other random draws come from. `'exact'`: drawn in JS each step from
   * the layers' generators and fed to the graph — the numbers eager steps draw, bit for bit (what
   * parity with eager training needs). `'graph'`: bernoulli / uniform / normal draws are generated
   * by onnxruntime inside the graph (RandomUniform / RandomNormal, seeded once per compile from the
   * layer's generator; onnxruntime's kernels keep their state, so each step draws fresh values):
   * nothing is drawn or copied in JS per step, the distribution is the same, the numbers are not
   * eager's, and the generators advance by one draw per compile instead of per step. Other draws
   * (truncated normal, randint) stay exact. `ortEngine` (core `fit`) defaults to 'graph'; see
   * the package README for the measurement. @default 'exact'
   */
  randomness?: 'exact' | 'graph';
  /** Called once per reason when a step runs eagerly instead. @default console.warn */
  onFallback?: (reason: string) => void;
}

/** A loss as `compile` takes it: a function, a name, or a Keras loss object (`losses.SparseCategoricalCrossentropy({ fromLogits: true })`). */
export type LossArg = StepLoss | string | Parameters<typeof getLoss>[0];

/** The loss function of a {@link LossArg} (a name or Keras loss object through core's `getLoss`). */
export function resolveLoss(l: LossArg): StepLoss {
  if (typeof l === 'function' && !('lossName' in l)) return l as StepLoss;
  return getLoss(l as Parameters<typeof getLoss>[0]);
}
