/**
 * Big-data splits: with a million examples, 98/1/1 (980,000 / 10,000 / 10,000) still leaves
 * 10,000 examples to validate and test on. The split runs on a generated stream that is never
 * held in memory: exact sizes, disjoint parts, the same rows on every pass.
 *
 *   npx tsx src/big-data-splits.ts
 */
import { Dataset, splits, countsFromRatios } from '@nn/data';
import { check, printTable, runIfMain, type ExampleOptions } from './common';

interface Row { id: number; x: Float32Array; y: number }

/** A stream of `total` rows made on the fly (think: a file too big for RAM). */
function bigStream(total: number): Dataset<Row> {
  return Dataset.fromGenerator(function* () {
    const x = new Float32Array(4);
    for (let id = 0; id < total; id++) {
      x[0] = Math.sin(id);
      yield { id, x, y: id % 10 };   // the same buffer each row: nothing accumulates
    }
  }, { length: total });
}

export async function main(opts: ExampleOptions = {}): Promise<void> {
  const total = 1_000_000; // ~2 s for three passes, so the smoke test runs the real size too
  void opts;
  const ds = bigStream(total);
  console.log(`ratios [0.98, 0.01, 0.01] of ${total.toLocaleString('en-US')} rows → counts ${countsFromRatios(total, [0.98, 0.01, 0.01]).map((c) => c.toLocaleString('en-US')).join(' / ')}`);
  const [train, val, test] = splits(ds, [0.98, 0.01, 0.01], { seed: 1 });   // 980k/10k/10k style

  // Which part each row went to: one byte per row id, only to check (the data itself is never kept).
  const part = new Uint8Array(total);
  const heap0 = process.memoryUsage().heapUsed;
  let peak = heap0;
  const rows: Record<string, string | number>[] = [];
  const counts: number[] = [];
  const t0 = performance.now();
  for (const [k, [name, d]] of ([['train', train!], ['val', val!], ['test', test!]] as const).entries()) {
    let n = 0, first = -1;
    for await (const r of d) {
      if (part[r.id]) throw new Error(`row ${r.id} is in two parts`);
      part[r.id] = k + 1;
      if (first < 0) first = r.id;
      if ((++n & 0xffff) === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
    }
    counts.push(n);
    rows.push({ part: name, rows: n.toLocaleString('en-US'), 'first row id': first });
  }
  const seconds = (performance.now() - t0) / 1000;
  printTable(rows);
  console.log(`3 streaming passes over ${total.toLocaleString('en-US')} rows in ${seconds.toFixed(1)} s; heap grew by at most ${((peak - heap0) / 2 ** 20).toFixed(1)} MiB`);
  check(part.every((p) => p !== 0), 'every row is in exactly one part');
  check(counts[1] === total / 100 && counts[2] === total / 100, 'validation and test are exactly 1% each');

  // Replayed: a second pass over the validation part gives the same rows in the same order.
  const ids: number[] = [];
  for await (const r of val!.take(5)) ids.push(r.id);
  const again: number[] = [];
  for await (const r of val!.take(5)) again.push(r.id);
  console.log(`val ids, pass 1: ${ids.join(', ')} …; pass 2: ${again.join(', ')} …`);
  check(ids.join() === again.join(), 'the split is the same on every pass');
  console.log('Tip: shuffle after splitting, and .cache() the small parts so the big stream is read once per epoch for training only.');
}

runIfMain(import.meta.url, main);
