// What the Adam update and its elementwise passes cost in onnxruntime-node's CPU provider (one
// intra-op thread) next to PyTorch's CPU kernels, per element, at three sizes: 16,384 floats (fits
// L2), 401,408 (the main job's first weight, 784×512: L3) and 4,194,304 (a 2048×2048 weight: beyond
// L3 on a 2-core VM). The compiled step's update is ten nodes per weight (src/train-engine/adam-scale.ts:
// m̃' = β₁m̃ + g, ṽ' = β₂ṽ + g·g, w' = w − (s·m̃')/(√ṽ' + ε)); PyTorch's foreach Adam is eight
// passes, most of them in place.
//
// onnxruntime side: flat graphs of SHORT and LONG chained copies of one op (Add / Mul of two tensors,
// Mul by a scalar, Sqrt, Div) or of the whole ten-node update (each copy with its own gradient
// input, so no copy is a common subexpression of another); the cost of one copy is the difference
// of the two graphs' CPU times per run ÷ (LONG − SHORT), so a run's fixed costs (the call, the
// outputs' fresh buffers and their copy into JS) cancel. PyTorch side (/usr/bin/python3, when torch
// is installed, in a child process per round): the same ops out of place (`torch.add(a, b)` …),
// `mul_` in place, and a whole `Adam(foreach=True).step()`, with glibc's malloc kept from unmapping
// memory (apps/bench's PEER_MALLOC_ENV: otherwise the step page-faults on its temporaries).
// ROUNDS rounds, onnxruntime and PyTorch alternating and the order reversed every round; each
// number is the median over the rounds (min–max for the update). CPU time, one thread each.
//
// Run: npx tsx --tsconfig bench/tsconfig.json bench/elementwise.ts [--no-torch] [--rounds 3]
import { execFileSync } from 'node:child_process';
import * as ort from 'onnxruntime-node';
import { IrGraph } from '../src/export/ir';
import { serializeModel } from '../src/export/serialize';

const SIZES = [16_384, 401_408, 4_194_304];
const OPS = ['Add', 'Mul', 'MulScalar', 'Sqrt', 'Div'] as const;
type Op = (typeof OPS)[number] | 'Adam update';
const argv = process.argv.slice(2);
const ROUNDS = Number(argv.includes('--rounds') ? argv[argv.indexOf('--rounds') + 1] : 3);
const chainLen = (op: Op) => (op === 'Adam update' ? [1, 4] : [20, 120]);

function chain(op: Op, n: number, len: number): Uint8Array {
  const g = new IrGraph();
  const vec = (name: string) => ({ name, dtype: 'float32' as const, dims: [n] });
  const node = (type: string, inputs: string[], out = g.fresh('t')) => (g.nodes.push({ op: type, inputs, outputs: [out], attrs: {} }), out);
  if (op === 'Adam update') {
    // The shipped form's scalars: β₁, β₂, the step size s and the scaled ε.
    const [b1, b2, s, eps] = [0.9, 0.999, 1e-3, 1e-8].map((v) => g.scalar('float32', v));
    let [w, m, v] = ['w', 'm', 'v'];
    g.inputs = [vec('w'), vec('m'), vec('v')];
    for (let i = 0; i < len; i++) {
      const gi = `g${i}`;
      g.inputs.push(vec(gi));
      const last = i === len - 1;
      m = node('Add', [node('Mul', [m, b1!]), gi], last ? 'm_out' : undefined);
      v = node('Add', [node('Mul', [v, b2!]), node('Mul', [gi, gi])], last ? 'v_out' : undefined);
      w = node('Sub', [w, node('Div', [node('Mul', [m, s!]), node('Add', [node('Sqrt', [v]), eps!])])], last ? 'w_out' : undefined);
    }
    g.outputs = [vec('w_out'), vec('m_out'), vec('v_out')];
  } else {
    g.inputs = [vec('a'), vec('b')];
    const k = op === 'MulScalar' ? g.scalar('float32', 1.0001) : '';
    let prev = 'a';
    for (let i = 0; i < len; i++) {
      const ins = op === 'MulScalar' ? [prev, k] : op === 'Sqrt' ? [prev] : [prev, 'b'];
      prev = node(op === 'MulScalar' ? 'Mul' : op, ins, i === len - 1 ? 'y' : undefined);
    }
    g.outputs = [vec('y')];
  }
  return serializeModel(g, { opset: 17, producerName: 'nn-bench', producerVersion: '0', graphName: `chain_${op}` });
}

