import { noGrad, Tensor } from '@nn/core';
import { callModel, type ExportableModel } from '../export/export';
import { InferenceSession } from './session';

/** Result of {@link compareWithModel}. */
export interface ParityReport {
  /** Largest |nn − onnxruntime| over every output element. */
  maxAbsDiff: number;
  /** The same, per output name. */
  perOutput: Record<string, number>;
}

function flatten(r: unknown, out: Tensor[] = []): Tensor[] {
  if (r instanceof Tensor) out.push(r);
  else if (Array.isArray(r)) r.forEach((x) => flatten(x, out));
  else if (r && typeof r === 'object') Object.values(r).forEach((x) => flatten(x, out));
  return out;
}

/**
 * Run the same inputs through the nn model (in eval mode, without gradients) and through the
 * session, and report the largest absolute difference of the outputs.
 *
 * @param model - The model that was exported.
 * @param session - The session serving its export.
 * @param inputs - One tensor, or tensors by input name (in the session's input order when calling the model).
 * @example
 * ```ts
 * const { maxAbsDiff } = await compareWithModel(model, session, { x: randn([64, 784]) });
 * ```
 */
export async function compareWithModel(
  model: ExportableModel | ((...xs: Tensor[]) => unknown),
  session: InferenceSession,
  inputs: Tensor | Readonly<Record<string, Tensor>>,
): Promise<ParityReport> {
  const byName: Record<string, Tensor> = inputs instanceof Tensor ? { [session.inputNames[0]!]: inputs } : { ...inputs };
  const args = session.inputNames.map((n) => byName[n]!);
  const m = model as ExportableModel;
  const wasTraining = m.training;
  if (typeof m.eval === 'function') m.eval();
  let ours: Tensor[];
  try {
    ours = flatten(noGrad(() => callModel(m, args)));
  } finally {
    if (wasTraining && typeof m.train === 'function') m.train(true);
  }
  const theirs = await session.run(byName);
  const perOutput: Record<string, number> = {};
  let maxAbsDiff = 0;
  session.outputNames.forEach((name, i) => {
    const a = ours[i]!.dataSync(), b = theirs[name]!.data;
    let d = a.length === b.length ? 0 : Infinity;
    for (let k = 0; k < a.length && d !== Infinity; k++) d = Math.max(d, Math.abs(Number(a[k]) - Number(b[k])));
    perOutput[name] = d;
    maxAbsDiff = Math.max(maxAbsDiff, d);
  });
  return { maxAbsDiff, perOutput };
}
