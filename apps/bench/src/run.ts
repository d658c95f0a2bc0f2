/**
 * The nn benchmark suite: runs every benchmark (each in a child process of its own, each against its
 * peer in the same run), prints progress, and writes apps/bench/RESULTS.md atomically.
 *
 *   npm run bench                              (from the repo root: builds, then runs everything)
 *   npm run bench -w apps/bench -- --quick     (fewer repetitions, smaller sizes, no 2 GB CSV)
 *   npm run bench -w apps/bench -- --only fit-epoch,onnx-infer [--reps 5] [--out FILE]
 */
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '@nn/core';
import { RESULT_MARKER } from './marker';
import { machineInfo } from './machine';
import { blasNote, PEER_BLAS_ENV, peerBlas } from './python';
import { BENCHES } from './registry';
import { renderReport } from './report';
import type { BenchOptions, BenchResult } from './types';

const HERE = dirname(fileURLToPath(import.meta.url));
const USAGE = 'usage: npm run bench -w apps/bench -- [--quick] [--only name,name] [--reps N] [--out FILE]\n' + `benchmarks: ${Object.keys(BENCHES).join(', ')}`;

/** A command-line mistake: one line and the usage, no stack. */
class UsageError extends Error {}

interface Args {
  quick: boolean;
  only: string[];
  reps: number;
  out: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { quick: false, only: Object.keys(BENCHES), reps: 0, out: join(HERE, '..', 'RESULTS.md') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${a} needs a value`);
      return v;
    };
    if (a === '--quick') args.quick = true;
    else if (a === '--only') {
      args.only = value().split(',').map((s) => s.trim()).filter(Boolean);
      const unknown = args.only.filter((n) => !(n in BENCHES));
      if (unknown.length) throw new UsageError(`--only: unknown benchmark ${unknown.map((n) => `"${n}"`).join(', ')}`);
    } else if (a === '--reps') {
      args.reps = Number(value());
      if (!Number.isInteger(args.reps) || args.reps < 1) throw new UsageError(`--reps: expected a positive integer, got "${argv[i]}"`);
    } else if (a === '--out') args.out = resolve(process.env.INIT_CWD ?? process.cwd(), value());
    else if (a === '--help' || a === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new UsageError(`unknown option "${a}"`);
  }
  if (args.reps === 0) args.reps = args.quick ? 3 : 5;
  return args;
}

/** Runs one benchmark in a child process (tsx), echoing its output, and parses its result line. */
function runChild(name: string, opts: BenchOptions, timeoutMs: number): Promise<BenchResult> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(HERE, 'child.ts'), name, JSON.stringify(opts)], {
      cwd: join(HERE, '..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let result: BenchResult | undefined;
    let pending = '';
    const errTail: string[] = [];
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        if (line.startsWith(RESULT_MARKER)) result = JSON.parse(line.slice(RESULT_MARKER.length)) as BenchResult;
        else if (line.trim()) console.log(`  [${name}] ${line.slice(0, 300)}`);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      for (const line of chunk.split('\n')) if (line.trim()) errTail.push(line.slice(0, 300));
      errTail.splice(0, Math.max(0, errTail.length - 5));
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (pending.startsWith(RESULT_MARKER)) result = JSON.parse(pending.slice(RESULT_MARKER.length)) as BenchResult;
      const known = BENCHES[name]!;
      done(
        result ?? {
          name, title: known.title, issues: known.issues, status: 'failed', headlines: [], tables: [],
          notes: [`The benchmark process ended (${signal ? `signal ${signal}${signal === 'SIGKILL' ? `, time limit ${timeoutMs / 1000} s` : ''}` : `exit ${code}`}) without a result. Last stderr: ${errTail.join(' / ') || '(none)'}`],
        },
      );
    });
  });
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const machine = machineInfo();
  console.log(`nn bench: ${args.only.join(', ')}${args.quick ? ' (quick)' : ''}; ${machine.cpu}, ${machine.cores} cores; load ${machine.load[0]!.toFixed(2)}`);
  const t0 = performance.now();
  // The peer's BLAS kernel, probed once here: every bench (a child process each) runs its peers on the same one.
  const blas = peerBlas();
  process.env[PEER_BLAS_ENV] = JSON.stringify(blas);
  if (Object.keys(blas.gflops).length) console.log(`peer BLAS: ${blasNote(blas)}`);
  const results: BenchResult[] = [];
  for (const name of args.only) {
    const t = performance.now();
    console.log(`▶ ${name}: ${BENCHES[name]!.title}`);
    const r = await runChild(name, { quick: args.quick, reps: args.reps }, (args.quick ? 10 : 40) * 60_000);
    r.seconds = (performance.now() - t) / 1000;
    results.push(r);
    for (const h of r.headlines) console.log(`  ${h.measure}: ${h.valueText ?? `ratio ${h.ratio === null ? '—' : h.ratio.toFixed(3)}`} (target ${h.target})${h.met === false ? ' — NOT MET' : ''}`);
    console.log(`  ${r.status} in ${r.seconds.toFixed(0)} s`);
  }
  const command = `npm run bench${args.quick || args.only.length < Object.keys(BENCHES).length ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const md = renderReport(results, { machine, loadAtEnd: loadavg(), command, quick: args.quick, reps: args.reps, totalSeconds: (performance.now() - t0) / 1000 });
  await writeFileAtomic(args.out, md);
  console.log(`wrote ${args.out}`);
  if (results.some((r) => r.status === 'failed')) process.exitCode = 1;
}

main().catch((e: unknown) => {
  if (e instanceof UsageError) {
    console.error(`bench: ${e.message}\n${USAGE}`);
    process.exit(2);
  }
  throw e;
});