/** Sessions and feeds for one op and size, SHORT and LONG. */
async function open(op: Op, n: number) {
  const one = async (len: number) => {
    const s = await ort.InferenceSession.create(chain(op, n, len), { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
    // Values near 1 (chained Mul / Div / Sqrt stay normal floats); small positive gradients.
    const feeds: Record<string, ort.Tensor> = {};
    for (const name of s.inputNames) feeds[name] = new ort.Tensor('float32', new Float32Array(n).fill(name.startsWith('g') ? 1e-3 : name === 'b' ? 1.0001 : 1.5), [n]);
    for (let i = 0; i < 3; i++) await s.run(feeds);
    return { s, feeds, len };
  };
  const [lo, hi] = chainLen(op);
  return [await one(lo!), await one(hi!)] as const;
}

/** CPU ns per copy per element: a block of runs of each graph, the difference ÷ the extra copies. */
async function ortCost(pair: Awaited<ReturnType<typeof open>>, n: number): Promise<number> {
  const block = async ({ s, feeds, len }: (typeof pair)[number]) => {
    const reps = Math.max(3, Math.round(1e8 / (n * len * (len > 10 ? 1 : 10))));
    const c0 = process.cpuUsage();
    for (let i = 0; i < reps; i++) await s.run(feeds);
    const c = process.cpuUsage(c0);
    return ((c.user + c.system) * 1000) / reps;
  };
  const diffs: number[] = [];
  for (let r = 0; r < 3; r++) diffs.push((await block(pair[1])) - (await block(pair[0])));
  return diffs.sort((p, q) => p - q)[1]! / ((pair[1].len - pair[0].len) * n);
}

const TORCH = `
import json, sys, time, torch
torch.set_num_threads(1); torch.set_flush_denormal(True)
out = {}
for n in json.loads(sys.argv[1]):
    a, b = torch.rand(n) + 0.5, torch.rand(n) + 0.5
    k = max(5, int(4e7 // n // 4))
    def cost(f):
        f(); best = []
        for _ in range(3):
            c0 = time.process_time()
            for _ in range(k): f()
            best.append((time.process_time() - c0) / k / n * 1e9)
        return sorted(best)[1]
    p = torch.nn.Parameter(torch.randn(n) * 0.1); p.grad = torch.randn(n) * 0.01
    opt = torch.optim.Adam([p], lr=1e-3, foreach=True)
    out[n] = {'Add': cost(lambda: torch.add(a, b)), 'Mul': cost(lambda: torch.mul(a, b)), 'MulScalar': cost(lambda: torch.mul(a, 1.0001)),
              'Sqrt': cost(lambda: torch.sqrt(a)), 'Div': cost(lambda: torch.div(a, b)), 'mul_ in place': cost(lambda: a.mul_(1.0)),
              'Adam update': cost(opt.step)}
print(json.dumps(out))
`;

type Costs = Record<number, Record<string, number>>;

function torchRound(): Costs | string {
  try {
    // apps/bench's PEER_MALLOC_ENV (1 GiB thresholds), as its PyTorch cells run.
    const env: NodeJS.ProcessEnv = { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MALLOC_MMAP_THRESHOLD_: String(2 ** 30), MALLOC_TRIM_THRESHOLD_: String(2 ** 30) };
    return JSON.parse(execFileSync('/usr/bin/python3', ['-c', TORCH, JSON.stringify(SIZES)], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })) as Costs;
  } catch (e) {
    return `PyTorch not measured: ${(e as Error).message.split('\n')[0]}`;
  }
}

const ROWS: Op[] = [...OPS, 'Adam update'];
const sessions = new Map<string, Awaited<ReturnType<typeof open>>>();
for (const n of SIZES) for (const op of ROWS) sessions.set(`${op}|${n}`, await open(op, n));
const ours: Costs[] = [], peer: Costs[] = [];
let torchError = argv.includes('--no-torch') ? 'PyTorch skipped (--no-torch)' : '';
for (let r = 0; r < ROUNDS; r++) {
  const sides = [async () => {
    const c: Costs = {};
    for (const n of SIZES) {
      c[n] = {};
      for (const op of ROWS) c[n]![op] = await ortCost(sessions.get(`${op}|${n}`)!, n);
    }
    ours.push(c);
  }, async () => {
    if (torchError) return;
    const t = torchRound();
    if (typeof t === 'string') torchError = t;
    else peer.push(t);
  }];
  for (const side of r % 2 ? sides.reverse() : sides) await side();
}
const median = (v: number[]) => [...v].sort((p, q) => p - q)[v.length >> 1]!;
const cell = (runs: Costs[], n: number, op: string, spread = false) => {
  const v = runs.map((c) => c[n]?.[op]).filter((x): x is number => x !== undefined);
  if (!v.length) return '—';
  return spread ? `${median(v).toFixed(2)} (${Math.min(...v).toFixed(2)}–${Math.max(...v).toFixed(2)})` : median(v).toFixed(3);
};
console.log(`ns per element, 1 thread, median of ${ROUNDS} interleaved rounds (onnxruntime-node: long less short chains)`);
console.log(`| op | ${SIZES.map((n) => `ort ${n}`).join(' | ')} | ${SIZES.map((n) => `torch ${n}`).join(' | ')} |`);
console.log(`|---|${SIZES.map(() => '---').join('|')}|${SIZES.map(() => '---').join('|')}|`);
for (const op of [...OPS, 'mul_ in place', 'Adam update']) {
  const spread = op === 'Adam update';
  console.log(`| ${op} | ${SIZES.map((n) => cell(ours, n, op, spread)).join(' | ')} | ${SIZES.map((n) => cell(peer, n, op, spread)).join(' | ')} |`);
}
if (peer.length) {
  // Per round: our update ÷ PyTorch's, the same round.
  const ratio = (n: number) => ours.map((o, i) => o[n]!['Adam update']! / peer[i]![n]!['Adam update']!);
  console.log(`update, onnxruntime ÷ PyTorch (per round, median (min–max)): ${SIZES.map((n) => `${n}: ${median(ratio(n)).toFixed(2)} (${Math.min(...ratio(n)).toFixed(2)}–${Math.max(...ratio(n)).toFixed(2)})`).join(', ')}`);
}
if (torchError) console.log(torchError);
for (const [lo, hi] of sessions.values()) await Promise.all([lo.s.release(), hi.s.release()]);
