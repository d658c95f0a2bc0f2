import { create, toBinary } from '@bufbuild/protobuf';
import {
  GraphProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
  TensorProto_DataType as DT,
  TensorShapeProto_DimensionSchema,
  TensorShapeProtoSchema,
  TypeProto_TensorSchema,
  TypeProtoSchema,
  ValueInfoProtoSchema,
} from '../gen/onnx_pb';

// GPU-resident training state (device 'webgpu'): the step's state outputs stay on the GPU
// (`preferredOutputLocation: 'gpu-buffer'`) and are fed back as the next call's inputs.
//
// Reading them back: onnxruntime-node 1.30 hands a GPU output to JS as `Tensor.fromGpuBuffer(…)`
// whose `download` callback is a native stub that throws "not implemented"
// (js/node/src/tensor_helper.cc, OrtValueToNapiValue), so `tensor.getData()` on such a tensor never
// returns data (and aborted the process once on the H200). The safe path used here: feed the GPU
// tensors to a second session on the same provider whose graph is one Identity per tensor and whose
// outputs are left at their default location ('cpu'): onnxruntime copies GPU → CPU itself (a
// MemcpyToHost node) and the outputs come back as ordinary host tensors. `getData()` is never called.

const ELEM: Record<string, DT> = { float32: DT.FLOAT, int32: DT.INT32, int64: DT.INT64, uint8: DT.UINT8, bool: DT.BOOL };

/** One tensor the read-back graph copies to the host. */
export interface ReadbackSpec {
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly number[];
}

/** Input / output names of the read-back graph for a state name. */
export const readbackNames = (name: string) => ({ input: `dev.${name}`, output: `host.${name}` });

/**
 * The read-back graph: `host.<name> = Identity(dev.<name>)` for each tensor.
 *
 * @param specs - The tensors, with their dtype and static shape.
 * @param opset - ONNX opset. @default 17
 * @returns ONNX model bytes.
 */
export function buildReadbackGraph(specs: readonly ReadbackSpec[], opset = 17): Uint8Array {
  const vi = (name: string, s: ReadbackSpec) =>
    create(ValueInfoProtoSchema, {
      name,
      type: create(TypeProtoSchema, {
        value: {
          case: 'tensorType',
          value: create(TypeProto_TensorSchema, {
            elemType: ELEM[s.dtype] ?? DT.FLOAT,
            shape: create(TensorShapeProtoSchema, { dim: s.shape.map((d) => create(TensorShapeProto_DimensionSchema, { value: { case: 'dimValue', value: BigInt(d) } })) }),
          }),
        },
      }),
    });
  const graph = create(GraphProtoSchema, {
    name: 'nn_readback',
    node: specs.map((s) => create(NodeProtoSchema, { name: `read_${s.name}`, opType: 'Identity', input: [readbackNames(s.name).input], output: [readbackNames(s.name).output] })),
    input: specs.map((s) => vi(readbackNames(s.name).input, s)),
    output: specs.map((s) => vi(readbackNames(s.name).output, s)),
  });
  return toBinary(ModelProtoSchema, create(ModelProtoSchema, { irVersion: 8n, producerName: 'nn', opsetImport: [create(OperatorSetIdProtoSchema, { domain: '', version: BigInt(opset) })], graph }));
}
