// Shared by the tests (not exported from the package).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { noGrad, Tensor } from '@nn/core';
import { callModel, toOnnxBytes, type ExportOptions } from './export/export';
import { InferenceSession } from './serve/session';

export const PYTHON = '/usr/bin/python3';
export const tmp = (): string => mkdtempSync(join(tmpdir(), 'nn-onnx-'));

/**
 * Run the ONNX reference checker (python3-onnx, full_check) on files; returns the failures
 * as "file: message" (empty when all pass).
 */
export function onnxCheck(files: readonly string[]): string[] {
  const script = [
    'import onnx, sys',
    'for f in sys.argv[1:]:',
    '    try:',
    '        onnx.checker.check_model(onnx.load(f), full_check=True)',
    '    except Exception as e:',
    '        print(f + ": " + str(e).replace("\\n", " "))',
  ].join('\n');
  const out = execFileSync(PYTHON, ['-c', script, ...files], { encoding: 'utf8' });
  return out.split('\n').filter(Boolean);
}

const flat = (r: unknown, out: Tensor[] = []): Tensor[] => {
  if (r instanceof Tensor) out.push(r);
  else if (Array.isArray(r)) r.forEach((x) => flat(x, out));
  else if (r && typeof r === 'object') Object.values(r).forEach((x) => flat(x, out));
  return out;
};

/** Max |a − b| over two arrays (Infinity when lengths differ). */
export function maxAbs(a: ArrayLike<number | bigint>, b: ArrayLike<number | bigint>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(Number(a[i]) - Number(b[i]));
    m = Number.isNaN(d) ? (Number(a[i]) === Number(b[i]) || (Number.isNaN(Number(a[i])) && Number.isNaN(Number(b[i]))) ? m : Infinity) : Math.max(m, d);
  }
  return m;
}

/**
 * Export `model`, write it into `dir`, and compare onnxruntime with the nn eval outputs for each
 * batch size. Returns the file and the worst difference per batch size.
 */
export async function roundTrip(
  dir: string,
  name: string,
  model: (...xs: Tensor[]) => unknown,
  opts: ExportOptions,
  makeInputs: (batch: number) => Tensor[],
  batches: readonly number[] = [1, 64],
): Promise<{ file: string; errors: Record<number, number>; scale: Record<number, number>; session: InferenceSession }> {
  const bytes = toOnnxBytes(model, opts);
  const file = join(dir, `${name}.onnx`);
  writeFileSync(file, bytes);
  const session = await InferenceSession.create(bytes, { device: 'cpu', threads: 1 });
  const errors: Record<number, number> = {}, scale: Record<number, number> = {};
  for (const b of batches) {
    const xs = makeInputs(b);
    const m = model as { eval?: () => void; train?: (m?: boolean) => void; training?: boolean };
    const was = m.training;
    m.eval?.();
    const want = flat(noGrad(() => callModel(model, xs)));
    if (was) m.train?.(true);
    const feeds = Object.fromEntries(session.inputNames.map((n, i) => [n, xs[i]!]));
    const got = await session.run(feeds);
    errors[b] = Math.max(...session.outputNames.map((n, i) => maxAbs(want[i]!.dataSync(), got[n]!.data)));
    scale[b] = Math.max(...want.map((t) => maxAbs(t.dataSync(), new Float32Array(t.size))));
  }
  return { file, errors, scale, session };
}
