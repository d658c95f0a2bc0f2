import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TensorBoard } from './callback.js';
import { SummaryWriter } from './summary-writer.js';

// ---------------------------------------------------------------------------------------------
// An independent reader: bit-by-bit CRC-32C (no table, unlike the writer), TFRecord framing, and
// a minimal protobuf wire decoder. It shares no code with the writer.
// ---------------------------------------------------------------------------------------------
function crc32cBitwise(bytes: Uint8Array): number {
  let crc = ~0 >>> 0;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0x82f63b78 & -(crc & 1));
  }
  return ~crc >>> 0;
}
const mask = (c: number) => (((c >>> 15) | (c << 17)) + 0xa282ead8) >>> 0;

function readRecords(buf: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let o = 0;
  while (o < buf.length) {
    const len = Number(dv.getBigUint64(o, true));
    if (dv.getUint32(o + 8, true) !== mask(crc32cBitwise(buf.subarray(o, o + 8)))) throw new Error(`bad length crc at ${o}`);
    const data = buf.subarray(o + 12, o + 12 + len);
    if (dv.getUint32(o + 12 + len, true) !== mask(crc32cBitwise(data))) throw new Error(`bad data crc at ${o}`);
    out.push(data);
    o += 16 + len;
  }
  return out;
}

type Field = { no: number; wt: number; v: bigint | Uint8Array | DataView };
function fields(buf: Uint8Array): Field[] {
  const out: Field[] = [];
  let o = 0;
  const varint = () => {
    let r = 0n;
    let s = 0n;
    for (;;) {
      const b = buf[o++]!;
      r |= BigInt(b & 0x7f) << s;
      s += 7n;
      if (!(b & 0x80)) return r;
    }
  };
  while (o < buf.length) {
    const key = Number(varint());
    const no = key >> 3;
    const wt = key & 7;
    if (wt === 0) out.push({ no, wt, v: varint() });
    else if (wt === 1) { out.push({ no, wt, v: new DataView(buf.buffer, buf.byteOffset + o, 8) }); o += 8; }
    else if (wt === 5) { out.push({ no, wt, v: new DataView(buf.buffer, buf.byteOffset + o, 4) }); o += 4; }
    else if (wt === 2) { const n = Number(varint()); out.push({ no, wt, v: buf.subarray(o, o + n) }); o += n; }
    else throw new Error(`wire type ${wt}`);
  }
  return out;
}
const f64 = (f: Field) => (f.v as DataView).getFloat64(0, true);
const f32 = (f: Field) => (f.v as DataView).getFloat32(0, true);
const str = (f: Field) => new TextDecoder().decode(f.v as Uint8Array);
const packedDoubles = (b: Uint8Array) => Array.from({ length: b.length / 8 }, (_, i) => new DataView(b.buffer, b.byteOffset + 8 * i, 8).getFloat64(0, true));

interface Decoded { wallTime: number; step: number; fileVersion?: string; values: { tag: string; simple?: number; histo?: Record<string, number | number[]>; text?: string; plugin?: string; dtype?: number }[] }
function decodeEvent(buf: Uint8Array): Decoded {
  const ev: Decoded = { wallTime: 0, step: 0, values: [] };
  for (const f of fields(buf)) {
    if (f.no === 1) ev.wallTime = f64(f);
    else if (f.no === 2) ev.step = Number(f.v as bigint);
    else if (f.no === 3) ev.fileVersion = str(f);
    else if (f.no === 5) {
      for (const vf of fields(f.v as Uint8Array)) {
        const val: Decoded['values'][number] = { tag: '' };
        for (const g of fields(vf.v as Uint8Array)) {
          if (g.no === 1) val.tag = str(g);
          else if (g.no === 2) val.simple = f32(g);
          else if (g.no === 5) {
            const h: Record<string, number | number[]> = {};
            const names = ['', 'min', 'max', 'num', 'sum', 'sumSquares'];
            for (const hf of fields(g.v as Uint8Array)) {
              if (hf.no <= 5) h[names[hf.no]!] = f64(hf);
              else h[hf.no === 6 ? 'bucketLimit' : 'bucket'] = packedDoubles(hf.v as Uint8Array);
            }
            val.histo = h;
          } else if (g.no === 8) {
            for (const tf of fields(g.v as Uint8Array)) {
              if (tf.no === 1) val.dtype = Number(tf.v as bigint);
              if (tf.no === 8) val.text = str(tf);
            }
          } else if (g.no === 9) {
            const pd = fields(g.v as Uint8Array).find((x) => x.no === 1);
            if (pd) val.plugin = str(fields(pd.v as Uint8Array).find((x) => x.no === 1)!);
          }
        }
        ev.values.push(val);
      }
    }
  }
  return ev;
}
function readEventDir(dir: string): Decoded[] {
  const files = readdirSync(dir).filter((f) => f.startsWith('events.out.tfevents.'));
  expect(files).toHaveLength(1);
  return readRecords(readFileSync(join(dir, files[0]!))).map(decodeEvent);
}

