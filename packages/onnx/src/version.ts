/** This package's version, written as the ONNX producer version. */
export const VERSION = '0.0.0';
