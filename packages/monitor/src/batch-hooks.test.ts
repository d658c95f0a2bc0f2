import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JsonlLogger } from './jsonl-logger.js';
import { MlflowLogger } from './mlflow/logger.js';
import { TensorBoard } from './tensorboard/callback.js';

// A callback with onBatchBegin / onBatchEnd makes core `fit` with an engine (ortEngine()) run one
// batch per call and sync the weights before each hook. The loggers define their batch hook only
// when they log batches, so their defaults keep the engine at full speed.
describe('logging callbacks have a batch hook only when they log batches', () => {
  const dir = () => mkdtempSync(join(tmpdir(), 'nn-hooks-'));
  it('TensorBoard: updateFreq epoch (default) vs batch / N', () => {
    expect(new TensorBoard({ logDir: dir() }).onBatchEnd).toBeUndefined();
    expect(new TensorBoard({ logDir: dir(), updateFreq: 'batch' }).onBatchEnd).toBeTypeOf('function');
    expect(new TensorBoard({ logDir: dir(), updateFreq: 10 }).onBatchEnd).toBeTypeOf('function');
  });
  it('JsonlLogger: batchEvery 0 (default) vs N', () => {
    expect(new JsonlLogger({ logDir: dir() }).onBatchEnd).toBeUndefined();
    expect(new JsonlLogger({ logDir: dir(), batchEvery: 5 }).onBatchEnd).toBeTypeOf('function');
  });
  it("MlflowLogger: logEvery epoch (default) vs 'batch'", () => {
    const opts = { trackingUri: 'http://127.0.0.1:9', experimentName: 'x', onWarning: () => {} };
    expect(new MlflowLogger(opts).onBatchEnd).toBeUndefined();
    expect(new MlflowLogger({ ...opts, logEvery: 'batch' }).onBatchEnd).toBeTypeOf('function');
  });
});
