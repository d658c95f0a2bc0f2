// @nn/onnx public API.
export { exportOnnx, toOnnxBytes, type ExportOptions, type ExportableModel, type InputSpec } from './export/export';
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
