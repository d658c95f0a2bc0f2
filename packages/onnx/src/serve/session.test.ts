import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { linear, manualSeed, nn, randn, tensor, type Tensor } from '@nn/core';
import { DeviceError, OnnxFormatError, SessionInputError } from '../errors';
import { toOnnxBytes } from '../export/export';
import { tmp } from '../test-helpers';
import { outputToTensor } from './feeds';
import { compareWithModel } from './parity';
import { InferenceSession } from './session';

manualSeed(11);
const w = randn([3, 8]), b = randn([3]);
const model = (x: Tensor) => linear(x, w, true).add(b).relu();
const bytes = toOnnxBytes(model, { inputs: { x: [null, 8] }, outputs: ['y'], params: [['fc.weight', w], ['fc.bias', b]] });
const dir = tmp();

const errorOf = async (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as Error);

describe('InferenceSession', () => {
  it("'auto' falls back to CPU when the CUDA provider is absent, and says so", async () => {
    const s = await InferenceSession.create(bytes);
    expect(['cuda', 'cpu']).toContain(s.device);
    if (s.device === 'cpu') expect(s.fallbackReason).toBeTruthy();
    expect(s.inputs).toEqual([{ name: 'x', dtype: 'float32', dims: ['batch', 8] }]);
    expect(s.outputNames).toEqual(['y']);
  });

  it("'auto' catches onnxruntime's error when it is asked for CUDA without the provider, and retries on CPU", async () => {
    process.env.NN_ORT_TRY_CUDA = '1';
    try {
      const s = await InferenceSession.create(bytes);
      if (s.device === 'cuda') return;
      expect(s.device).toBe('cpu');
      expect(s.fallbackReason).toMatch(/\S/);
      expect((await s.run({ x: randn([2, 8]) })).y!.dims).toEqual([2, 3]);
      const e = await errorOf(InferenceSession.create(bytes, { device: 'cuda' }));
      expect(e).toBeInstanceOf(DeviceError);
    } finally {
      delete process.env.NN_ORT_TRY_CUDA;
    }
  });

  it("'cuda' without the CUDA provider is a DeviceError with the install hint", async () => {
    const s = await InferenceSession.create(bytes, { device: 'auto' });
    if (s.device === 'cuda') return; // a CUDA machine: nothing to check
    const e = await errorOf(InferenceSession.create(bytes, { device: 'cuda' }));
    expect(e).toBeInstanceOf(DeviceError);
    expect(e!.message).toMatch(/ONNXRUNTIME_NODE_INSTALL=cuda12/);
  });

  it('runs nn Tensors, typed arrays and {data, dims}; outputs are typed and convert to Tensors', async () => {
    const file = join(dir, 'm.onnx');
    writeFileSync(file, bytes);
    const s = await InferenceSession.create(file, { device: 'cpu', threads: 1 });
    const x = randn([5, 8]);
    const want = model(x).dataSync();
    const a = await s.run({ x });
    const c = await s.run(new Float32Array(x.dataSync()));            // one input: no name needed, rows inferred
    const d = await s.run({ x: { data: new Float32Array(x.dataSync()), dims: [5, 8] } });
    expect(a.y!.dims).toEqual([5, 3]);
    expect(a.y!.data).toBeInstanceOf(Float32Array);
    expect(c.y!.data).toEqual(a.y!.data);
    expect(d.y!.data).toEqual(a.y!.data);
    // float64 reference vs float32 runtime on 8-term dot products: well under 1e-5.
    const t = outputToTensor(a.y!);
    expect(t.shape).toEqual([5, 3]);
    want.forEach((v, i) => expect(Math.abs(v - t.dataSync()[i]!)).toBeLessThan(1e-5));
  });

  it('runBatched splits rows and concatenates the outputs', async () => {
    const s = await InferenceSession.create(bytes, { device: 'cpu', threads: 1 });
    const x = randn([10, 8]);
    const all = await s.run({ x });
    const parts = await s.runBatched({ x }, 4);
    expect(parts.y!.dims).toEqual([10, 3]);
    expect(parts.y!.data).toEqual(all.y!.data);
  });

  it('compareWithModel reports the max abs difference (float32 rounding only)', async () => {
    const s = await InferenceSession.create(bytes, { device: 'cpu' });
    const r = await compareWithModel(model, s, randn([64, 8]));
    expect(r.maxAbsDiff).toBeLessThan(1e-5);
    expect(Object.keys(r.perOutput)).toEqual(['y']);
  });

  it('bad inputs: unknown or missing name, wrong dtype, wrong shape; each lists what the model expects', async () => {
    const s = await InferenceSession.create(bytes, { device: 'cpu' });
    const unknown = await errorOf(s.run({ x: randn([2, 8]), z: randn([2, 8]) }));
    expect(unknown).toBeInstanceOf(SessionInputError);
    expect(unknown!.message).toMatch(/"z": the model has no input of that name.*x: float32 \[batch, 8\]/);
    const missing = await errorOf(s.run({}));
    expect(missing!.message).toMatch(/"x": is missing/);
    const dtype = await errorOf(s.run({ x: tensor([[1, 2, 3, 4, 5, 6, 7, 8]], [1, 8], { dtype: 'int32' }) }));
    expect(dtype!.message).toMatch(/dtype int32, expected float32/);
    const arr = await errorOf(s.run({ x: new Float64Array(8) }));
    expect(arr!.message).toMatch(/Float64Array, expected Float32Array/);
    const shape = await errorOf(s.run({ x: randn([2, 7]) }));
    expect(shape!.message).toMatch(/got shape \[2, 7\]/);
    const rows = await errorOf(s.run(new Float32Array(12)));
    expect(rows!.message).toMatch(/12 values do not fill whole rows of 8/);
  });

  it('a corrupt, truncated, empty or missing file is an OnnxFormatError', async () => {
    const trunc = join(dir, 'truncated.onnx');
    writeFileSync(trunc, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const garbage = join(dir, 'garbage.onnx');
    writeFileSync(garbage, Buffer.from('this is not an onnx model at all, just text'));
    for (const src of [trunc, garbage, join(dir, 'nope.onnx'), new Uint8Array(0)]) {
      const e = await errorOf(InferenceSession.create(src, { device: 'cpu' }));
      expect(e).toBeInstanceOf(OnnxFormatError);
      expect(e!.message).toMatch(/is not a valid ONNX model/);
    }
  });

  it('a model with an op onnxruntime cannot run is an OnnxFormatError naming the op, its domain, node and layer', async () => {
    const { create, fromBinary, toBinary } = await import('@bufbuild/protobuf');
    const { ModelProtoSchema, OperatorSetIdProtoSchema } = await import('../gen/onnx_pb');
    class Net extends nn.Module {
      fc = new nn.Linear(8, 3);
      act = new nn.ReLU();
      override forward(x: Tensor) { return this.act(this.fc(x) as Tensor); }
    }
    const good = toOnnxBytes(new Net(), { inputs: { x: [null, 8] } });
    const edit = (f: (m: ReturnType<typeof fromBinary<typeof ModelProtoSchema>>) => void) => {
      const m = fromBinary(ModelProtoSchema, good);
      f(m);
      return toBinary(ModelProtoSchema, m);
    };
    const reluOf = (m: ReturnType<typeof fromBinary<typeof ModelProtoSchema>>) => m.graph!.node.find((n) => n.opType === 'Relu')!;
    expect(reluOf(fromBinary(ModelProtoSchema, good)).docString).toBe('act: unary');
    const cases: [string, Uint8Array, RegExp, { opType: string; domain: string }][] = [
      // An op name no domain has.
      ['unknown op', edit((m) => { reluOf(m).opType = 'FancyRelu'; }), /op "FancyRelu" \(domain ai\.onnx, opset 17\) in node "\S+" \(act: unary\): onnxruntime has no kernel for it at opset 17/, { opType: 'FancyRelu', domain: 'ai.onnx' }],
      // A real ONNX op, but newer than the model's opset (Gelu is opset 20).
      ['op newer than the opset', edit((m) => { reluOf(m).opType = 'Gelu'; }), /op "Gelu" \(domain ai\.onnx, opset 17\).*no kernel for it at opset 17/, { opType: 'Gelu', domain: 'ai.onnx' }],
      // A custom domain onnxruntime has no library for.
      ['unknown domain', edit((m) => {
        reluOf(m).domain = 'com.example.custom';
        m.opsetImport.push(create(OperatorSetIdProtoSchema, { domain: 'com.example.custom', version: 1n }));
      }), /op "Relu" \(domain com\.example\.custom, opset 1\) in node "\S+" \(act: unary\): onnxruntime knows no op of that name in the domain "com\.example\.custom"/, { opType: 'Relu', domain: 'com.example.custom' }],
      // A domain the model does not even import.
      ['domain without an opset import', edit((m) => { reluOf(m).domain = 'com.example.custom'; }), /op "Relu" \(domain com\.example\.custom\) in node "\S+" \(act: unary\): the model imports no opset for the domain "com\.example\.custom"/, { opType: 'Relu', domain: 'com.example.custom' }],
    ];
    for (const [what, bytes, re, op] of cases) {
      const file = join(dir, `${what.replace(/ /g, '-')}.onnx`);
      writeFileSync(file, bytes);
      for (const src of [file, bytes]) {
        const e = await errorOf(InferenceSession.create(src, { device: 'cpu' }));
        expect(e, what).toBeInstanceOf(OnnxFormatError);
        expect(e!.message, what).toMatch(re);
        expect(e!.message, what).toMatch(/uses an op onnxruntime cannot run/);
        expect(e!.message, what).toContain(typeof src === 'string' ? file : '<bytes>');
        expect((e as OnnxFormatError).op, what).toMatchObject(op);
        expect((e as OnnxFormatError).op!.cause, what).toMatch(/\S/);
      }
    }
    // 'auto' (which may try CUDA first) gives the same error.
    const e = await errorOf(InferenceSession.create(cases[0]![1]));
    expect(e!.message).toMatch(/op "FancyRelu"/);
  });
});
