import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// The `nn-monitor` bin is a committed shim (bin/nn-monitor.mjs) so that `npm ci` links it before
// `npm run build`; these tests run it as a user would, in a child process.
const pkgDir = fileURLToPath(new URL('..', import.meta.url));
const shim = join(pkgDir, 'bin', 'nn-monitor.mjs');
const built = existsSync(join(pkgDir, 'dist', 'cli.js'));

function run(script: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((ok) => {
    execFile(process.execPath, [script, ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      ok({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

describe('nn-monitor bin shim', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'nn-monitor-bin-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('is what package.json links, and is executable', () => {
    const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { bin: Record<string, string>; files: string[] };
    expect(pkg.bin['nn-monitor']).toBe('./bin/nn-monitor.mjs');
    expect(pkg.files).toContain('bin');
    expect(readFileSync(shim, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(statSync(shim).mode & 0o111).not.toBe(0);
    // `npm ci` links bins from the lockfile's copy of package.json, so it must agree.
    const lock = JSON.parse(readFileSync(join(pkgDir, '..', '..', 'package-lock.json'), 'utf8')) as { packages: Record<string, { bin?: Record<string, string> }> };
    expect(lock.packages['packages/monitor']?.bin).toEqual({ 'nn-monitor': 'bin/nn-monitor.mjs' });
  });

  it('says clearly to build when dist/cli.js is missing (a fresh clone after npm ci)', async () => {
    // The same shim in a package folder that has no dist/.
    mkdirSync(join(tmp, 'bin'));
    copyFileSync(shim, join(tmp, 'bin', 'nn-monitor.mjs'));
    const r = await run(join(tmp, 'bin', 'nn-monitor.mjs'), ['runs']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not built yet/);
    expect(r.stderr).toContain('dist/cli.js does not exist');
    expect(r.stderr).toContain('npm run build');
    expect(r.stdout).toBe('');
  });

  it.skipIf(!built)('runs the built CLI: --help', async () => {
    const r = await run(shim, ['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: nn-monitor <logdir>/);
  });

  it.skipIf(!built)('runs the built CLI: a log folder that does not exist is a clear error', async () => {
    const missing = join(tmp, 'no-such-runs');
    const r = await run(shim, [missing]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`nn-monitor: Log folder "${missing}" does not exist`);
    expect(r.stderr).toContain('JsonlLogger');
  });

  it.skipIf(!built)('runs the built CLI: wrong arguments exit 2 with the usage', async () => {
    const r = await run(shim, []);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/expected exactly one log folder, got 0[\s\S]*Usage:/);
  });
});
