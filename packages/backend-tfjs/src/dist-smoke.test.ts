import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The BUILT package, as users get it: Node resolves @nn/backend-tfjs and @nn/core through package.json
// "exports" to dist/ (vitest's aliases to src/ do not apply to a child process). `npm test` runs
// `build` first (turbo.json: test dependsOn build, build dependsOn ^build). Checks: test/dist-smoke/check.cjs.
const root = fileURLToPath(new URL('..', import.meta.url));
const run = (file: string) => execFileSync(process.execPath, [file], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describe('dist smoke (built output, not sources)', () => {
  it('dist/ exists (run `npm run build` first)', () => {
    expect(existsSync(`${root}/dist/index.js`) && existsSync(`${root}/dist/index.cjs`)).toBe(true);
  });
  it('ESM import and one call', () => {
    expect(run('test/dist-smoke/smoke.mjs')).toContain('esm: ok');
  });
  it('CJS require and one call', () => {
    expect(run('test/dist-smoke/smoke.cjs')).toContain('cjs: ok');
  });

  // tfjs-backend-wasm's Emscripten glue hooks process's error events when it starts; the engine
  // loader removes those hooks. Before: every case below exited with code 7 and reported its error at
  // a line of tfjs-backend-wasm's bundle, and the user's own handler could not keep the process alive.
  const exitOf = (...args: string[]) => {
    const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', timeout: 60_000 });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  for (const [name, args, message] of [
    ['ESM, an uncaught throw', ['test/dist-smoke/error-exit.mjs', 'throw'], 'user error'],
    ['ESM, an unhandled rejection', ['test/dist-smoke/error-exit.mjs', 'reject'], 'user rejection'],
    ['CJS, an uncaught throw', ['test/dist-smoke/error-exit.cjs'], 'user error'],
  ] as const) {
    it(`on the wasm engine, the user's own error is reported as node reports it (exit code 1, the user's file): ${name}`, () => {
      const r = exitOf(...args);
      expect(r.out).toContain('on wasm: 3');
      expect(r.code).toBe(1);
      expect(r.err).toContain(`Error: ${message}`);
      expect(r.err.split('\n')[0]).toContain(args[0].split('/').pop()); // the first line names where it was thrown
      expect(r.err).not.toContain('tfjs-backend-wasm');
    });
  }
  it("on the wasm engine, a user's uncaughtException handler keeps the process alive", () => {
    const r = exitOf('test/dist-smoke/error-exit.mjs', 'handled');
    expect(r.out).toContain('handled: user error');
    expect(r.out).toContain('still alive');
    expect(r.code).toBe(0);
  });
});
