// What one elementwise pass costs in onnxruntime-node's CPU provider (one intra-op thread) next to
// PyTorch's CPU kernels, per element, at three sizes: 16,384 floats (fits L2), 401,408 (the main
// job's first weight, 784×512: L3) and 4,194,304 (a 2048×2048 weight: beyond L3 on a 2-core VM).
// The Adam update of a compiled step is ten such passes per weight (src/train-engine/adam-scale.ts);
// PyTorch's foreach Adam is eight, most of them in place. This shows why the two engines tie on
// the small and middle sizes and PyTorch wins the large one.
//
// onnxruntime side: flat graphs of 20 and of 120 chained nodes of one op (Add / Mul of two tensors,
// Mul by a scalar, Sqrt, Div); the cost per node is the difference of their CPU times per run ÷ 100,
// so a run's fixed costs (the call, the graph output's fresh buffer and its copy into JS) cancel.
// PyTorch side (/usr/bin/python3, when torch is installed): the same ops out of place
// (`torch.add(a, b)` …), `mul_` in place, and a whole foreach Adam step, per element. PyTorch runs
// with glibc's malloc kept from returning memory to the kernel (MALLOC_MMAP_THRESHOLD_ /
// MALLOC_TRIM_THRESHOLD_): a short script otherwise page-faults on the Adam step's fresh temporaries
// every step (5 – 28 ns per element at 401,408 instead of 1.0 – 1.1 measured here; the long-running
// bench cells reach the fast state by themselves — checked: the same ms per step with and without).
//
// Run: npx tsx --tsconfig bench/tsconfig.json bench/elementwise.ts [--no-torch]
import { execFileSync } from 'node:child_process';
import * as ort from 'onnxruntime-node';
import { IrGraph } from '../src/export/ir';
import { serializeModel } from '../src/export/serialize';

const SIZES = [16_384, 401_408, 4_194_304];
const OPS = ['Add', 'Mul', 'MulScalar', 'Sqrt', 'Div'] as const;
const SHORT = 20, LONG = 120;

function chain(op: (typeof OPS)[number], n: number, CHAIN: number): Uint8Array {
  const g = new IrGraph();
  g.inputs = [{ name: 'a', dtype: 'float32', dims: [n] }, { name: 'b', dtype: 'float32', dims: [n] }];
  let prev = 'a';
  const s = op === 'MulScalar' ? g.scalar('float32', 1.0001) : '';
  for (let i = 0; i < CHAIN; i++) {
    const out = i === CHAIN - 1 ? 'y' : `x${i}`;
    const [type, inputs] = op === 'MulScalar' ? ['Mul', [prev, s]] : op === 'Sqrt' ? ['Sqrt', [prev]] : [op, [prev, 'b']];
    g.nodes.push({ op: type, inputs, outputs: [out], attrs: {} });
    prev = out;
  }
  g.outputs = [{ name: 'y', dtype: 'float32', dims: [n] }];
  return serializeModel(g, { opset: 17, producerName: 'nn-bench', producerVersion: '0', graphName: `chain_${op}` });
}

/** CPU ns per run of a chain of `len` nodes (median of 5 blocks). */
async function runCost(op: (typeof OPS)[number], n: number, len: number): Promise<number> {
  const s = await ort.InferenceSession.create(chain(op, n, len), { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
  // Values near 1 so that the chained Mul / Div / Sqrt stay normal floats.
  const feeds = { a: new ort.Tensor('float32', new Float32Array(n).fill(1.5), [n]), b: new ort.Tensor('float32', new Float32Array(n).fill(1.0001), [n]) };
  for (let i = 0; i < 3; i++) await s.run(feeds);
  const reps = Math.max(5, Math.round(2e8 / (n * len)));
  const per: number[] = [];
  for (let r = 0; r < 5; r++) {
    const c0 = process.cpuUsage();
    for (let i = 0; i < reps; i++) await s.run(feeds);
    const c = process.cpuUsage(c0);
    per.push(((c.user + c.system) * 1000) / reps);
  }
  await s.release();
  return per.sort((p, q) => p - q)[2]!;
}

/** CPU ns per node per element: the 120-node chain less the 20-node one, ÷ 100 nodes. */
async function ortCost(op: (typeof OPS)[number], n: number): Promise<number> {
  const short = await runCost(op, n, SHORT), long = await runCost(op, n, LONG);
  return (long - short) / ((LONG - SHORT) * n);
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
        for _ in range(5):
            c0 = time.process_time()
            for _ in range(k): f()
            best.append((time.process_time() - c0) / k / n * 1e9)
        return sorted(best)[2]
    p = torch.nn.Parameter(torch.randn(n) * 0.1); p.grad = torch.randn(n) * 0.01
    opt = torch.optim.Adam([p], lr=1e-3, foreach=True)
    out[n] = {'Add': cost(lambda: torch.add(a, b)), 'Mul': cost(lambda: torch.mul(a, b)), 'MulScalar': cost(lambda: torch.mul(a, 1.0001)),
              'Sqrt': cost(lambda: torch.sqrt(a)), 'Div': cost(lambda: torch.div(a, b)), 'mul_ in place': cost(lambda: a.mul_(1.0)),
              'Adam step (foreach)': cost(opt.step)}
print(json.dumps(out))
`;

function torchCosts(): Record<number, Record<string, number>> | string {
  try {
    const env: NodeJS.ProcessEnv = { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MALLOC_MMAP_THRESHOLD_: String(2 ** 28), MALLOC_TRIM_THRESHOLD_: String(2 ** 30) };
    delete env.OPENBLAS_CORETYPE;
    return JSON.parse(execFileSync('/usr/bin/python3', ['-c', TORCH, JSON.stringify(SIZES)], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })) as Record<number, Record<string, number>>;
  } catch (e) {
    return `PyTorch not measured: ${(e as Error).message.split('\n')[0]}`;
  }
}

const rows: string[] = [];
const ours: Record<number, Record<string, number>> = {};
for (const n of SIZES) {
  ours[n] = {};
  for (const op of OPS) ours[n]![op] = await ortCost(op, n);
}
const peer = process.argv.includes('--no-torch') ? 'PyTorch skipped (--no-torch)' : torchCosts();
console.log(`ns per element per pass, 1 thread (median of 5 blocks; onnxruntime-node: ${LONG}- less ${SHORT}-node chains)`);
console.log(`| op | ${SIZES.map((n) => `ort ${n}`).join(' | ')} | ${SIZES.map((n) => `torch ${n}`).join(' | ')} |`);
console.log(`|---|${SIZES.map(() => '---').join('|')}|${SIZES.map(() => '---').join('|')}|`);
for (const op of [...OPS, 'mul_ in place', 'Adam step (foreach)']) {
  const o = SIZES.map((n) => (ours[n]![op] === undefined ? '—' : ours[n]![op]!.toFixed(3)));
  const t = SIZES.map((n) => (typeof peer === 'string' || peer[n]?.[op] === undefined ? '—' : peer[n]![op]!.toFixed(3)));
  rows.push(`| ${op} | ${o.join(' | ')} | ${t.join(' | ')} |`);
}
console.log(rows.join('\n'));
if (typeof peer === 'string') console.log(peer);
