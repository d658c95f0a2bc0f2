import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The monorepo root. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Output of a per-package bench script run to completion. */
export interface ScriptRun {
  stdout: string;
  stderr: string;
  status: number | null;
  seconds: number;
}

/**
 * Runs a package's TypeScript bench script (path relative to the repo root) with tsx, from
 * apps/bench, so `@nn/*` resolve to the built dist. Throws with the script's last stderr lines when
 * it fails or runs past `timeoutMs`. `env`: the script's environment (default: this process's).
 */
export function runScript(path: string, args: string[], timeoutMs: number, env?: NodeJS.ProcessEnv): ScriptRun {
  const file = join(ROOT, path);
  if (!existsSync(file)) throw new Error(`${path} not found`);
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', file, ...args], {
    cwd: join(ROOT, 'apps', 'bench'),
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 64 << 20,
    ...(env ? { env } : {}),
  });
  const out = { stdout: r.stdout ?? '', stderr: r.stderr ?? '', status: r.status, seconds: (performance.now() - t0) / 1000 };
  if (r.status !== 0) {
    const why = r.error?.message ?? (r.signal ? `signal ${r.signal}` : `exit ${r.status}`);
    const tail = out.stderr.split('\n').filter((l) => l.trim() && l.length < 400).slice(-3).join(' / ');
    throw new Error(`${path} ${args.join(' ')} failed (${why}): ${tail}`);
  }
  return out;
}
