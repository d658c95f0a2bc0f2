import { appendFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LogDirNotFoundError, MalformedLogLineError } from './errors.js';
import { JsonlLogger } from './jsonl-logger.js';
import { analyzeRun, parseMetricsJsonl, readLogDir } from './log-dir.js';

describe('JsonlLogger and the log folder format', () => {
  it('writes run.json and one line per epoch (and every N batches) that readLogDir reads back', () => {
    const logDir = mkdtempSync(join(tmpdir(), 'nn-jsonl-'));
    const log = new JsonlLogger({ logDir, runName: 'r1', params: { lr: 0.01 }, bayesError: 0.01, batchEvery: 2 });
    log.onTrainBegin();
    for (let e = 0; e < 3; e++) {
      log.onEpochBegin(e);
      for (let b = 0; b < 4; b++) log.onBatchEnd!(b, { loss: b });
      log.onEpochEnd(e, { loss: 1 / (e + 1), error: 0.2, val_error: 0.21, nan: Number.NaN });
    }
    log.onTrainEnd();
    expect(readdirSync(join(logDir, 'r1')).sort()).toEqual(['metrics.jsonl', 'run.json']);
    const meta = JSON.parse(readFileSync(join(logDir, 'r1', 'run.json'), 'utf8'));
    expect(meta).toMatchObject({ name: 'r1', params: { lr: 0.01 }, bayesError: 0.01 });
    const lines = parseMetricsJsonl(readFileSync(log.metricsPath, 'utf8'));
    expect(lines.map((l) => l.type)).toEqual(['batch', 'batch', 'epoch', 'batch', 'batch', 'epoch', 'batch', 'batch', 'epoch', 'end']);
    const [run] = readLogDir(logDir);
    expect(run!.history.history.loss).toEqual([1, 0.5, 1 / 3]);
    expect(run!.history.history.nan).toBeUndefined(); // non-finite values are not written
    expect(run!.finished).toBe(true);
    // 'error' metrics are error rates: bias 0.19 → high bias with Bayes 0.01 from run.json.
    const a = analyzeRun(run!);
    expect(a.verdictFrom).toEqual({ metric: 'error', bayesError: 0.01, assumed: false });
    expect(a.biasVariance?.verdict).toBe('high bias');
  });

  it('ignores an unterminated last line (a write in progress) and names file:line of a bad one', () => {
    expect(parseMetricsJsonl('{"type":"epoch","epoch":0,"time":1,"logs":{}}\n{"type":"ep')).toHaveLength(1);
    expect(() => parseMetricsJsonl('{"type":"epoch","epoch":0,"time":1,"logs":{}}\nnot json\n', 'runs/a/metrics.jsonl')).toThrow(MalformedLogLineError);
    expect(() => parseMetricsJsonl('{"epoch":0}\n', 'm.jsonl')).toThrow(/m.jsonl:1: missing "type"/);
  });

  it('a run with a malformed line keeps the good lines and reports the error', () => {
    const logDir = mkdtempSync(join(tmpdir(), 'nn-jsonl-'));
    const log = new JsonlLogger({ logDir, runName: 'bad' });
    log.onTrainBegin();
    log.onEpochEnd(0, { loss: 1 });
    appendFileSync(log.metricsPath, 'oops\n');
    const [run] = readLogDir(logDir);
    expect(run!.error).toMatch(/metrics.jsonl:2: not JSON/);
  });

  it('rejects a missing folder, a file, and bad options', () => {
    expect(() => readLogDir('/nonexistent/logs')).toThrow(LogDirNotFoundError);
    const f = join(mkdtempSync(join(tmpdir(), 'nn-jsonl-')), 'file');
    writeFileSync(f, '');
    expect(() => readLogDir(f)).toThrow(/is not a folder/);
    expect(() => new JsonlLogger({ logDir: '/tmp', runName: '../x' })).toThrow(/runName/);
    expect(() => new JsonlLogger({ logDir: '/tmp', bayesError: 2 })).toThrow(/bayesError/);
  });
});
