import { create, toBinary } from '@bufbuild/protobuf';
import {
  AttributeProto_AttributeType as AT,
  AttributeProtoSchema,
  GraphProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
  StringStringEntryProtoSchema,
  TensorProto_DataType as DT,
  TensorProtoSchema,
  TensorShapeProto_DimensionSchema,
  TensorShapeProtoSchema,
  TypeProto_TensorSchema,
  TypeProtoSchema,
  ValueInfoProtoSchema,
  type AttributeProto,
  type TensorProto,
  type ValueInfoProto,
} from '../gen/onnx_pb';
import type { Attr, Initializer, IrArray, IrDType, IrGraph, IrValueInfo } from './ir';

/** ONNX element type codes (TensorProto.DataType). */
export const ONNX_DTYPE: Record<IrDType, DT> = {
  float32: DT.FLOAT,
  float64: DT.DOUBLE,
  int32: DT.INT32,
  int64: DT.INT64,
  bool: DT.BOOL,
  uint8: DT.UINT8,
};

/**
 * The values as explicit little-endian bytes, whatever the host's byte order (ONNX raw_data and
 * safetensors are both little-endian by definition).
 */
export function littleEndianBytes(data: IrArray): Uint8Array {
  const out = new Uint8Array(data.byteLength);
  const dv = new DataView(out.buffer);
  const n = data.length;
  if (data instanceof Float32Array) for (let i = 0; i < n; i++) dv.setFloat32(i * 4, data[i]!, true);
  else if (data instanceof Float64Array) for (let i = 0; i < n; i++) dv.setFloat64(i * 8, data[i]!, true);
  else if (data instanceof Int32Array) for (let i = 0; i < n; i++) dv.setInt32(i * 4, data[i]!, true);
  else if (data instanceof BigInt64Array) for (let i = 0; i < n; i++) dv.setBigInt64(i * 8, data[i]!, true);
  else out.set(data);
  return out;
}

function tensorProto(t: Initializer): TensorProto {
  return create(TensorProtoSchema, {
    name: t.name,
    dims: t.dims.map(BigInt),
    dataType: ONNX_DTYPE[t.dtype],
    rawData: littleEndianBytes(t.data),
  });
}

function attrProto(name: string, a: Attr): AttributeProto {
  switch (a.kind) {
    case 'int': return create(AttributeProtoSchema, { name, type: AT.INT, i: BigInt(a.v) });
    case 'float': return create(AttributeProtoSchema, { name, type: AT.FLOAT, f: a.v });
    case 'ints': return create(AttributeProtoSchema, { name, type: AT.INTS, ints: a.v.map(BigInt) });
    case 'floats': return create(AttributeProtoSchema, { name, type: AT.FLOATS, floats: [...a.v] });
    case 'string': return create(AttributeProtoSchema, { name, type: AT.STRING, s: new TextEncoder().encode(a.v) });
    case 'tensor': return create(AttributeProtoSchema, { name, type: AT.TENSOR, t: tensorProto(a.v) });
  }
}

function valueInfo(v: IrValueInfo): ValueInfoProto {
  const dim = v.dims.map((d) =>
    create(TensorShapeProto_DimensionSchema, {
      value: typeof d === 'number' ? { case: 'dimValue', value: BigInt(d) } : typeof d === 'string' ? { case: 'dimParam', value: d } : { case: undefined },
    }),
  );
  return create(ValueInfoProtoSchema, {
    name: v.name,
    type: create(TypeProtoSchema, {
      value: { case: 'tensorType', value: create(TypeProto_TensorSchema, { elemType: ONNX_DTYPE[v.dtype], shape: create(TensorShapeProtoSchema, { dim }) }) },
    }),
  });
}

/** Model-level fields written with the graph. */
export interface ModelMeta {
  opset: number;
  producerName: string;
  producerVersion: string;
  docString?: string;
  graphName: string;
  metadata?: Record<string, string>;
}

/** The ONNX IR version written (IR 8: ONNX 1.10 – 1.13, opsets up to 18). */
export const IR_VERSION = 8n;

/** Serialize a finished graph as an ONNX ModelProto. */
export function serializeModel(g: IrGraph, meta: ModelMeta): Uint8Array {
  const graph = create(GraphProtoSchema, {
    name: meta.graphName,
    node: g.nodes.map((n, i) =>
      create(NodeProtoSchema, {
        name: `${n.op}_${i}`,
        opType: n.op,
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attrs).map(([k, a]) => attrProto(k, a)),
        ...(n.doc ? { docString: n.doc } : {}),
      }),
    ),
    initializer: [...g.inits.values()].map(tensorProto),
    input: g.inputs.map(valueInfo),
    output: g.outputs.map(valueInfo),
  });
  const model = create(ModelProtoSchema, {
    irVersion: IR_VERSION,
    opsetImport: [create(OperatorSetIdProtoSchema, { domain: '', version: BigInt(meta.opset) })],
    producerName: meta.producerName,
    producerVersion: meta.producerVersion,
    ...(meta.docString ? { docString: meta.docString } : {}),
    graph,
    metadataProps: Object.entries(meta.metadata ?? {}).map(([key, value]) => create(StringStringEntryProtoSchema, { key, value })),
  });
  return toBinary(ModelProtoSchema, model);
}
