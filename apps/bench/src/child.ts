/**
 * Runs one benchmark in this (child) process and prints its result as JSON after a marker line, so
 * that the runner can parse it from stdout whatever else the benchmark prints.
 *
 *   tsx src/child.ts NAME '{"quick":false,"reps":5}'
 */
import { RESULT_MARKER } from './marker';
import { BENCHES, loadBench } from './registry';
import type { BenchOptions, BenchResult } from './types';

const [name, json] = process.argv.slice(2);
const opts = JSON.parse(json ?? '{}') as BenchOptions;
let result: BenchResult;
try {
  result = await (await loadBench(name!)).run(opts);
} catch (e) {
  const err = e as Error;
  console.error(err.stack ?? String(err));
  const known = BENCHES[name!];
  result = {
    name: name!, title: known?.title ?? name!, issues: known?.issues ?? [], status: 'failed', headlines: [], tables: [],
    notes: [`Failed: ${err.name}: ${err.message.split('\n')[0]!.slice(0, 300)}`],
  };
}
process.stdout.write(`\n${RESULT_MARKER}${JSON.stringify(result)}\n`);
// Worker pools, wasm threads or sessions left open must not keep the child alive.
process.exit(0);
