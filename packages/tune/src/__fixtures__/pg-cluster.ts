/**
 * Test helper: starts a throw-away PostgreSQL cluster (initdb + pg_ctl) in a temp dir on a free
 * 127.0.0.1 port, as user "nobody" when running as root (initdb refuses root).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Whether initdb is on PATH (if not, PostgreSQL tests are skipped, loudly). */
export function hasPostgres(): boolean {
  return spawnSync('initdb', ['--version']).status === 0;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface Cluster {
  url: string;
  port: number;
  stop(): void;
  /**
   * Stops the server (`-m fast`: open sessions get 57P01 admin shutdown, new connections are
   * refused), waits `downMs`, and starts it again on the same port. Resolves when it accepts
   * connections; returns how long it was down (ms).
   */
  restart(downMs: number): Promise<number>;
}

export async function startCluster(): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), 'nn-tune-pg-'));
  const root = process.getuid?.() === 0;
  const as = (cmd: string, args: string[]): string[] => (root ? ['runuser', '-u', 'nobody', '--', cmd, ...args] : [cmd, ...args]);
  if (root) {
    const uid = Number(execFileSync('id', ['-u', 'nobody']).toString());
    const gid = Number(execFileSync('id', ['-g', 'nobody']).toString());
    chownSync(dir, uid, gid);
  }
  const run = (argv: string[]): void => {
    const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
    if (r.status !== 0) {
      throw new Error(`PostgreSQL test cluster: \`${argv.join(' ')}\` failed (status ${r.status}): ${r.stderr || r.stdout || r.error?.message}`);
    }
  };
  const data = join(dir, 'data');
  run(as('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']));
  const port = await freePort();
  const start = ['-D', data, '-l', join(dir, 'log'), '-w', '-t', '30', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start'];
  run(as('pg_ctl', start));
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    async restart(downMs) {
      const t0 = Date.now();
      run(as('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']));
      await new Promise((r) => setTimeout(r, downMs));
      run(as('pg_ctl', start));
      return Date.now() - t0;
    },
    stop() {
      spawnSync(as('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop'])[0]!, as('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).slice(1));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
