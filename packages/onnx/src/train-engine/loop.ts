import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import {
  AttributeProto_AttributeType as AT,
  AttributeProtoSchema,
  GraphProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  TensorShapeProto_DimensionSchema,
  TypeProto_TensorSchema,
  TensorShapeProtoSchema,
  TypeProtoSchema,
  ValueInfoProtoSchema,
  type ValueInfoProto,
} from '../gen/onnx_pb';
import type { InputSlot, OutputSlot, StepGraph } from './graph';

// K training steps in one onnxruntime call: the step graph becomes the body of an ONNX Scan. The
// weights and optimizer state are carried from step to step (they cross between JS and onnxruntime
// once per call instead of once per step: what matters on a GPU, where onnxruntime-node has no IO
// binding, and for large models on CPU); each step's batch, dropout masks and optimizer scalars are
// stacked along a new first axis, and Scan hands the body step t's slice of each.
//
// A Scan, not a Loop: a Loop body picks its slices with Gather(·, iteration), a copy of each step's
// batch and masks (the x batch alone: 800 KB per step for 256 Fashion-MNIST rows), where onnxruntime's
// Scan passes views of the stacked inputs. Same values bit for bit; measured in one process, the two
// graphs alternated (2026-12-07, one thread): 784-256-128-10 Adam 2.6 – 7% less CPU per step at
// batch 64 and 256, the main job's model 0 – 7% (batch 64, 128).

/** A K-step graph and the meaning of its inputs and outputs. */
export interface LoopGraph {
  readonly bytes: Uint8Array;
  readonly k: number;
  /** Per-step slots now carry K stacked values under `K.<name>`; carried state is fed as `init.<name>`. */
  readonly inputs: readonly (InputSlot & { readonly feed: string; readonly carried?: boolean })[];
  /** `loop.loss` [K], `loop.pred` [K, …] and the final state `loop.<name>:new`. */
  readonly outputs: readonly (OutputSlot & { readonly fetch: string })[];
}

/** The same value info with a new name and, optionally, a leading dimension. */
export function renamed(v: ValueInfoProto, name: string, lead?: number): ValueInfoProto {
  const c = create(ValueInfoProtoSchema, { ...v, name });
  if (lead !== undefined && c.type?.value.case === 'tensorType') {
    const t = c.type.value.value;
    const dim = [create(TensorShapeProto_DimensionSchema, { value: { case: 'dimValue', value: BigInt(lead) } }), ...(t.shape?.dim ?? [])];
    c.type = create(TypeProtoSchema, { value: { case: 'tensorType', value: create(TypeProto_TensorSchema, { elemType: t.elemType, shape: create(TensorShapeProtoSchema, { dim }) }) } });
  }
  return c;
}

/** Wrap a compiled step graph into a Scan of `k` steps (see above). */
export function buildLoopGraph(step: StepGraph, k: number): LoopGraph {
  const model = fromBinary(ModelProtoSchema, step.bytes);
  const body = model.graph!;
  const info = new Map(body.input.map((v) => [v.name, v]));
  const outInfo = new Map(body.output.map((v) => [v.name, v]));
  const carried = new Map(step.outputs.flatMap((o) => (o.kind === 'state' ? [[o.state, o] as const] : [])));

  const outerInputs: ValueInfoProto[] = [];
  const inputs: LoopGraph['inputs'][number][] = [];
  const sliced: string[] = [];
  for (const s of step.inputs) {
    if (s.kind === 'state') {
      const isCarried = carried.has(s.name);
      const feed = isCarried ? `init.${s.name}` : s.name;
      outerInputs.push(renamed(info.get(s.name)!, feed));
      inputs.push({ ...s, feed, carried: isCarried });
    } else {
      const feed = `K.${s.name}`;
      outerInputs.push(renamed(info.get(s.name)!, feed, k));
      inputs.push({ ...s, feed });
      sliced.push(s.name);
    }
  }
  // Body: (carried state…, step t's slices…) → (new state…, loss, pred).
  const carriedIn = step.inputs.filter((s) => s.kind === 'state' && carried.has(s.name));
  const stateOuts = carriedIn.map((s) => carried.get(s.name)!);
  const scans = step.outputs.filter((o) => o.kind !== 'state');
  // Body outputs are matched to the Scan's by position, so the step's own output names serve. An
  // Identity (a copy of its input at every step: 3.6 ms per 32 FMNIST-MLP steps for the whole state
  // in onnxruntime's profiler) only where a name would be an output twice or is a body input.
  const bodyIns = new Set([...carriedIn.map((s) => s.name), ...sliced]);
  const used = new Set<string>();
  const idNodes: ReturnType<typeof create<typeof NodeProtoSchema>>[] = [];
  const bodyOuts = [...stateOuts, ...scans].map((o, i) => {
    if (!used.has(o.name) && !bodyIns.has(o.name)) {
      used.add(o.name);
      return outInfo.get(o.name)!;
    }
    idNodes.push(create(NodeProtoSchema, { name: `out_${i}`, opType: 'Identity', input: [o.name], output: [`body.out.${i}`] }));
    return renamed(outInfo.get(o.name)!, `body.out.${i}`);
  });
  const bodyGraph = create(GraphProtoSchema, {
    name: 'train_step',
    node: [...body.node, ...idNodes],
    initializer: body.initializer,
    input: [...carriedIn.map((s) => info.get(s.name)!), ...sliced.map((n) => info.get(n)!)],
    output: bodyOuts,
  });
  const outputs: LoopGraph['outputs'][number][] = [...stateOuts, ...scans].map((o) => ({ ...o, fetch: `loop.${o.name}` }));
  const scanNode = create(NodeProtoSchema, {
    name: 'steps',
    opType: 'Scan',
    input: [...carriedIn.map((s) => `init.${s.name}`), ...sliced.map((n) => `K.${n}`)],
    output: outputs.map((o) => o.fetch),
    attribute: [
      create(AttributeProtoSchema, { name: 'body', type: AT.GRAPH, g: bodyGraph }),
      create(AttributeProtoSchema, { name: 'num_scan_inputs', type: AT.INT, i: BigInt(sliced.length) }),
    ],
  });
  const graph = create(GraphProtoSchema, {
    name: 'nn_train_steps',
    node: [scanNode],
    input: outerInputs,
    output: [...stateOuts.map((o, i) => renamed(outInfo.get(o.name)!, outputs[i]!.fetch)), ...scans.map((o, i) => renamed(outInfo.get(o.name)!, outputs[stateOuts.length + i]!.fetch, k))],
  });
  const bytes = toBinary(ModelProtoSchema, create(ModelProtoSchema, { ...model, graph }));
  return { bytes, k, inputs, outputs };
}
