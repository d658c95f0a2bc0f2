import { NNError } from '@nn/core';

/**
 * A training step that the `ort` engine cannot compile into one ONNX graph. The engine catches it,
 * says why (`CompiledTrainStep.fallbackReason`) and runs that step eagerly instead.
 */
export class TrainStepCompileError extends NNError {
  override name = 'TrainStepCompileError';
  constructor(
    /** What could not be compiled: a kernel (`unary:atan`), a random op, the optimizer … */
    readonly what: string,
    /** Why. */
    readonly reason: string,
    hint?: string,
  ) {
    super(`compileTrainStep: cannot compile ${what}: ${reason}.`, 'compileTrainStep', hint);
  }
}

/** A batch given to `CompiledTrainStep.step` that does not match the model's input. */
export class TrainStepInputError extends NNError {
  override name = 'TrainStepInputError';
  constructor(
    /** `'x'` or `'y'`. */
    readonly input: string,
    /** What was expected. */
    readonly expected: string,
    /** What was given. */
    readonly received: string,
  ) {
    super(`CompiledTrainStep.step: ${input} should be ${expected}, got ${received}.`, 'CompiledTrainStep.step');
  }
}

/**
 * A synchronous read of weights that live on the GPU (`device: 'webgpu'` keeps the state there
 * between calls): they can only be read back asynchronously, with `await engine.flush()`.
 */
export class TrainStepStateError extends NNError {
  override name = 'TrainStepStateError';
  constructor(what: string, detail: string) {
    super(`CompiledTrainStep.${what}: ${detail}.`, `CompiledTrainStep.${what}`, 'Call `await engine.flush()` first (it reads the state back from the GPU), or `await engine.dispose()`.');
  }
}
