// @nn/onnx public API.
export { exportOnnx, toOnnxBytes, type ExportOptions, type ExportableModel, type InputSpec } from './export/export';
export { InferenceSession, cudaProviderInstalled, type Device, type SessionOptions, type Feeds } from './serve/session';
export { outputToTensor, type FeedValue, type HostArray, type SessionOutput, type ValueSpec } from './serve/feeds';
export { compareWithModel, type ParityReport } from './serve/parity';
export {
  saveSafetensors,
  loadSafetensors,
  encodeSafetensors,
  decodeSafetensors,
  rawToTensor,
  tensorToRaw,
  type RawTensor,
  type SafetensorsDType,
} from './safetensors';
export { loadTorchStateDict, type StateDictTarget, type LoadStateDictOptions, type LoadStateDictResult } from './torch';
export {
  UnsupportedOpError,
  DynamicBatchError,
  ExportOptionsError,
  OnnxFormatError,
  SessionInputError,
  DeviceError,
  SafetensorsError,
  StateDictError,
} from './errors';
// The ort training engine (compiled training steps).
export {
  compileTrainStep,
  CompiledTrainStep,
  fitOrt,
  ortEngine,
  autoStepsPerCall,
  TrainStepCompileError,
  TrainStepInputError,
  type CompileTrainStepOptions,
  type BatchData,
  type GraphInfo,
  type LossArg,
  type FitOrtArgs,
  type FitData,
  type TrainableModel,
  type StepLoss,
  type OrtEngine,
  type OrtEngineOptions,
  type TrainEngine,
  type TrainEngineCompiled,
  type TrainEngineSample,
} from './train-engine/index';

// `fit(x, y, { engine: 'ort' })` and `engine: 'auto'` find the engine through core's registry.
import { registerFitEngine } from '@nn/core';
import { ortEngine as defaultOrtEngine, type OrtEngineOptions } from './train-engine/index';
registerFitEngine('ort', (options) => defaultOrtEngine(options as OrtEngineOptions | undefined));
// Opening onnxruntime sessions on a device (the one owner InferenceSession and the ort engine use).
export { openSession, checkDevice, type RunDevice, type OpenSessionOptions, type OpenedSession } from './runtime/open-session';
export { TrainStepStateError } from './train-engine/errors';
export type { LoweringTarget } from './export/lower-webgpu';