describe('SummaryWriter', () => {
  it('writes framed events that decode back to the logged values', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nn-tb-'));
    const w = new SummaryWriter(dir);
    w.addScalar('loss', 0.25, 3, 1000.5);
    const values = Float32Array.from([-1, -0.5, 0, 0.5, 1, 1, Number.NaN]);
    w.addHistogram('w', values, 4, 4);
    w.addText('notes', 'héllo **world**', 5);
    w.close();
    const events = readEventDir(dir);
    expect(events[0]!.fileVersion).toBe('brain.Event:2');
    expect(events[1]).toMatchObject({ wallTime: 1000.5, step: 3, values: [{ tag: 'loss', simple: 0.25 }] });
    const h = events[2]!.values[0]!.histo!;
    // Exact: the values are dyadic, so sums are exact in float64; NaN is left out.
    expect(h).toEqual({ min: -1, max: 1, num: 6, sum: 1, sumSquares: 3.5, bucketLimit: [-0.5, 0, 0.5, 1], bucket: [1, 1, 1, 3] });
    expect(events[3]!.values[0]).toEqual({ tag: 'notes', text: 'héllo **world**', dtype: 7, plugin: 'text' });
  });

  it('detects a corrupted byte (the reader really checks CRCs)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nn-tb-'));
    const w = new SummaryWriter(dir);
    w.addScalar('a', 1, 0);
    w.close();
    const file = join(dir, readdirSync(dir)[0]!);
    const bytes = readFileSync(file);
    bytes[bytes.length - 6] ^= 1;
    writeFileSync(file, bytes);
    expect(() => readEventDir(dir)).toThrow(/bad data crc/);
  });
});

describe('TensorBoard callback', () => {
  const param = (values: number[], grad?: number[]) => ({
    shape: [values.length], dataSync: () => Float32Array.from(values),
    grad: grad ? { shape: [grad.length], dataSync: () => Float32Array.from(grad) } : null,
  });

  it('logs epoch/batch scalars, weight and gradient histograms, split into train/validation', async () => {
    const logDir = mkdtempSync(join(tmpdir(), 'nn-tb-run-'));
    const model = { namedParameters: () => [['dense.kernel', param([1, 2, 3], [0.1, 0.2, 0.3])], ['dense.bias', param([0, 0])]] as [string, ReturnType<typeof param>][] };
    const cb = new TensorBoard({ logDir, updateFreq: 'batch', notes: 'run notes' });
    cb.setModel(model);
    cb.onTrainBegin();
    const logged: number[] = [];
    for (let epoch = 0; epoch < 2; epoch++) {
      for (let b = 0; b < 3; b++) { const loss = 1 / (1 + epoch * 3 + b); logged.push(loss); cb.onBatchEnd!(b, { loss }); }
      cb.onEpochEnd(epoch, { loss: 0.5 - epoch * 0.1, accuracy: 0.75, val_loss: 0.6 - epoch * 0.1, val_accuracy: 0.5 });
    }
    cb.onTrainEnd();

    const train = readEventDir(join(logDir, 'train')).slice(1);
    const val = readEventDir(join(logDir, 'validation')).slice(1);
    const scalars = (evs: Decoded[], tag: string) => evs.flatMap((e) => e.values.filter((v) => v.tag === tag).map((v) => [e.step, v.simple!]));
    // float32 storage: values compared to 1e-7 relative (float32 has 24-bit mantissa, ~6e-8).
    const batch = scalars(train, 'batch_loss');
    expect(batch.map((x) => x[0])).toEqual([0, 1, 2, 3, 4, 5]);
    batch.forEach(([, v], i) => expect(v).toBeCloseTo(logged[i]!, 7));
    expect(scalars(train, 'epoch_loss').map(([s, v]) => [s, +v!.toFixed(6)])).toEqual([[0, 0.5], [1, 0.4]]);
    expect(scalars(train, 'epoch_accuracy')).toEqual([[0, 0.75], [1, 0.75]]);
    expect(scalars(val, 'epoch_loss').map(([s, v]) => [s, +v!.toFixed(6)])).toEqual([[0, 0.6], [1, 0.5]]);
    expect(scalars(val, 'epoch_accuracy')).toEqual([[0, 0.5], [1, 0.5]]);
    const tags = new Set(train.flatMap((e) => e.values.map((v) => v.tag)));
    expect([...tags].sort()).toEqual(['batch_loss', 'epoch_accuracy', 'epoch_loss', 'gradients/dense.kernel', 'notes', 'weights/dense.bias', 'weights/dense.kernel']);
    const wh = train.find((e) => e.values[0]!.tag === 'weights/dense.kernel')!.values[0]!.histo!;
    expect(wh).toMatchObject({ min: 1, max: 3, num: 3, sum: 6, sumSquares: 14 });
    const gh = train.find((e) => e.values[0]!.tag === 'gradients/dense.kernel')!.values[0]!.histo!;
    expect(gh.num).toBe(3);
    expect(gh.sum as number).toBeCloseTo(0.6, 6); // float32 inputs summed in float64
  });

  it('is listed by the Python tensorboard package when installed', (ctx) => {
    let has = false;
    try { execFileSync('/usr/bin/python3', ['-c', 'import tensorboard'], { stdio: 'ignore' }); has = true; } catch { /* not installed */ }
    // Note: python3 tensorboard is not installed on the build machine; this check runs only where it is.
    if (!has) return ctx.skip();
    const logDir = mkdtempSync(join(tmpdir(), 'nn-tb-py-'));
    const cb = new TensorBoard({ logDir: join(logDir, 'run1'), notes: 'n' });
    cb.onTrainBegin();
    cb.onEpochEnd(0, { loss: 1, val_loss: 2 });
    cb.onTrainEnd();
    const out = execFileSync('/usr/bin/python3', ['-c', `
from tensorboard.backend.event_processing import event_multiplexer as em
m = em.EventMultiplexer(); m.AddRunsFromDirectory(${JSON.stringify(logDir)}); m.Reload()
for run, tags in sorted(m.Runs().items()): print(run, sorted(tags['scalars']), sorted(tags['tensors']))
`]).toString();
    expect(out).toMatch(/run1\/train .*epoch_loss/);
    expect(out).toMatch(/run1\/validation .*epoch_loss/);
  });
});
