import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import {
  AttributeProtoSchema,
  AttributeProto_AttributeType as AT,
  GraphProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  TensorProto_DataType as DT,
  TensorProtoSchema,
  type NodeProto,
  type ValueInfoProto,
} from '../gen/onnx_pb';
import type { StepGraph } from './graph';
import { renamed, type LoopGraph } from './loop';

// K training steps in one onnxruntime call WITHOUT an ONNX Scan or Loop: the step graph is copied K times
// into one flat graph, the new state of step t feeding step t+1 by name. For execution providers
// that run Loop on the CPU (onnxruntime's WebGPU provider has no Loop kernel: measured on an H200,
// a 32-step Loop graph ran its Loop node on the CPU EP, took 1.3–2.4 s per call and, at batch 256,
// gave Adam moments off by 1.8× their size). The graph is K times larger (node count and load time),
// the work per step is the same, and nothing leaves the device between the K steps.
// Same inputs and outputs as the Loop graph (buildLoopGraph): per-step values stacked under
// `K.<name>` ([K, …], picked with Gather(·, t)), losses and predictions stacked as `loop.loss` /
// `loop.pred`, the final state as `loop.<name>:new`.

/**
 * Unroll a compiled step graph into one graph of `k` steps (no Loop node).
 *
 * @param step - The one-step graph ({@link buildStepGraph}).
 * @param k - Steps per call (≥ 1).
 * @returns A graph with the same inputs and outputs as `buildLoopGraph(step, k)`.
 */
export function buildUnrolledGraph(step: StepGraph, k: number): LoopGraph {
  const model = fromBinary(ModelProtoSchema, step.bytes);
  const body = model.graph!;
  const info = new Map(body.input.map((v) => [v.name, v]));
  const outInfo = new Map(body.output.map((v) => [v.name, v]));
  const inits = new Set(body.initializer.map((t) => t.name));
  const carried = new Map(step.outputs.flatMap((o) => (o.kind === 'state' ? [[o.state, o] as const] : [])));
  const carriedIn = step.inputs.filter((s) => s.kind === 'state' && carried.has(s.name));
  const stateOuts = carriedIn.map((s) => carried.get(s.name)!);
  const scans = step.outputs.filter((o) => o.kind !== 'state');

  const outerInputs: ValueInfoProto[] = [];
  const inputs: LoopGraph['inputs'][number][] = [];
  const perStep = new Set<string>();
  for (const s of step.inputs) {
    if (s.kind === 'state') {
      outerInputs.push(info.get(s.name)!);
      inputs.push({ ...s, feed: s.name, carried: carried.has(s.name) });
    } else {
      const feed = `K.${s.name}`;
      perStep.add(s.name);
      outerInputs.push(renamed(info.get(s.name)!, feed, k));
      inputs.push({ ...s, feed });
    }
  }
  const extraInits = [create(TensorProtoSchema, { name: 'unroll.axis0', dims: [1n], dataType: DT.INT64, int64Data: [0n] })];
  const axis0 = create(AttributeProtoSchema, { name: 'axis', type: AT.INT, i: 0n });
  const nodes: NodeProto[] = [];
  // The value each state input has at the current step: the graph input, then the previous step's new value.
  const cur = new Map(carriedIn.map((s) => [s.name, s.name]));
  const fetchOf = new Map(stateOuts.map((o) => [o.name, `loop.${o.name}`]));
  const scanVals: string[][] = scans.map(() => []);
  for (let t = 0; t < k; t++) {
    const last = t === k - 1;
    const ren = (v: string): string => {
      if (v === '' || inits.has(v)) return v;
      if (perStep.has(v)) return `s${t}.${v}`;
      if (cur.has(v)) return cur.get(v)!;
      if (info.has(v)) return v; // a state input that is not updated: the same graph input every step
      if (last && fetchOf.has(v)) return fetchOf.get(v)!;
      return `s${t}.${v}`;
    };
    const idx = `unroll.i${t}`;
    extraInits.push(create(TensorProtoSchema, { name: idx, dims: [], dataType: DT.INT64, int64Data: [BigInt(t)] }));
    for (const name of perStep) nodes.push(create(NodeProtoSchema, { name: `s${t}.pick_${name}`, opType: 'Gather', input: [`K.${name}`, idx], output: [`s${t}.${name}`], attribute: [axis0] }));
    for (const n of body.node) nodes.push(create(NodeProtoSchema, { ...n, name: `s${t}.${n.name}`, input: n.input.map(ren), output: n.output.map(ren) }));
    scans.forEach((o, i) => {
      const u = `s${t}.${o.name}.unsq`;
      nodes.push(create(NodeProtoSchema, { name: `s${t}.stack_${o.name}`, opType: 'Unsqueeze', input: [ren(o.name), 'unroll.axis0'], output: [u] }));
      scanVals[i]!.push(u);
    });
    const next = new Map(carriedIn.map((s) => [s.name, ren(carried.get(s.name)!.name)]));
    for (const [n, v] of next) cur.set(n, v);
  }
  // A final state that no node of the last step produced under its fetch name (it is a graph input,
  // or the same value as another output) goes out through an Identity.
  const produced = new Set(nodes.flatMap((n) => n.output));
  stateOuts.forEach((o) => {
    const f = `loop.${o.name}`;
    if (!produced.has(f)) nodes.push(create(NodeProtoSchema, { name: `out_${o.name}`, opType: 'Identity', input: [cur.get(o.state)!], output: [f] }));
  });
  scans.forEach((o, i) => nodes.push(create(NodeProtoSchema, { name: `stack_${o.name}`, opType: 'Concat', input: scanVals[i]!, output: [`loop.${o.name}`], attribute: [axis0] })));
  const outputs: LoopGraph['outputs'][number][] = [...stateOuts, ...scans].map((o) => ({ ...o, fetch: `loop.${o.name}` }));
  const graph = create(GraphProtoSchema, {
    name: 'nn_train_steps_unrolled',
    node: nodes,
    initializer: [...body.initializer, ...extraInits],
    input: outerInputs,
    output: [...stateOuts.map((o) => renamed(outInfo.get(o.name)!, `loop.${o.name}`)), ...scans.map((o) => renamed(outInfo.get(o.name)!, `loop.${o.name}`, k))],
  });
  const bytes = toBinary(ModelProtoSchema, create(ModelProtoSchema, { ...model, graph }));
  return { bytes, k, inputs, outputs };
}
