// The `ort` training engine: a whole training step compiled into one ONNX graph for onnxruntime-node.
export { compileTrainStep, CompiledTrainStep, type CompileTrainStepOptions, type BatchData, type GraphInfo, type LossArg } from './compile';
export { fitOrt, type FitOrtArgs, type FitData } from './fit-ort';
export { TrainStepCompileError, TrainStepInputError, TrainStepStateError } from './errors';
export { autoStepsPerCall, ortEngine, type OrtEngine, type OrtEngineOptions, type TrainEngine, type TrainEngineCompiled, type TrainEngineSample } from './engine';
export type { TrainableModel, StepLoss } from './step-trace';
