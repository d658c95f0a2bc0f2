import { NNError } from '@nn/core';

/** A traced kernel (or a form of it) that has no ONNX lowering at the requested opset. */
export class UnsupportedOpError extends NNError {
  override name = 'UnsupportedOpError';
  constructor(
    /** The core kernel name, e.g. `scatterAdd`. */
    readonly kernel: string,
    /** Why it cannot be exported. */
    readonly reason: string,
    /** The layer path that called it, when core recorded one. */
    readonly layer?: string,
    hint?: string,
  ) {
    super(`Cannot export kernel "${kernel}"${layer ? ` (used by layer "${layer}")` : ''} to ONNX: ${reason}.`, layer ?? kernel, hint);
  }
}

/** The traced graph changes with the batch size, so the batch dimension cannot be made dynamic. */
export class DynamicBatchError extends NNError {
  override name = 'DynamicBatchError';
  constructor(
    /** What differs between the two traces. */
    readonly detail: string,
    /** The kernel involved, when one is. */
    readonly kernel?: string,
  ) {
    super(
      `exportOnnx: the traced graph depends on the batch size: ${detail}.`,
      kernel ?? 'exportOnnx',
      'Avoid batch-size-dependent code in forward (e.g. tensors built from x.shape[0]), or export with a fixed batch size (a number instead of null).',
    );
  }
}

/** Options or input specifications of an export that are wrong. */
export class ExportOptionsError extends NNError {
  override name = 'ExportOptionsError';
  constructor(message: string, hint?: string) {
    super(message, 'exportOnnx', hint);
  }
}

/** An op in a model that onnxruntime cannot run (see {@link OnnxFormatError.op}). */
export interface UnsupportedModelOp {
  /** The ONNX op type, e.g. `Gelu`. */
  opType: string;
  /** Its domain (`ai.onnx` for the standard one). */
  domain: string;
  /** The node's name, when onnxruntime or the model gives one. */
  node?: string;
  /** onnxruntime's own message. */
  cause: string;
}

/** A file or buffer that is not a readable ONNX model, or one with an op onnxruntime cannot run. */
export class OnnxFormatError extends NNError {
  override name = 'OnnxFormatError';
  constructor(
    /** The path, or `<bytes>` for an in-memory model. */
    readonly source: string,
    readonly detail: string,
    /** Set when the model decodes but uses an op onnxruntime cannot run. */
    readonly op?: UnsupportedModelOp,
  ) {
    super(
      op ? `${source} uses an op onnxruntime cannot run: ${detail}.` : `${source} is not a valid ONNX model: ${detail}.`,
      source,
      op
        ? 'Export with standard ai.onnx ops at an opset onnxruntime-node implements (exportOnnx only emits those, opsets 13–18), or replace that op.'
        : 'Re-export the model; the file may be truncated or not an .onnx file.',
    );
  }
}

/** An input given to {@link InferenceSession.run} that does not match the model. */
export class SessionInputError extends NNError {
  override name = 'SessionInputError';
  constructor(
    /** The input name involved. */
    readonly input: string,
    readonly detail: string,
    /** A description of the model's inputs: `x: float32 [batch, 784]`. */
    readonly expected: string,
  ) {
    super(`InferenceSession input "${input}": ${detail}. The model expects ${expected}.`, input);
  }
}

/** The requested execution device cannot be used. */
export class DeviceError extends NNError {
  override name = 'DeviceError';
  constructor(
    readonly device: string,
    readonly detail: string,
  ) {
    super(
      `onnxruntime: device "${device}" is not available: ${detail}.`,
      device,
      device === 'cuda'
        ? "onnxruntime-node's CUDA provider is installed separately: ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node (needs CUDA 12 and cuDNN 9), or use device 'auto' / 'cpu'."
        : device === 'webgpu'
          ? "onnxruntime-node's WebGPU provider needs a GPU and its driver's Vulkan (Linux), Metal (macOS) or D3D12 (Windows) loader; on Linux check that libvulkan.so.1 and the GPU's ICD are installed. Or use device 'auto' / 'cpu'."
          : undefined,
    );
  }
}

/** Safetensors data that is malformed or does not match what was expected. */
/** A malformed safetensors file: core's class (one strict reader, owned by @nn/core), re-exported. */
export { SafetensorsError } from '@nn/core';

/** A state dict that does not fit a module: missing or unexpected keys, or shape mismatches. */
export class StateDictError extends NNError {
  override name = 'StateDictError';
  constructor(
    readonly missing: readonly string[],
    readonly unexpected: readonly string[],
    readonly mismatched: readonly { name: string; expected: readonly number[]; received: readonly number[]; expectedDType?: string; receivedDType?: string }[],
  ) {
    const parts: string[] = [];
    if (missing.length) parts.push(`missing keys: ${missing.join(', ')}`);
    if (unexpected.length) parts.push(`unexpected keys: ${unexpected.join(', ')}`);
    for (const m of mismatched) {
      parts.push(
        m.expectedDType
          ? `${m.name}: dtype ${m.receivedDType} cannot load into ${m.expectedDType}`
          : `${m.name}: shape [${m.received.join(', ')}] in the file, [${m.expected.join(', ')}] in the module`,
      );
    }
    super(`loadTorchStateDict: the state dict does not fit the module (${parts.join('; ')}).`, 'loadTorchStateDict', 'Pass {strict: false} to load the matching keys only, or {rename} to map names.');
  }
}
