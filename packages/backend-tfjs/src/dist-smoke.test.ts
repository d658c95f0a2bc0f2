import { execFileSync } from 'node:child_process';
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
});
