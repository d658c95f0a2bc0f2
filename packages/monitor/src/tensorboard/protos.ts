/**
 * Encoders for the few TensorFlow protobuf messages an event file needs, written with
 * `@bufbuild/protobuf`'s BinaryWriter. Field numbers follow tensorflow/core/util/event.proto,
 * tensorflow/core/framework/summary.proto, tensor.proto and tensor_shape.proto.
 */
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';

/** Histogram statistics and buckets (`HistogramProto`). */
export interface Histogram {
  min: number;
  max: number;
  num: number;
  sum: number;
  sumSquares: number;
  /** Right edge of each bucket; bucket i covers (bucketLimit[i-1], bucketLimit[i]]. */
  bucketLimit: number[];
  /** Count in each bucket. */
  bucket: number[];
}

/** One `Summary.Value`. */
export type SummaryValue =
  | { tag: string; kind: 'scalar'; value: number }
  | { tag: string; kind: 'histogram'; histogram: Histogram }
  | { tag: string; kind: 'text'; text: string };

/** DataType.DT_STRING in tensorflow/core/framework/types.proto. */
const DT_STRING = 7;

function writeHistogram(w: BinaryWriter, h: Histogram): void {
  w.tag(1, WireType.Bit64).double(h.min);
  w.tag(2, WireType.Bit64).double(h.max);
  w.tag(3, WireType.Bit64).double(h.num);
  w.tag(4, WireType.Bit64).double(h.sum);
  w.tag(5, WireType.Bit64).double(h.sumSquares);
  w.tag(6, WireType.LengthDelimited).fork();
  for (const x of h.bucketLimit) w.double(x);
  w.join();
  w.tag(7, WireType.LengthDelimited).fork();
  for (const x of h.bucket) w.double(x);
  w.join();
}

function writeValue(w: BinaryWriter, v: SummaryValue): void {
  w.tag(1, WireType.LengthDelimited).string(v.tag);
  if (v.kind === 'scalar') {
    w.tag(2, WireType.Bit32).float(v.value); // simple_value
  } else if (v.kind === 'histogram') {
    w.tag(5, WireType.LengthDelimited).fork(); // histo
    writeHistogram(w, v.histogram);
    w.join();
  } else {
    // tensor (8): a DT_STRING scalar; metadata (9): plugin_data { plugin_name: "text" }
    w.tag(8, WireType.LengthDelimited).fork();
    w.tag(1, WireType.Varint).int32(DT_STRING);
    w.tag(2, WireType.LengthDelimited).fork().join(); // tensor_shape: scalar (no dims)
    w.tag(8, WireType.LengthDelimited).bytes(new TextEncoder().encode(v.text)); // string_val
    w.join();
    w.tag(9, WireType.LengthDelimited).fork();
    w.tag(1, WireType.LengthDelimited).fork(); // plugin_data
    w.tag(1, WireType.LengthDelimited).string('text');
    w.join();
    w.join();
  }
}

/** Encodes an `Event` carrying a `Summary` with the given values. */
export function encodeSummaryEvent(wallTime: number, step: number, values: SummaryValue[]): Uint8Array {
  const w = new BinaryWriter();
  w.tag(1, WireType.Bit64).double(wallTime);
  w.tag(2, WireType.Varint).int64(step);
  w.tag(5, WireType.LengthDelimited).fork();
  for (const v of values) {
    w.tag(1, WireType.LengthDelimited).fork();
    writeValue(w, v);
    w.join();
  }
  w.join();
  return w.finish();
}

/** Encodes the first `Event` of every file: `file_version: "brain.Event:2"`. */
export function encodeFileVersionEvent(wallTime: number): Uint8Array {
  const w = new BinaryWriter();
  w.tag(1, WireType.Bit64).double(wallTime);
  w.tag(3, WireType.LengthDelimited).string('brain.Event:2');
  return w.finish();
}

/**
 * Histogram of the finite values in `values` with `bins` equal-width buckets between min and max
 * (non-finite values are left out and counted in `nonFinite`).
 */
export function makeHistogram(values: ArrayLike<number>, bins = 30): Histogram & { nonFinite: number } {
  let min = Infinity;
  let max = -Infinity;
  let num = 0;
  let sum = 0;
  let sumSquares = 0;
  let nonFinite = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    if (!Number.isFinite(x)) { nonFinite++; continue; }
    if (x < min) min = x;
    if (x > max) max = x;
    num++;
    sum += x;
    sumSquares += x * x;
  }
  if (num === 0) return { min: 0, max: 0, num: 0, sum: 0, sumSquares: 0, bucketLimit: [], bucket: [], nonFinite };
  if (min === max) {
    return { min, max, num, sum, sumSquares, bucketLimit: [max], bucket: [num], nonFinite };
  }
  const width = (max - min) / bins;
  const bucket = new Array<number>(bins).fill(0);
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    if (!Number.isFinite(x)) continue;
    bucket[Math.min(bins - 1, Math.floor((x - min) / width))]!++;
  }
  const bucketLimit = bucket.map((_, i) => (i === bins - 1 ? max : min + (i + 1) * width));
  return { min, max, num, sum, sumSquares, bucketLimit, bucket, nonFinite };
}
