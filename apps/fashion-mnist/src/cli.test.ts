import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseOptions } from './options';
import { locateData, UsageError } from './data';

const here = dirname(fileURLToPath(import.meta.url));

describe('command line', () => {
  it('parses flags with defaults', () => {
    const o = parseOptions(['--epochs', '3', '--style', 'torch']);
    expect(o).toMatchObject({ epochs: 3, style: 'torch', engine: 'auto', batchSize: 128, export: true });
  });
  it('a wrong flag or value is a UsageError naming it', () => {
    expect(() => parseOptions(['--epoch', '3'])).toThrow(UsageError);
    expect(() => parseOptions(['--epochs', 'x'])).toThrow(/--epochs must be a positive integer, got "x"/);
    expect(() => parseOptions(['--style', 'jax'])).toThrow(/--style must be keras or torch/);
  });
  it('a missing data folder is one clear error', () => {
    expect(() => locateData('/nonexistent/fmnist')).toThrow(/--data \/nonexistent\/fmnist: expected the four Fashion-MNIST IDX files/);
  });
  it('the program prints one line and the usage, not a stack, and exits 2', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(here, 'main.ts'), '--bogus'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toMatch(/^error: .*bogus/);
    expect(lines[1]).toMatch(/^usage: npm start --/);
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/);
  });
});
