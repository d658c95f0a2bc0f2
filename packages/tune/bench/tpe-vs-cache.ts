/**
 * Cheap iteration on the TPE sampler: runs only nn's side of apps/bench's `tpe` bench and prints
 * nn TPE ÷ Optuna TPE per problem against Optuna regrets saved earlier from the peer
 * (apps/bench/peers/tpe_optuna.py's JSON line). Not a result: the bench measures both in one run.
 *
 *   npx tsx packages/tune/bench/tpe-vs-cache.ts /tmp/optuna-regrets.json '{"multivariate":false}' [seeds] [trials] [problem indices]
 *
 * SEED_BASE=2000 runs seeds 2000… (give it an Optuna JSON of the same seeds).
 */
import { readFileSync } from 'node:fs';
import { Rng, tpe, type TpeOptions } from '../src/index.js';
import { PROBLEMS, nnRegrets } from './problems.js';

const KEYS = ['branin', 'hartmann6', 'conditional', 'mixed', 'noisy_hartmann3', 'log_scale'];
const [cachePath, optsJson = '{}', seedsArg = '30', trialsArg = '100', only] = process.argv.slice(2);
if (!cachePath) throw new Error('usage: tpe-vs-cache.ts <optuna JSON> [tpe options JSON] [seeds] [trials] [problem indices, e.g. 0,3]');
const cache = JSON.parse(readFileSync(cachePath, 'utf8').trim().split('\n').pop()!) as { regrets: Record<string, { tpe: number[] }> };
const options = JSON.parse(optsJson) as TpeOptions;
const seeds = Number(seedsArg);
const trials = Number(trialsArg);
/** First seed (the peer's seeds must match; apps/bench uses 1000). */
const seedBase = Number(process.env.SEED_BASE ?? 1000);
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
function interval(a: number[], b: number[]): [number, number] {
  const rng = new Rng(19);
  const draw = (xs: number[]): number[] => xs.map(() => xs[rng.int(xs.length)]!);
  const rs = Array.from({ length: 2000 }, () => median(draw(a)) / median(draw(b))).sort((x, y) => x - y);
  return [rs[100]!, rs[1900]!];
}
const picks = only ? only.split(',').map(Number) : PROBLEMS.map((_, i) => i);
const logs: number[] = [];
for (const i of picks) {
  const p = PROBLEMS[i]!;
  const o = cache.regrets[KEYS[i]!]!.tpe.slice(0, seeds);
  const { regrets, msPerStudy } = await nnRegrets(p, tpe(options), { seeds, trials, seedBase });
  const r = median(regrets) / median(o);
  const [lo, hi] = interval(regrets, o);
  let win = 0;
  for (const x of regrets) for (const y of o) win += x < y ? 1 : x === y ? 0.5 : 0;
  logs.push(Math.log(r));
  console.log(`${p.name.padEnd(36)} nn ${median(regrets).toPrecision(3).padStart(9)}  optuna ${median(o).toPrecision(3).padStart(9)}  ratio ${r.toFixed(3)} (${lo.toFixed(2)}–${hi.toFixed(2)})  P(nn<opt) ${Math.round((100 * win) / (regrets.length * o.length))}%  ${msPerStudy.toFixed(0)} ms/study`);
}
console.log(`${optsJson}: geometric mean ratio ${Math.exp(logs.reduce((a, b) => a + b, 0) / logs.length).toFixed(3)}, max ${Math.exp(Math.max(...logs)).toFixed(3)}`);
