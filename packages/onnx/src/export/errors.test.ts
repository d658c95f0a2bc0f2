import { describe, expect, it } from 'vitest';
import { full, randn, tensor, type Tensor, type TraceResult } from '@nn/core';
import { DynamicBatchError, ExportOptionsError, UnsupportedOpError } from '../errors';
import { buildGraph } from './build';
import { staticDims } from './dynamic';
import { exportOnnx, toOnnxBytes } from './export';

const catchErr = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
};

describe('export errors', () => {
  it('a graph whose structure depends on the batch size is a DynamicBatchError naming the op', () => {
    // A branch on the batch size gives different kernel lists at batch 2 and 3.
    const branchy = (x: Tensor) => (x.shape[0]! % 2 === 0 ? x.relu() : x.tanh());
    const e1 = catchErr(() => toOnnxBytes(branchy, { inputs: { x: [null, 3] } }));
    expect(e1).toBeInstanceOf(DynamicBatchError);
    expect(e1.message).toMatch(/op #0 \(unary:relu\) attribute "op" is "relu" at batch 2 and "tanh" at batch 3/);
    // A constant built from the batch size.
    const counts = (x: Tensor) => x.add(tensor(Array.from({ length: x.shape[0]! }, (_, i) => i), [x.shape[0]!, 1]));
    const e2 = catchErr(() => toOnnxBytes(counts, { inputs: { x: [null, 3] } }));
    expect(e2.message).toMatch(/a constant of shape \[2, 1\] at batch 2 is \[3, 1\] at batch 3, used by op #0 \(binary:add\)/);
    // With a fixed batch size the same function exports.
    expect(toOnnxBytes(counts, { inputs: { x: [2, 3] } }).length).toBeGreaterThan(0);
  });

  it('batch-dependent shapes become batch-relative (reshape -1, computed fill and broadcast shapes)', async () => {
    const { InferenceSession } = await import('../serve/session');
    const f = (x: Tensor) => [x.reshape([-1]).add(1), full([x.shape[0]!, 5], 2).add(x.sum(1, true)), x.mean(0, true).mul(full(x.shape, 1))];
    const s = await InferenceSession.create(toOnnxBytes(f, { inputs: { x: [null, 4] }, outputs: ['flat', 'filled', 'centred'] }), { device: 'cpu' });
    const x = randn([7, 4]);
    const r = await s.run({ x });
    expect(r.flat!.dims).toEqual([28]);
    expect(r.filled!.dims).toEqual([7, 5]);
    expect(r.centred!.dims).toEqual([7, 4]);
    expect(s.outputs.map((o) => o.dims)).toEqual([[null], ['batch', 5], ['batch', 4]]);
  });

  it('a kernel without a lowering names the kernel and the layer that used it', () => {
    const t: TraceResult = {
      values: new Map([
        [1, { id: 1, shape: [2, 3], dtype: 'float32', kind: 'input', name: 'x' }],
        [2, { id: 2, shape: [2, 3], dtype: 'float32', kind: 'op' }],
      ]),
      ops: [{ kernel: 'fft', attrs: { layer: 'encoder.spectral' }, inputs: [1], output: 2 }],
      inputs: [1],
      outputs: [2],
      assigns: new Map(),
    };
    const e = catchErr(() => buildGraph({ trace: t, dims: staticDims(t), opset: 17, inputs: [{ name: 'x', dtype: 'float32', shape: [2, 3] }], outputNames: ['y'] }));
    expect(e).toBeInstanceOf(UnsupportedOpError);
    expect(e.message).toMatch(/Cannot export kernel "fft" \(used by layer "encoder\.spectral"\)/);
  });

  it('bad options: opset, null not first, output name count, not callable', async () => {
    const f = (x: Tensor) => x.relu();
    expect(catchErr(() => toOnnxBytes(f, { inputs: { x: [null, 2] }, opset: 11 })).message).toMatch(/opset 11 is not supported; use 13 to 18/);
    expect(catchErr(() => toOnnxBytes(f, { inputs: { x: [2, null] } })).message).toMatch(/null at axis 1/);
    expect(catchErr(() => toOnnxBytes(f, { inputs: { x: [null, 2] }, outputs: ['a', 'b'] })).message).toMatch(/2 output names given \(a, b\) but the model returned 1/);
    expect(catchErr(() => toOnnxBytes({} as never, { inputs: { x: [1] } }))).toBeInstanceOf(ExportOptionsError);
    await expect(exportOnnx(f, '/nonexistent-dir/m.onnx', { inputs: { x: [null, 2] } })).rejects.toThrow(/ENOENT/);
  });

  it('a model returning a record of tensors names its outputs by the keys', async () => {
    const { InferenceSession } = await import('../serve/session');
    const s = await InferenceSession.create(toOnnxBytes((x: Tensor) => ({ probs: x.softmax(), identity: x }), { inputs: { x: [null, 3] } }), { device: 'cpu' });
    expect(s.outputNames).toEqual(['probs', 'identity']);
    const r = await s.run({ x: randn([2, 3]) });
    expect(r.identity!.dims).toEqual([2, 3]);
  });

  it('writes producer, doc string, opset and names as given', async () => {
    const { fromBinary } = await import('@bufbuild/protobuf');
    const { ModelProtoSchema } = await import('../gen/onnx_pb');
    const w = randn([2, 2]);
    const bytes = toOnnxBytes((x: Tensor) => x.matmul(w), { inputs: { pixels: [null, 2] }, outputs: ['logits'], params: [['head.kernel', w]], opset: 16, docString: 'tiny', producer: { name: 'me', version: '9' } });
    const m = fromBinary(ModelProtoSchema, bytes);
    expect([m.producerName, m.producerVersion, m.docString, Number(m.opsetImport[0]!.version)]).toEqual(['me', '9', 'tiny', 16]);
    expect(m.graph!.input.map((i) => i.name)).toEqual(['pixels']);
    expect(m.graph!.output.map((i) => i.name)).toEqual(['logits']);
    const init = m.graph!.initializer[0]!;
    expect(init.name).toBe('head.kernel');
    // raw_data holds the float32 values little-endian.
    const dv = new DataView(init.rawData.buffer, init.rawData.byteOffset, init.rawData.byteLength);
    expect(dv.getFloat32(4, true)).toBeCloseTo(w.dataSync()[1]!, 6);
  });
});
