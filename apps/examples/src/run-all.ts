/**
 * Smoke test: run every example in sequence with small sizes, in one process (one backend), and
 * fail (exit code 1) if any of them throws or a check it makes does not hold.
 *
 *   npm run examples          (same as: npx tsx src/run-all.ts)
 *   npx tsx src/run-all.ts saddle-points dropout    (only the named ones)
 */
import { setup, type ExampleOptions } from './common';
import { main as tensors } from './tensors';
import { main as customLayers } from './custom-layers';
import { main as functionalApi } from './functional-api';
import { main as dataPipeline } from './data-pipeline';
import { main as regularizers } from './regularizers';
import { main as dropout } from './dropout';
import { main as bigDataSplits } from './big-data-splits';
import { main as biasVariance } from './bias-variance';
import { main as trainingCurves } from './training-curves';
import { main as initGradients } from './init-gradients';
import { main as miniBatch } from './mini-batch';
import { main as optimizers } from './optimizers';
import { main as lrDecay } from './lr-decay';
import { main as gradCheck } from './grad-check';
import { main as ewaExample } from './ewa';
import { main as saddlePoints } from './saddle-points';
import { main as hyperparameterSearch } from './hyperparameter-search';
import { main as normalization } from './normalization';
import { main as onnxExport } from './onnx-export';
import { main as sampleWeights } from './sample-weights';
import { main as errorAnalysis } from './error-analysis';
import { main as augmentation } from './augmentation';

/** Every example, in the order of the course. */
export const EXAMPLES: [string, (opts?: ExampleOptions) => Promise<void>][] = [
  ['tensors', tensors],
  ['custom-layers', customLayers],
  ['functional-api', functionalApi],
  ['data-pipeline', dataPipeline],
  ['big-data-splits', bigDataSplits],
  ['normalization', normalization],
  ['init-gradients', initGradients],
  ['grad-check', gradCheck],
  ['regularizers', regularizers],
  ['dropout', dropout],
  ['augmentation', augmentation],
  ['bias-variance', biasVariance],
  ['training-curves', trainingCurves],
  ['error-analysis', errorAnalysis],
  ['mini-batch', miniBatch],
  ['ewa', ewaExample],
  ['optimizers', optimizers],
  ['lr-decay', lrDecay],
  ['saddle-points', saddlePoints],
  ['hyperparameter-search', hyperparameterSearch],
  ['sample-weights', sampleWeights],
  ['onnx-export', onnxExport],
];

async function runAll(): Promise<void> {
  const only = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const unknown = only.filter((n) => !EXAMPLES.some(([name]) => name === n));
  if (unknown.length) {
    console.error(`unknown example(s): ${unknown.join(', ')}. Known: ${EXAMPLES.map(([n]) => n).join(', ')}`);
    process.exit(2);
  }
  const backend = await setup();
  console.log(`backend: ${backend.name}`);
  const results: { name: string; seconds: number; error?: Error }[] = [];
  const t0 = performance.now();
  for (const [name, main] of EXAMPLES) {
    if (only.length && !only.includes(name)) continue;
    console.log(`\n━━━━ ${name} ━━━━`);
    const s = performance.now();
    try {
      await main({ small: true });
      results.push({ name, seconds: (performance.now() - s) / 1000 });
    } catch (e) {
      const error = e as Error;
      console.error(`✗ ${name}: ${error.name}: ${error.message}`);
      if (process.env.NN_DEBUG) console.error(error.stack);
      results.push({ name, seconds: (performance.now() - s) / 1000, error });
    }
  }
  const total = (performance.now() - t0) / 1000;
  console.log('\n━━━━ summary ━━━━');
  for (const r of results) console.log(`${r.error ? '✗' : '✓'} ${r.name.padEnd(22)} ${r.seconds.toFixed(1).padStart(5)} s${r.error ? `  ${r.error.message}` : ''}`);
  const failed = results.filter((r) => r.error);
  console.log(`${results.length - failed.length}/${results.length} passed in ${total.toFixed(1)} s`);
  if (failed.length) process.exit(1);
}

runAll().catch((e: unknown) => {
  console.error(`error: ${(e as Error).message}`);
  process.exit(1);
});
